"""Search strategy parameters: try each set, score it by one objective, rank best first.

Two ways to choose the sets: a grid (the cartesian product of listed values) and random
sampling (``n`` draws from ranges and choices, from a generator seeded by the caller, so the
same seed gives the same sets). The run itself is injected: ``run(params)`` returns a
``BacktestResult``, usually the backtest runner bound to one data window. Searching in-sample
overfits; ``walk_forward`` is how a choice is judged out of sample. No I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from aiswarm.backtest.metrics import Metrics, metrics_of
from aiswarm.backtest.results import BacktestResult, Params, ParamValue

__all__ = [
    "OBJECTIVES",
    "Choice",
    "FloatRange",
    "IntRange",
    "Trial",
    "check_objective",
    "grid_parameter_sets",
    "grid_search",
    "random_parameter_sets",
    "random_search",
    "rank",
    "score",
]

# objective name -> (metric read from Metrics, +1 when higher is better, -1 when lower is)
OBJECTIVES: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        "sharpe": ("sharpe", 1),
        "sortino": ("sortino", 1),
        "total_return": ("total_return", 1),
        "annualised_return": ("annualised_return", 1),
        "profit_factor": ("profit_factor", 1),
        "win_rate": ("win_rate", 1),
        "max_drawdown": ("max_drawdown_frac", -1),
    }
)
"""Objectives a search can rank by. Every score is "higher is better": drawdown is negated."""


@dataclass(frozen=True, slots=True)
class IntRange:
    """Draw an integer uniformly from ``low`` to ``high``, both included."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise ValueError(f"IntRange({self.low}, {self.high}) is empty: pass low <= high")


@dataclass(frozen=True, slots=True)
class FloatRange:
    """Draw a float uniformly from [``low``, ``high``), or log-uniformly when ``log`` is set.

    Log-uniform suits scale parameters (a threshold from 0.001 to 0.1): each decade is
    equally likely. It needs ``low > 0``.
    """

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high < self.low:
            raise ValueError(
                f"FloatRange({self.low}, {self.high}) is not a range: pass finite low <= high"
            )
        if self.log and self.low <= 0:
            raise ValueError(f"FloatRange(low={self.low}, log=True) needs low > 0")


@dataclass(frozen=True, slots=True)
class Choice:
    """Draw one of ``values`` with equal chance."""

    values: tuple[ParamValue, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("Choice() has no values: pass at least one")


@dataclass(frozen=True, eq=False)
class Trial:
    """One parameter set, its metrics and its score (None when the metric is).

    The run's full result is not kept: a search holds hundreds of trials, each with an equity
    curve of a mark a bar. Run the winner again for its result and report.
    """

    params: Params
    metrics: Metrics
    score: float | None


def check_objective(objective: str) -> None:
    """Refuse an objective that is not in ``OBJECTIVES``, naming the ones that are.

    Raises:
        ValueError: ``objective`` is unknown.
    """
    if objective not in OBJECTIVES:
        raise ValueError(
            f"objective={objective!r} is unknown: choose one of {', '.join(sorted(OBJECTIVES))}"
        )


def score(metrics: Metrics, objective: str) -> float | None:
    """Return ``metrics``' value for ``objective``, signed so that higher is better.

    Raises:
        ValueError: ``objective`` is not one of ``OBJECTIVES``.
    """
    check_objective(objective)
    name, direction = OBJECTIVES[objective]
    value = getattr(metrics, name)
    return None if value is None else direction * float(value)


def rank(trials: Sequence[Trial]) -> list[Trial]:
    """Return ``trials`` best score first; unscored trials last; ties keep their order."""
    return sorted(trials, key=lambda t: (t.score is None, -(t.score or 0.0)))


def grid_parameter_sets(space: Mapping[str, Sequence[ParamValue]]) -> list[Params]:
    """Return every combination of the listed values, the last name varying fastest."""
    for name, values in space.items():
        if not values:
            raise ValueError(f"parameter {name!r} lists no values: list at least one")
    names = list(space)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*space.values())]


def _draw(rng: np.random.Generator, spec: IntRange | FloatRange | Choice) -> ParamValue:
    """Return one value drawn from ``spec``, as a plain Python int, float or str."""
    if isinstance(spec, IntRange):
        return int(rng.integers(spec.low, spec.high, endpoint=True))
    if isinstance(spec, FloatRange):
        if spec.log:
            return float(math.exp(rng.uniform(math.log(spec.low), math.log(spec.high))))
        return float(rng.uniform(spec.low, spec.high))
    return spec.values[int(rng.integers(len(spec.values)))]


def random_parameter_sets(
    space: Mapping[str, IntRange | FloatRange | Choice], *, n: int, seed: int
) -> list[Params]:
    """Return ``n`` parameter sets drawn independently; the same seed gives the same sets."""
    if n <= 0:
        raise ValueError(f"n={n}: a random search needs at least one draw")
    rng = np.random.default_rng(seed)
    return [{name: _draw(rng, spec) for name, spec in space.items()} for _ in range(n)]


def _trials(
    run: Callable[[Params], BacktestResult],
    parameter_sets: Sequence[Params],
    objective: str,
    risk_free_annual: float,
) -> list[Trial]:
    """Run every set, score it, and rank the trials."""
    check_objective(objective)  # before any run: a typo should not cost a whole search
    trials: list[Trial] = []
    for params in parameter_sets:
        metrics = metrics_of(run(params), risk_free_annual=risk_free_annual)
        trials.append(Trial(params, metrics, score(metrics, objective)))
    return rank(trials)


def grid_search(
    run: Callable[[Params], BacktestResult],
    space: Mapping[str, Sequence[ParamValue]],
    *,
    objective: str = "sharpe",
    risk_free_annual: float = 0.0,
) -> list[Trial]:
    """Run every combination in ``space`` and return the trials best first."""
    return _trials(run, grid_parameter_sets(space), objective, risk_free_annual)


def random_search(
    run: Callable[[Params], BacktestResult],
    space: Mapping[str, IntRange | FloatRange | Choice],
    *,
    n: int,
    seed: int,
    objective: str = "sharpe",
    risk_free_annual: float = 0.0,
) -> list[Trial]:
    """Run ``n`` sets drawn from ``space`` with ``seed`` and return the trials best first."""
    return _trials(run, random_parameter_sets(space, n=n, seed=seed), objective, risk_free_annual)
