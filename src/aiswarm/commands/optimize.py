"""`aiswarm optimize`: search an agent's parameters over a file, or judge the search walk-forward.

Every trial is a real backtest: its setup is built exactly as `aiswarm backtest` builds it
(``commands.backtest.build_setup``: same instrument, mandate, limits, fees and sizing), over the
whole file or over a slice of its bars, and replayed through the full pipeline.

Why the command is synchronous: ``grid_search``, ``random_search`` and ``walk_forward`` call
``run(params)`` synchronously, while ``run_backtest`` is a coroutine. Each trial therefore drives
its own run with ``asyncio.run``, a fresh event loop per trial, which is only legal when no loop
is running, so nothing here may be called from inside one (the CLI calls it directly). A new
loop costs well under a millisecond, nothing next to a backtest, and no loop-bound object
(journal, OMS, venue) outlives its trial.

Walk-forward windows are bar indices into the file. Each run, training or test, is a fresh
account on its window's bars only: the agent starts cold there, so its first bars (the slow
EMA's span, say) are warm-up in every window. Only the test runs are reported.

Every mistake (syntax, an unknown objective or parameter, a parameter set the agent refuses,
too few bars for the windows) is a ``ConfigError`` raised before the first trial runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from aiswarm.backtest.heatmap import score_grids
from aiswarm.backtest.metrics import metrics_of
from aiswarm.backtest.results import BacktestResult, Params, ParamValue
from aiswarm.backtest.runner import run_backtest
from aiswarm.backtest.search import (
    OBJECTIVES,
    Choice,
    FloatRange,
    IntRange,
    Trial,
    check_objective,
    grid_parameter_sets,
    grid_search,
    random_parameter_sets,
    random_search,
    score,
)
from aiswarm.backtest.walk_forward import (
    Span,
    WalkForwardResult,
    WalkForwardWindow,
    dated_windows,
    split_windows,
    walk_forward,
)
from aiswarm.commands.backtest import (
    BacktestOptions,
    build_setup,
    check_params,
    load_bars,
    write_backtest_report,
)
from aiswarm.errors import ConfigError
from aiswarm.market import BarArrays

__all__ = [
    "DEFAULT_SEED",
    "SearchPlan",
    "WalkForwardPlan",
    "optimize_command",
    "parse_grid",
    "parse_ranges",
]

DEFAULT_SEED = 7
"""The seed of ``--random`` when ``--seed`` is not given; the output names the seed used."""

_PARAMS_SOURCE = "--grid/--range"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What to try and how to rank it.

    ``grid`` lists values per parameter; ``ranges`` are only for random search, which draws
    ``random_draws`` sets with ``seed`` (listed grid values become a ``Choice`` there).
    """

    objective: str
    grid: Mapping[str, tuple[ParamValue, ...]]
    ranges: Mapping[str, IntRange | FloatRange]
    random_draws: int | None
    seed: int | None


@dataclass(frozen=True, slots=True)
class WalkForwardPlan:
    """Window lengths in bars; anchored windows keep the first bar and grow."""

    train_bars: int
    test_bars: int
    anchored: bool


def _scalar(text: str, option: str, pair: str) -> ParamValue:
    """Return ``text`` read as a YAML scalar (int, float, bool or string)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, int | float | str):
        raise ConfigError(
            f"{option} {pair!r}: {text.strip()!r} is not a number, true/false or a word; "
            f"write e.g. {option} fast=5,9,12"
        )
    return value


def _split(pair: str, option: str, example: str) -> tuple[str, str]:
    name, sep, text = pair.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier() or not text.strip():
        raise ConfigError(f"{option} {pair!r} is not name=values; write e.g. {option} {example}")
    return name, text


def parse_grid(pairs: Sequence[str]) -> dict[str, tuple[ParamValue, ...]]:
    """Turn ``["fast=5,9,12", "atr_filter=true,false"]`` into values per parameter."""
    grid: dict[str, tuple[ParamValue, ...]] = {}
    for pair in pairs:
        name, text = _split(pair, "--grid", "fast=5,9,12")
        if name in grid:
            raise ConfigError(f"--grid {name} is given twice; list all its values in one --grid")
        pieces = text.split(",")
        if any(not piece.strip() for piece in pieces):
            raise ConfigError(
                f"--grid {pair!r} has an empty value; separate values by single commas, "
                "e.g. --grid fast=5,9,12"
            )
        grid[name] = tuple(_scalar(piece, "--grid", pair) for piece in pieces)
    return grid


def parse_ranges(pairs: Sequence[str]) -> dict[str, IntRange | FloatRange]:
    """Turn ``["fast=3:20", "atr_min_frac=0:0.01"]`` into ``IntRange``/``FloatRange``.

    Two integers make an ``IntRange`` (both ends included); anything else with a decimal point
    makes a ``FloatRange`` ``[low, high)``.
    """
    ranges: dict[str, IntRange | FloatRange] = {}
    for pair in pairs:
        name, text = _split(pair, "--range", "fast=3:20")
        if name in ranges:
            raise ConfigError(f"--range {name} is given twice; give one low:high")
        low_text, sep, high_text = text.partition(":")
        low = _scalar(low_text, "--range", pair) if sep and low_text.strip() else None
        high = _scalar(high_text, "--range", pair) if sep and high_text.strip() else None
        numbers = (low, high)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers):
            raise ConfigError(
                f"--range {pair!r} is not name=low:high with two numbers; "
                "write e.g. --range fast=3:20 or --range atr_min_frac=0:0.01"
            )
        try:
            if isinstance(low, int) and isinstance(high, int):
                ranges[name] = IntRange(low, high)
            else:
                ranges[name] = FloatRange(float(low or 0), float(high or 0))
        except ValueError:
            raise ConfigError(
                f"--range {pair!r} is empty; write low:high with low <= high"
            ) from None
    return ranges


def _describe(params: Params) -> str:
    return " ".join(f"{name}={value}" for name, value in params.items())


def _score_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _check_plan(plan: SearchPlan) -> None:
    """Refuse a plan that cannot run, naming the option to fix."""
    try:
        check_objective(plan.objective)
    except ValueError:
        raise ConfigError(
            f"--objective {plan.objective!r} is unknown; choose one of "
            f"{', '.join(sorted(OBJECTIVES))}"
        ) from None
    overlap = sorted(set(plan.grid) & set(plan.ranges))
    if overlap:
        raise ConfigError(f"{overlap[0]} is given by both --grid and --range; keep one of them")
    if plan.random_draws is None:
        if plan.ranges:
            raise ConfigError("--range needs --random N (a grid search takes --grid values)")
        if plan.seed is not None:
            raise ConfigError("--seed applies to --random N only; drop it or add --random")
        if not plan.grid:
            raise ConfigError("nothing to search: give --grid name=v1,v2 (or --random N --range)")
    elif not (plan.grid or plan.ranges):
        raise ConfigError("--random N needs something to draw: give --range name=low:high")


def _seed(plan: SearchPlan) -> int:
    return DEFAULT_SEED if plan.seed is None else plan.seed


def _random_space(plan: SearchPlan) -> dict[str, IntRange | FloatRange | Choice]:
    space: dict[str, IntRange | FloatRange | Choice] = dict(plan.ranges)
    space.update({name: Choice(values) for name, values in plan.grid.items()})
    return space


def _candidates(plan: SearchPlan) -> list[Params]:
    """Return the parameter sets the search will try, in the order it tries them."""
    if plan.random_draws is None:
        return grid_parameter_sets(plan.grid)
    return random_parameter_sets(_random_space(plan), n=plan.random_draws, seed=_seed(plan))


def _check_candidates(options: BacktestOptions, candidates: Sequence[Params]) -> None:
    """Build the agent for every set once, so a refused set stops the command before any run."""
    check_params(dataclasses.replace(options, params_source="--agent"), {})
    for params in candidates:
        try:
            check_params(options, params)
        except ConfigError as exc:
            raise ConfigError(f"parameter set {_describe(params)}: {exc}") from None


def _slice(bars: BarArrays, span: Span) -> BarArrays:
    """Return bars ``[span.start, span.end)`` as their own series (views, not copies)."""
    cut = slice(span.start, span.end)
    return dataclasses.replace(
        bars,
        ts_ns=bars.ts_ns[cut],
        open=bars.open[cut],
        high=bars.high[cut],
        low=bars.low[cut],
        close=bars.close[cut],
        volume=bars.volume[cut],
    )


def _run(bars: BarArrays, options: BacktestOptions, params: Params, label: str) -> BacktestResult:
    """Replay ``bars`` through the full pipeline once; see the module docstring on the loop."""
    setup = build_setup(bars, options, params, label=label)
    return asyncio.run(run_backtest(setup)).result


class _Counter:
    """Number each run and report it on one line, scored by the objective."""

    def __init__(self, total: int, objective: str, progress: Progress | None) -> None:
        self.total, self.objective, self.progress = total, objective, progress
        self.done = 0

    def report(self, params: Params, result: BacktestResult, where: str) -> None:
        self.done += 1
        if self.progress is not None:
            value = score(metrics_of(result), self.objective)
            self.progress(
                f"run {self.done}/{self.total}{where} {_describe(params)}: "
                f"{self.objective} {_score_text(value)}"
            )


def _trial_row(position: int, trial: Trial) -> dict[str, Any]:
    return {
        "rank": position,
        "params": dict(trial.params),
        "score": trial.score,
        "metrics": trial.metrics.to_dict(),
    }


def _search(
    data: Path,
    bars: BarArrays,
    options: BacktestOptions,
    plan: SearchPlan,
    total: int,
    report_dir: Path | None,
    progress: Progress | None,
) -> dict[str, Any]:
    counter = _Counter(total, plan.objective, progress)

    def run(params: Params) -> BacktestResult:
        result = _run(bars, options, params, data.name)
        counter.report(params, result, "")
        return result

    if plan.random_draws is None:
        trials = grid_search(run, plan.grid, objective=plan.objective)
    else:
        trials = random_search(
            run,
            _random_space(plan),
            n=plan.random_draws,
            seed=_seed(plan),
            objective=plan.objective,
        )
    summary: dict[str, Any] = {
        "trials": [_trial_row(i, t) for i, t in enumerate(trials, start=1)],
        "best": {"params": dict(trials[0].params), "score": trials[0].score},
    }
    if report_dir is not None:
        # A trial keeps only its metrics, so the winner runs once more for its full result.
        best = _run(bars, options, trials[0].params, data.name)
        summary["report"] = write_backtest_report(
            best,
            metrics_of(best),
            bars,
            report_dir,
            title=f"{options.agent} on {data.name}: best of {len(trials)} by {plan.objective}",
            heatmaps=score_grids(trials, plan.grid, plan.objective)
            if plan.random_draws is None
            else (),
        )
    return summary


def _windows(bars: BarArrays, data: Path, walk: WalkForwardPlan) -> tuple[WalkForwardWindow, ...]:
    """Return the windows over the file's bars, dated by the bars' own times."""
    try:
        windows = split_windows(
            0,
            len(bars),
            train_size=walk.train_bars,
            test_size=walk.test_bars,
            anchored=walk.anchored,
        )
    except ValueError:
        raise ConfigError(
            f"--train-bars {walk.train_bars} leaves no test window: {data.name} has "
            f"{len(bars)} bars; pass --train-bars below {len(bars)} (and --test-bars to fit)"
        ) from None
    return dated_windows(windows, bars.ts_ns, bars.interval_s)


def _out_of_sample_result(outcome: WalkForwardResult) -> BacktestResult:
    """Return the test runs laid end to end, for the report's plots and counts.

    The equity is the chained out-of-sample curve; fills and orders are every test run's own.
    Each test run starts flat, so its round trips are paired within it; this merged result
    pairs fills across windows instead, and a position a window ends with is closed by a later
    window's sell. Final cash and positions are the last test run's, at its own scale.
    """
    tests = [o.test_result for o in outcome.outcomes]
    return BacktestResult(
        equity=outcome.equity,
        fills=tuple(fill for result in tests for fill in result.fills),
        orders=tuple(order for result in tests for order in result.orders),
        starting_cash=tests[0].starting_cash,
        final_cash=tests[-1].final_cash,
        final_positions=tests[-1].final_positions,
        params={},
        interval_s=tests[0].interval_s,
    )


def _walk(
    data: Path,
    bars: BarArrays,
    options: BacktestOptions,
    plan: SearchPlan,
    walk: WalkForwardPlan,
    candidates: int,
    report_dir: Path | None,
    progress: Progress | None,
) -> dict[str, Any]:
    windows = _windows(bars, data, walk)
    counter = _Counter(len(windows) * (candidates + 1), plan.objective, progress)

    def run(params: Params, span: Span) -> BacktestResult:
        label = f"{data.name} bars [{span.start}, {span.end})"
        result = _run(_slice(bars, span), options, params, label)
        counter.report(params, result, f" bars [{span.start}, {span.end})")
        return result

    search: Literal["grid", "random"] = "grid" if plan.random_draws is None else "random"
    space: Mapping[str, Sequence[ParamValue]] | Mapping[str, IntRange | FloatRange | Choice]
    space = plan.grid if search == "grid" else _random_space(plan)
    outcome = walk_forward(
        run,
        space,
        windows,
        objective=plan.objective,
        search=search,
        n_samples=plan.random_draws,
        seed=None if plan.random_draws is None else _seed(plan),
    )
    summary: dict[str, Any] = {
        "train_bars": walk.train_bars,
        "test_bars": walk.test_bars,
        "anchored": walk.anchored,
        "walk_forward": outcome.to_dict(),
    }
    if report_dir is not None:
        tested = _slice(bars, Span(windows[0].test.start, len(bars)))
        summary["report"] = write_backtest_report(
            _out_of_sample_result(outcome),
            outcome.metrics,
            tested,
            report_dir,
            title=f"{options.agent} on {data.name}: walk-forward, out of sample",
            trades=[t for o in outcome.outcomes for t in o.test_result.trades],
            walk_forward=outcome,
        )
    return summary


def optimize_command(
    data: Path,
    *,
    options: BacktestOptions,
    symbol: str,
    venue: str,
    plan: SearchPlan,
    walk: WalkForwardPlan | None,
    report_dir: Path | None,
    progress: Progress | None,
) -> dict[str, Any]:
    """Run the search (or the walk-forward) and return its summary, best first.

    Synchronous on purpose: each trial runs its own event loop (see the module docstring), so
    call this from outside any running loop. ``progress`` gets one line per run.
    """
    options = dataclasses.replace(options, params_source=_PARAMS_SOURCE)
    _check_plan(plan)
    candidates = _candidates(plan)
    _check_candidates(options, candidates)
    loaded = load_bars(data, symbol, venue, options.bar_file)
    bars = loaded.bars
    summary: dict[str, Any] = {
        "data": str(data),
        "market_data": loaded.summary(),
        "agent": options.agent,
        "bars": len(bars),
        "objective": plan.objective,
        "search": "grid" if plan.random_draws is None else "random",
        "seed": None if plan.random_draws is None else _seed(plan),
        "candidates": len(candidates),
    }
    if walk is None:
        summary |= _search(data, bars, options, plan, len(candidates), report_dir, progress)
    else:
        summary |= _walk(data, bars, options, plan, walk, len(candidates), report_dir, progress)
    return summary
