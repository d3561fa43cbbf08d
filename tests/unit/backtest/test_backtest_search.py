"""Specs for grid and random parameter search over an injected run."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest

from aiswarm.backtest.results import BacktestResult, EquityCurve, Params
from aiswarm.backtest.search import (
    Choice,
    FloatRange,
    IntRange,
    grid_parameter_sets,
    grid_search,
    random_parameter_sets,
    random_search,
)


def _toy_run(calls: list[Params]) -> Callable[[Params], BacktestResult]:
    """Return a run whose total return is ``growth`` per bar, with a dip of ``dip``."""

    def run(params: Params) -> BacktestResult:
        calls.append(params)
        growth = float(params.get("growth", 0.0))
        dip = float(params.get("dip", 0.0))
        equity = [100.0, 100.0 * (1 + growth), 100.0 * (1 + growth) * (1 - dip)]
        equity.append(equity[-1] * (1 + growth))
        return BacktestResult(
            equity=EquityCurve(np.arange(4, dtype=np.int64) * 60_000_000_000, np.array(equity)),
            fills=(),
            orders=(),
            starting_cash=Decimal("100"),
            final_cash=Decimal("100"),
            final_positions={},
            params=params,
            interval_s=60,
        )

    return run


def test_grid_parameter_sets_when_three_by_two_then_six_combinations_in_order() -> None:
    # Act
    sets = grid_parameter_sets({"fast": [5, 10, 20], "mode": ["a", "b"]})

    # Assert
    assert len(sets) == 6
    assert sets[0] == {"fast": 5, "mode": "a"}
    assert sets[1] == {"fast": 5, "mode": "b"}
    assert sets[-1] == {"fast": 20, "mode": "b"}


def test_grid_search_when_run_then_every_set_tried_and_ranked_best_first() -> None:
    # Arrange
    calls: list[Params] = []

    # Act
    trials = grid_search(
        _toy_run(calls), {"growth": [0.01, 0.05, 0.02], "dip": [0.0]}, objective="total_return"
    )

    # Assert
    assert len(calls) == 3
    assert [t.params["growth"] for t in trials] == [0.05, 0.02, 0.01]
    scores = [t.score for t in trials]
    assert scores == sorted(scores, reverse=True)


def test_grid_search_when_objective_is_drawdown_then_smallest_drawdown_first() -> None:
    # Act
    trials = grid_search(
        _toy_run([]), {"growth": [0.01], "dip": [0.3, 0.1, 0.2]}, objective="max_drawdown"
    )

    # Assert
    assert [t.params["dip"] for t in trials] == [0.1, 0.2, 0.3]
    assert trials[0].score == pytest.approx(-(1 - 0.9))


def test_grid_search_when_objective_undefined_for_some_then_those_rank_last() -> None:
    # Arrange: without a dip no bar loses, so sortino is undefined (None).
    space = {"growth": [0.01], "dip": [0.0, 0.05]}

    # Act
    trials = grid_search(_toy_run([]), space, objective="sortino")

    # Assert
    assert [t.params["dip"] for t in trials] == [0.05, 0.0]
    assert trials[-1].score is None


def test_search_when_objective_unknown_then_refused_before_any_run() -> None:
    # Arrange
    calls: list[Params] = []

    # Act / Assert
    with pytest.raises(ValueError, match=r"objective='sharp' is unknown: choose one of .*sharpe"):
        grid_search(_toy_run(calls), {"growth": [0.01]}, objective="sharp")
    assert calls == []


def test_random_parameter_sets_when_same_seed_then_same_sets_within_ranges() -> None:
    # Arrange
    space = {
        "fast": IntRange(2, 9),
        "threshold": FloatRange(0.001, 0.1, log=True),
        "scale": FloatRange(-1.0, 1.0),
        "mode": Choice(("ema", "sma")),
    }

    # Act
    first = random_parameter_sets(space, n=200, seed=42)
    second = random_parameter_sets(space, n=200, seed=42)
    other = random_parameter_sets(space, n=200, seed=43)

    # Assert
    assert first == second
    assert first != other
    assert all(type(p["fast"]) is int and 2 <= p["fast"] <= 9 for p in first)
    assert {p["fast"] for p in first} == set(range(2, 10))
    assert all(0.001 <= p["threshold"] < 0.1 for p in first)
    assert all(-1.0 <= p["scale"] < 1.0 for p in first)
    assert {p["mode"] for p in first} == {"ema", "sma"}


def test_random_search_when_n_given_then_n_runs_ranked() -> None:
    # Arrange
    calls: list[Params] = []

    # Act
    trials = random_search(
        _toy_run(calls),
        {"growth": FloatRange(0.0, 0.1), "dip": FloatRange(0.0, 0.2)},
        n=25,
        seed=9,
        objective="total_return",
    )

    # Assert
    assert len(calls) == len(trials) == 25
    scores = [t.score for t in trials]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: IntRange(5, 4), "empty"),
        (lambda: FloatRange(1.0, 0.5), "not a range"),
        (lambda: FloatRange(0.0, 1.0, log=True), "needs low > 0"),
        (lambda: Choice(()), "no values"),
        (lambda: grid_parameter_sets({"fast": []}), "lists no values"),
        (lambda: random_parameter_sets({"fast": IntRange(1, 2)}, n=0, seed=1), "n=0"),
    ],
)
def test_search_space_when_invalid_then_refused(build: Callable[[], object], message: str) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=message):
        build()
