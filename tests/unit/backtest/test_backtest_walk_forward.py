"""Specs for walk-forward windows and out-of-sample-only evaluation."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest

from aiswarm.backtest.results import BacktestResult, EquityCurve, Params
from aiswarm.backtest.search import IntRange
from aiswarm.backtest.walk_forward import Span, dated_windows, split_windows, walk_forward

BAR_S = 60
NS = 1_000_000_000


def _growth(bar: int, k: int) -> float:
    """Return bar ``bar``'s return: k pays before bar 50, costs after it (a regime change)."""
    return 0.001 * k if bar < 50 else 0.002 - 0.001 * k


def _result(bars: list[int], equity: list[float], params: Params) -> BacktestResult:
    return BacktestResult(
        equity=EquityCurve(np.array(bars, dtype=np.int64) * BAR_S * NS, np.array(equity)),
        fills=(),
        orders=(),
        starting_cash=Decimal("1000"),
        final_cash=Decimal("1000"),
        final_positions={},
        params=params,
        interval_s=BAR_S,
    )


def _toy_run(
    calls: list[tuple[Params, Span]], *, inclusive_end: bool = False
) -> Callable[[Params, Span], BacktestResult]:
    """Return a deterministic run marking one equity value per bar of the span it is given."""

    def run(params: Params, span: Span) -> BacktestResult:
        calls.append((params, span))
        k = int(params["k"])
        bars = list(range(span.start, span.end + (1 if inclusive_end else 0)))
        equity = [1000.0]
        for bar in bars[1:]:
            equity.append(equity[-1] * (1 + _growth(bar, k)))
        return _result(bars, equity, params)

    return run


def test_split_windows_when_rolling_then_test_spans_tile_the_range_without_overlap() -> None:
    # Act
    windows = split_windows(0, 100, train_size=30, test_size=20)

    # Assert
    tests = [w.test for w in windows]
    assert [(t.start, t.end) for t in tests] == [(30, 50), (50, 70), (70, 90), (90, 100)]
    assert all(a.end == b.start for a, b in itertools.pairwise(tests))
    assert all(w.train.length == 30 and w.train.end == w.test.start for w in windows)


def test_split_windows_when_anchored_then_training_starts_at_range_start_and_grows() -> None:
    # Act
    windows = split_windows(10, 70, train_size=20, test_size=15, anchored=True)

    # Assert
    assert [(w.train.start, w.train.end) for w in windows] == [(10, 30), (10, 45), (10, 60)]
    assert [(w.test.start, w.test.end) for w in windows] == [(30, 45), (45, 60), (60, 70)]


@pytest.mark.parametrize(
    ("start", "end", "train", "test", "message"),
    [
        (0, 100, 0, 10, "must both be positive"),
        (0, 100, 10, -1, "must both be positive"),
        (0, 30, 30, 10, "leaves no test span"),
    ],
)
def test_split_windows_when_sizes_invalid_then_refused(
    start: int, end: int, train: int, test: int, message: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=message):
        split_windows(start, end, train_size=train, test_size=test)


def test_walk_forward_when_run_then_only_test_windows_are_evaluated_out_of_sample() -> None:
    # Arrange
    calls: list[tuple[Params, Span]] = []
    windows = split_windows(0, 100, train_size=30, test_size=20)
    space = {"k": [1, 2, 3]}

    # Act
    result = walk_forward(_toy_run(calls), space, windows, objective="total_return")

    # Assert: each window ran 3 candidates on its training span, then the winner once on test.
    assert len(calls) == len(windows) * 4
    test_spans = {w.test for w in windows}
    train_calls = [c for c in calls if c[1] not in test_spans]
    test_calls = [c for c in calls if c[1] in test_spans]
    assert {span for _, span in train_calls} == {w.train for w in windows}
    assert test_calls == [(o.params, o.window.test) for o in result.outcomes]
    assert all(o.test_result.params == o.params for o in result.outcomes)
    # The reported curve holds test bars only, every one of them once.
    oos_bars = (result.equity.ts_ns // (BAR_S * NS)).tolist()
    assert oos_bars == list(range(30, 100))


def test_walk_forward_when_regime_changes_then_each_window_picks_its_own_best() -> None:
    # Act
    result = walk_forward(
        _toy_run([]),
        {"k": [1, 2, 3]},
        split_windows(0, 100, train_size=30, test_size=20),
        objective="total_return",
    )

    # Assert
    assert [o.params["k"] for o in result.outcomes] == [3, 3, 1, 1]
    assert all(o.train_score is not None for o in result.outcomes)


def test_walk_forward_when_chained_then_total_return_compounds_test_windows() -> None:
    # Act
    result = walk_forward(
        _toy_run([]),
        {"k": [1, 2, 3]},
        split_windows(0, 100, train_size=30, test_size=20),
        objective="total_return",
    )

    # Assert
    expected = math.prod(1 + o.test_metrics.total_return for o in result.outcomes) - 1
    assert result.metrics.total_return == pytest.approx(expected, rel=1e-12)
    assert result.metrics.bars == 70
    json.dumps(result.to_dict(), allow_nan=False)


def test_walk_forward_when_runs_mark_the_boundary_twice_then_it_is_kept_once() -> None:
    # Arrange: each run also marks the bar at span.end, the next window's first bar.
    windows = split_windows(0, 100, train_size=30, test_size=20)

    # Act
    result = walk_forward(
        _toy_run([], inclusive_end=True), {"k": [2]}, windows, objective="total_return"
    )

    # Assert
    oos_bars = (result.equity.ts_ns // (BAR_S * NS)).tolist()
    assert oos_bars == list(range(30, 101))


def test_walk_forward_when_run_strays_outside_its_span_then_refused() -> None:
    # Arrange: a run that marks one bar before its span.
    def run(params: Params, span: Span) -> BacktestResult:
        bars = list(range(span.start - 2, span.end))
        return _result(bars, [1000.0] * len(bars), params)

    # Act / Assert
    with pytest.raises(ValueError, match="must mark only bars inside the span"):
        walk_forward(run, {"k": [1]}, split_windows(0, 100, train_size=30, test_size=20))


def test_walk_forward_when_random_search_then_same_seed_same_choices() -> None:
    # Arrange
    windows = split_windows(0, 100, train_size=30, test_size=20)
    space = {"k": IntRange(1, 3)}

    # Act
    first = walk_forward(
        _toy_run([]), space, windows, search="random", n_samples=6, seed=4, objective="sharpe"
    )
    second = walk_forward(
        _toy_run([]), space, windows, search="random", n_samples=6, seed=4, objective="sharpe"
    )

    # Assert
    assert [o.params for o in first.outcomes] == [o.params for o in second.outcomes]
    assert first.metrics.to_dict() == second.metrics.to_dict()


@pytest.mark.parametrize(
    ("space", "kwargs", "message"),
    [
        ({"k": [1]}, {"objective": "alpha"}, "objective='alpha' is unknown"),
        ({"k": [1]}, {"search": "bayes"}, "search='bayes' is unknown"),
        ({"k": IntRange(1, 3)}, {}, "a grid search needs a list of values"),
        ({"k": [1, 2]}, {"search": "random", "n_samples": 3, "seed": 1}, "needs IntRange"),
        ({"k": IntRange(1, 3)}, {"search": "random"}, "needs n_samples and seed"),
    ],
)
def test_walk_forward_when_misconfigured_then_refused_before_any_run(
    space: dict[str, object], kwargs: dict[str, object], message: str
) -> None:
    # Arrange
    calls: list[tuple[Params, Span]] = []

    # Act / Assert
    with pytest.raises(ValueError, match=message):
        walk_forward(
            _toy_run(calls),
            space,
            split_windows(0, 100, train_size=30, test_size=20),
            **kwargs,
        )
    assert calls == []


def test_walk_forward_when_no_windows_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="no windows"):
        walk_forward(_toy_run([]), {"k": [1]}, [])


def test_dated_windows_when_bars_have_a_gap_then_periods_run_from_first_open_to_last_close() -> (
    None
):
    # Arrange: six one-minute bars with a 100-minute hole after the third
    start_ns = 1_522_800_000 * NS  # 2018-04-04T00:00:00Z
    minutes = [0, 1, 2, 103, 104, 105]
    bar_open_ns = np.array([start_ns + m * BAR_S * NS for m in minutes], dtype=np.int64)
    windows = split_windows(0, 6, train_size=3, test_size=3)

    # Act
    (window,) = dated_windows(windows, bar_open_ns, BAR_S)

    # Assert
    assert window.train_period == Span(start_ns, start_ns + 3 * BAR_S * NS)
    assert window.test_period == Span(start_ns + 103 * BAR_S * NS, start_ns + 106 * BAR_S * NS)


def test_walk_forward_when_windows_dated_then_to_dict_carries_iso_periods() -> None:
    # Arrange
    bar_open_ns = np.arange(0, 100, dtype=np.int64) * BAR_S * NS
    windows = dated_windows(split_windows(0, 100, train_size=60, test_size=40), bar_open_ns, BAR_S)

    # Act
    data = walk_forward(_toy_run([]), {"k": [1, 2]}, windows).to_dict()

    # Assert
    (window,) = data["windows"]
    assert window["train_period"] == ["1970-01-01T00:00:00Z", "1970-01-01T01:00:00Z"]
    assert window["test_period"] == ["1970-01-01T01:00:00Z", "1970-01-01T01:40:00Z"]


def test_walk_forward_when_windows_not_dated_then_periods_null() -> None:
    # Act
    data = walk_forward(
        _toy_run([]), {"k": [1]}, split_windows(0, 100, train_size=60, test_size=40)
    ).to_dict()

    # Assert
    (window,) = data["windows"]
    assert (window["train_period"], window["test_period"]) == (None, None)


def test_dated_windows_when_span_outside_bars_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=r"span \[4, 8\) is not inside the 5 bars"):
        dated_windows(
            split_windows(0, 8, train_size=4, test_size=4), np.arange(5, dtype=np.int64), BAR_S
        )
