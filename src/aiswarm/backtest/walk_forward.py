"""Judge a parameter search out of sample: optimise on one window, trade the next, repeat.

The range is cut into consecutive windows: a training span, then a test span right after it.
On each training span every candidate parameter set is run and scored; the best one is then
run on the test span it has never seen. Only the test runs are reported: their equity curves
are chained into one out-of-sample curve, and its metrics are the walk-forward result. The
in-sample scores are kept only to show what was chosen and why.

Spans are half-open integer ranges ``[start, end)``: bar indices or epoch nanoseconds, whatever
the injected ``run(params, span)`` understands. Test spans never overlap, so no bar is counted
twice out of sample. Windows over bar indices can carry the calendar time they cover
(``dated_windows``), so a reader sees dates, not only bar numbers. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

from aiswarm.backtest.iso_times import iso_utc_one
from aiswarm.backtest.metrics import Metrics, compute_metrics, metrics_of
from aiswarm.backtest.results import BacktestResult, EquityCurve, Params, ParamValue
from aiswarm.backtest.search import (
    Choice,
    FloatRange,
    IntRange,
    Trial,
    check_objective,
    grid_parameter_sets,
    random_parameter_sets,
    rank,
    score,
)

__all__ = [
    "Span",
    "WalkForwardResult",
    "WalkForwardWindow",
    "WindowOutcome",
    "dated_windows",
    "split_windows",
    "walk_forward",
]


@dataclass(frozen=True, slots=True)
class Span:
    """The half-open range ``[start, end)``, in bar indices or epoch nanoseconds."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"Span({self.start}, {self.end}) is empty: pass start < end")

    @property
    def length(self) -> int:
        """Return ``end - start``, in the span's own unit."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class WalkForwardWindow:
    """A training span and the test span that follows it directly.

    ``train_period`` and ``test_period``, when known, are the calendar time the spans cover in
    epoch nanoseconds, ``[first bar's open, last bar's close)``; see ``dated_windows``.
    """

    train: Span
    test: Span
    train_period: Span | None = None
    test_period: Span | None = None


def split_windows(
    start: int, end: int, *, train_size: int, test_size: int, anchored: bool = False
) -> tuple[WalkForwardWindow, ...]:
    """Cut ``[start, end)`` into training and test windows that step forward by ``test_size``.

    The first training span is ``[start, start + train_size)``; each test span follows its
    training span, and the next window starts ``test_size`` later. Rolling windows keep the
    training length; anchored windows keep ``start`` and grow. The test spans cover
    ``[start + train_size, end)`` exactly, without overlap; the last one is shorter when
    ``test_size`` does not divide that range.
    """
    if train_size <= 0 or test_size <= 0:
        raise ValueError(f"train_size={train_size} and test_size={test_size} must both be positive")
    if start + train_size >= end:
        raise ValueError(
            f"[{start}, {end}) leaves no test span after a training span of {train_size}: "
            "pass a longer range or a shorter train_size"
        )
    windows: list[WalkForwardWindow] = []
    test_start = start + train_size
    while test_start < end:
        train_start = start if anchored else test_start - train_size
        windows.append(
            WalkForwardWindow(
                train=Span(train_start, test_start),
                test=Span(test_start, min(test_start + test_size, end)),
            )
        )
        test_start += test_size
    return tuple(windows)


def dated_windows(
    windows: Sequence[WalkForwardWindow], bar_open_ns: npt.NDArray[np.int64], interval_s: int
) -> tuple[WalkForwardWindow, ...]:
    """Return ``windows`` (spans of bar indices) with the calendar time each span covers.

    A span ``[i, j)`` of bars covers ``[bar_open_ns[i], bar_open_ns[j - 1] + interval_s)``: from
    its first bar's open to its last bar's close, whatever gaps the data has in between.
    """

    def period(span: Span) -> Span:
        if span.start < 0 or span.end > bar_open_ns.size:
            raise ValueError(
                f"span [{span.start}, {span.end}) is not inside the {bar_open_ns.size} bars"
            )
        last_close = int(bar_open_ns[span.end - 1]) + interval_s * 1_000_000_000
        return Span(int(bar_open_ns[span.start]), last_close)

    return tuple(
        WalkForwardWindow(w.train, w.test, period(w.train), period(w.test)) for w in windows
    )


def _iso_period(period: Span | None) -> list[str] | None:
    return None if period is None else [iso_utc_one(period.start), iso_utc_one(period.end)]


@dataclass(frozen=True, eq=False)
class WindowOutcome:
    """What one window chose in sample, and how that choice did out of sample."""

    window: WalkForwardWindow
    params: Params
    train_score: float | None
    test_result: BacktestResult
    test_metrics: Metrics


@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """Out-of-sample results only: the chained test equity curve, its metrics, and each window.

    ``metrics`` are computed on ``equity``, the test curves chained end to end: each test curve
    is rescaled to start where the previous one ended, so returns compound across windows.
    Trade statistics pool every test window's round trips as recorded.
    """

    objective: str
    search: str
    outcomes: tuple[WindowOutcome, ...]
    equity: EquityCurve
    metrics: Metrics

    def to_dict(self) -> dict[str, object]:
        """Return plain JSON types: the out-of-sample metrics and each window's choice.

        Each window's ``train_period``/``test_period`` is ``[start, end)`` in ISO 8601 UTC, or
        null when the windows were not dated.
        """
        return {
            "objective": self.objective,
            "search": self.search,
            "out_of_sample": self.metrics.to_dict(),
            "windows": [
                {
                    "train_span": [o.window.train.start, o.window.train.end],
                    "test_span": [o.window.test.start, o.window.test.end],
                    "train_period": _iso_period(o.window.train_period),
                    "test_period": _iso_period(o.window.test_period),
                    "params": dict(o.params),
                    "train_score": o.train_score,
                    "test_metrics": o.test_metrics.to_dict(),
                }
                for o in self.outcomes
            ],
        }


def _candidates(
    param_space: Mapping[str, Sequence[ParamValue]] | Mapping[str, IntRange | FloatRange | Choice],
    search: str,
    n_samples: int | None,
    seed: int | None,
) -> list[Params]:
    """Return the parameter sets every window tries: the same sets for every window."""
    if search == "grid":
        grid: dict[str, Sequence[ParamValue]] = {}
        for name, values in param_space.items():
            if isinstance(values, IntRange | FloatRange | Choice | str):
                raise ValueError(
                    f"parameter {name!r} is {values!r}: a grid search needs a list of values"
                )
            grid[name] = values
        return grid_parameter_sets(grid)
    if search == "random":
        if n_samples is None or seed is None:
            raise ValueError("search='random' needs n_samples and seed: pass both")
        specs: dict[str, IntRange | FloatRange | Choice] = {}
        for name, spec in param_space.items():
            if not isinstance(spec, IntRange | FloatRange | Choice):
                raise ValueError(
                    f"parameter {name!r} is {spec!r}: a random search needs IntRange, "
                    "FloatRange or Choice"
                )
            specs[name] = spec
        return random_parameter_sets(specs, n=n_samples, seed=seed)
    raise ValueError(f"search={search!r} is unknown: choose 'grid' or 'random'")


def _chain(results: Sequence[BacktestResult]) -> tuple[EquityCurve, Decimal]:
    """Return the test curves chained end to end, and the traded notional on that scale."""
    ts_parts: list[np.ndarray] = []
    equity_parts: list[np.ndarray] = []
    notional = 0.0
    level = float(results[0].equity.equity[0])
    last_ts: int | None = None
    for result in results:
        curve = result.equity
        # After ruin (level <= 0) the chained account stays at zero, not sign-flipped.
        scale = max(level, 0.0) / float(curve.equity[0])
        ts, equity = curve.ts_ns, curve.equity * scale
        if last_ts is not None and int(ts[0]) < last_ts:
            raise ValueError(
                f"a test run starts at ts_ns={int(ts[0])}, before the previous one ended at "
                f"{last_ts}: the run callable must mark only bars inside the span it is given"
            )
        if last_ts is not None and int(ts[0]) == last_ts:
            # The runner marked the boundary bar in both windows; it is one mark, not two.
            ts, equity = ts[1:], equity[1:]
        ts_parts.append(ts)
        equity_parts.append(equity)
        notional += float(result.traded_notional) * scale
        level = float(curve.equity[-1]) * scale
        last_ts = int(curve.ts_ns[-1])
    return (
        EquityCurve(np.concatenate(ts_parts), np.concatenate(equity_parts)),
        Decimal(repr(notional)),
    )


def _out_of_sample_metrics(
    results: Sequence[BacktestResult], risk_free_annual: float
) -> tuple[EquityCurve, Metrics]:
    """Return the chained test curve and its metrics."""
    intervals = {r.interval_s for r in results}
    if len(intervals) != 1:
        raise ValueError(
            f"test runs used bar lengths {sorted(intervals)} s: a walk-forward needs one"
        )
    curve, notional = _chain(results)
    metrics = compute_metrics(
        curve,
        [trade for r in results for trade in r.trades],
        traded_notional=notional,
        total_fees=sum((r.fees_total for r in results), Decimal(0)),
        fills_count=sum(r.fills_count for r in results),
        risk_free_annual=risk_free_annual,
    )
    return curve, metrics


def walk_forward(
    run: Callable[[Params, Span], BacktestResult],
    param_space: Mapping[str, Sequence[ParamValue]] | Mapping[str, IntRange | FloatRange | Choice],
    windows: Sequence[WalkForwardWindow],
    *,
    objective: str = "sharpe",
    search: Literal["grid", "random"] = "grid",
    n_samples: int | None = None,
    seed: int | None = None,
    risk_free_annual: float = 0.0,
) -> WalkForwardResult:
    """Optimise on each training span, run the winner on its test span, report the tests only.

    ``param_space`` lists values per parameter for ``search='grid'``, or ``IntRange``,
    ``FloatRange`` and ``Choice`` specs for ``search='random'`` (which also needs
    ``n_samples`` and ``seed``; the sets are drawn once and tried in every window). When no
    candidate scores in a window (the objective is None for all), the first candidate is kept
    and its ``train_score`` is None.
    """
    check_objective(objective)
    if not windows:
        raise ValueError("no windows to walk: build them with split_windows()")
    candidates = _candidates(param_space, search, n_samples, seed)
    outcomes: list[WindowOutcome] = []
    for window in windows:
        trials: list[Trial] = []
        for params in candidates:
            metrics = metrics_of(run(params, window.train), risk_free_annual=risk_free_annual)
            trials.append(Trial(params, metrics, score(metrics, objective)))
        best = rank(trials)[0]
        test_result = run(best.params, window.test)
        outcomes.append(
            WindowOutcome(
                window=window,
                params=best.params,
                train_score=best.score,
                test_result=test_result,
                test_metrics=metrics_of(test_result, risk_free_annual=risk_free_annual),
            )
        )
    equity, metrics = _out_of_sample_metrics([o.test_result for o in outcomes], risk_free_annual)
    return WalkForwardResult(objective, search, tuple(outcomes), equity, metrics)
