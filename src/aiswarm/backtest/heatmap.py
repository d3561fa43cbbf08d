"""Lay a grid search's scores out over two parameters, and draw them as a heatmap.

A grid over ``fast`` and ``slow`` is a table: one cell per pair of values, coloured by the
objective's score. With more than two searched parameters there is one table per pair, and a
cell holds the **best** score over every value of the other parameters (what the pair can
reach at best); with one, the table is a single row. A cell no trial scored (the objective was
undefined) is empty. Scores are "higher is better", as the search ranks them (drawdown is
negated). Drawing uses a ``matplotlib.figure.Figure`` on Agg, never ``pyplot``; the only file
written is the one asked for.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from aiswarm.backtest.results import ParamValue
from aiswarm.backtest.search import Trial

__all__ = ["ScoreGrid", "plot_heatmap", "score_grids"]


@dataclass(frozen=True, eq=False)
class ScoreGrid:
    """Scores over two parameters: ``scores[row, column]`` is ``y_values[row], x_values[column]``.

    ``y_name`` is None for a one-parameter search (one row). NaN marks a cell no trial scored.
    """

    objective: str
    x_name: str
    x_values: tuple[ParamValue, ...]
    y_name: str | None
    y_values: tuple[ParamValue, ...]
    scores: npt.NDArray[np.float64]

    def to_dict(self) -> dict[str, object]:
        """Return plain JSON types; an unscored cell is null."""
        return {
            "objective": self.objective,
            "x": {"name": self.x_name, "values": list(self.x_values)},
            "y": None
            if self.y_name is None
            else {"name": self.y_name, "values": list(self.y_values)},
            "scores": [[None if np.isnan(v) else float(v) for v in row] for row in self.scores],
        }


def _grid(
    trials: Sequence[Trial],
    objective: str,
    x: tuple[str, tuple[ParamValue, ...]],
    y: tuple[str, tuple[ParamValue, ...]] | None,
) -> ScoreGrid:
    """Return the best score of each (y, x) cell over ``trials``."""
    x_name, x_values = x
    y_name, y_values = y if y is not None else (None, ("",))
    scores = np.full((len(y_values), len(x_values)), np.nan)
    for trial in trials:
        if trial.score is None:
            continue
        column = x_values.index(trial.params[x_name])
        row = 0 if y_name is None else y_values.index(trial.params[y_name])
        if np.isnan(scores[row, column]) or trial.score > scores[row, column]:
            scores[row, column] = trial.score
    return ScoreGrid(objective, x_name, x_values, y_name, y_values, scores)


def score_grids(
    trials: Sequence[Trial], space: Mapping[str, Sequence[ParamValue]], objective: str
) -> list[ScoreGrid]:
    """Return one score grid per pair of searched parameters (one grid for a single one).

    Only parameters with more than one value are laid out; when fewer than two have, the grid
    is the first parameter's single row.
    """
    values = {name: tuple(listed) for name, listed in space.items()}
    varied = [name for name, listed in values.items() if len(listed) > 1] or list(values)[:1]
    if len(varied) == 1:
        name = varied[0]
        return [_grid(trials, objective, (name, values[name]), None)]
    return [
        _grid(trials, objective, (x, values[x]), (y, values[y]))
        for x, y in itertools.combinations(varied, 2)
    ]


def plot_heatmap(grid: ScoreGrid, path: Path) -> None:
    """Draw ``grid`` as a heatmap PNG at ``path``, each cell labelled with its score."""
    rows, columns = grid.scores.shape
    figure = Figure(figsize=(max(4.0, 1.0 + 0.8 * columns), max(2.5, 1.5 + 0.5 * rows)), dpi=100)
    figure.set_layout_engine("constrained")
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(grid.scores), origin="lower", aspect="auto")
    figure.colorbar(image, ax=axes, label=f"score ({grid.objective})")
    axes.set_xticks(range(columns), [str(v) for v in grid.x_values])
    axes.set_xlabel(grid.x_name)
    if grid.y_name is None:
        axes.set_yticks([])
    else:
        axes.set_yticks(range(rows), [str(v) for v in grid.y_values])
        axes.set_ylabel(grid.y_name)
    scored = grid.scores[~np.isnan(grid.scores)]
    middle = float(scored.min() + scored.max()) / 2 if scored.size else 0.0
    for row, column in itertools.product(range(rows), range(columns)):
        value = float(grid.scores[row, column])
        text, color = "n/a", "black"
        if not np.isnan(value):
            # Dark text on the bright (high) end of the colour map, light text on the dark end.
            text, color = f"{value:.3g}", "black" if value > middle else "white"
        axes.text(column, row, text, ha="center", va="center", color=color, fontsize=8)
    names = grid.x_name if grid.y_name is None else f"{grid.x_name} and {grid.y_name}"
    axes.set_title(f"best {grid.objective} score by {names}")
    figure.savefig(path, format="png")
