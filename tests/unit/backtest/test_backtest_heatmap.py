"""Specs for the grid-search heatmap: scores laid out per pair of parameters, and drawn."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np

from aiswarm.backtest.heatmap import plot_heatmap, score_grids
from aiswarm.backtest.metrics import Metrics
from aiswarm.backtest.results import Params
from aiswarm.backtest.search import Trial


def _trial(params: Params, score: float | None) -> Trial:
    metrics = Metrics(
        total_return=0.0,
        annualised_return=None,
        sharpe=score,
        sortino=None,
        max_drawdown_frac=0.0,
        max_drawdown_duration_s=0.0,
        max_drawdown_recovered=True,
        win_rate=None,
        profit_factor=None,
        turnover=None,
        total_fees=Decimal(0),
        number_of_trades=0,
        fills_count=0,
        bars=1,
        elapsed_s=0.0,
    )
    return Trial(params, metrics, score)


def test_score_grids_when_two_parameters_then_one_cell_per_pair_and_unscored_empty() -> None:
    # Arrange
    trials = [
        _trial({"fast": 5, "slow": 21}, 1.0),
        _trial({"fast": 5, "slow": 34}, None),
        _trial({"fast": 9, "slow": 21}, -2.0),
        _trial({"fast": 9, "slow": 34}, 3.0),
    ]

    # Act
    (grid,) = score_grids(trials, {"fast": [5, 9], "slow": [21, 34]}, "sharpe")

    # Assert: rows are slow, columns fast
    assert (grid.x_name, grid.x_values, grid.y_name, grid.y_values) == (
        "fast",
        (5, 9),
        "slow",
        (21, 34),
    )
    assert grid.scores[0].tolist() == [1.0, -2.0]
    assert math.isnan(grid.scores[1, 0])
    assert grid.scores[1, 1] == 3.0
    assert grid.to_dict()["scores"] == [[1.0, -2.0], [None, 3.0]]


def test_score_grids_when_three_parameters_then_each_pair_keeps_best_over_the_third() -> None:
    # Arrange: mode changes the score; each (fast, slow) cell keeps the better mode's score
    trials = [
        _trial({"fast": f, "slow": s, "mode": m}, f * 10 + s + (100 if m == "sma" else 0))
        for f in (1, 2)
        for s in (3, 4)
        for m in ("ema", "sma")
    ]
    space = {"fast": [1, 2], "slow": [3, 4], "mode": ["ema", "sma"]}

    # Act
    grids = score_grids(trials, space, "sharpe")

    # Assert
    assert [(g.x_name, g.y_name) for g in grids] == [
        ("fast", "slow"),
        ("fast", "mode"),
        ("slow", "mode"),
    ]
    assert grids[0].scores.tolist() == [[113.0, 123.0], [114.0, 124.0]]
    assert grids[1].scores.tolist() == [[14.0, 24.0], [114.0, 124.0]]


def test_score_grids_when_one_parameter_varies_then_one_row() -> None:
    # Act
    (grid,) = score_grids(
        [_trial({"fast": 5, "slow": 21}, 1.0), _trial({"fast": 9, "slow": 21}, 2.0)],
        {"fast": [5, 9], "slow": [21]},
        "sharpe",
    )

    # Assert
    assert (grid.x_name, grid.y_name) == ("fast", None)
    assert grid.scores.tolist() == [[1.0, 2.0]]
    assert grid.to_dict()["y"] is None


def test_plot_heatmap_when_drawn_then_png_written(tmp_path: Path) -> None:
    # Arrange
    (grid,) = score_grids(
        [_trial({"fast": 5}, 1.0), _trial({"fast": 9}, None)], {"fast": [5, 9]}, "sharpe"
    )

    # Act
    plot_heatmap(grid, tmp_path / "heatmap.png")

    # Assert
    assert (tmp_path / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.isnan(grid.scores[0, 1])
