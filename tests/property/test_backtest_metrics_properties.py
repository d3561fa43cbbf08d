"""Invariants of backtest metrics and round-trip pairing over generated inputs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.backtest.metrics import compute_metrics, max_drawdown
from aiswarm.backtest.results import EquityCurve, round_trips
from aiswarm.clock import to_ns
from aiswarm.types import Side, TradeId
from kit.builders import fill

T0 = datetime(2024, 1, 1, tzinfo=UTC)
NS = 1_000_000_000

equity_series = st.lists(
    st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)


def _curve(equity: list[float]) -> EquityCurve:
    return EquityCurve(np.arange(len(equity), dtype=np.int64) * 60 * NS, np.array(equity))


def _brute_force_drawdown(equity: list[float]) -> float:
    """Return the largest fall from any mark to any later mark, as a fraction of the first."""
    worst = 0.0
    for i, high in enumerate(equity):
        for low in equity[i:]:
            worst = max(worst, 1.0 - low / high)
    return worst


@given(equity_series)
def test_max_drawdown_when_equity_positive_then_in_unit_range_and_equals_brute_force(
    equity: list[float],
) -> None:
    # Act
    drawdown = max_drawdown(_curve(equity))

    # Assert
    assert 0.0 <= drawdown.max_drawdown_frac <= 1.0
    assert drawdown.max_drawdown_frac == _brute_force_drawdown(equity)
    assert 0.0 <= drawdown.duration_s <= (len(equity) - 1) * 60


@given(equity_series)
def test_total_return_when_computed_then_matches_first_and_last_equity(
    equity: list[float],
) -> None:
    # Act
    metrics = compute_metrics(
        _curve(equity),
        [],
        traded_notional=Decimal(0),
        total_fees=Decimal(0),
        fills_count=0,
    )

    # Assert
    assert metrics.total_return == equity[-1] / equity[0] - 1.0
    for name in ("sharpe", "sortino", "annualised_return", "turnover"):
        value = getattr(metrics, name)
        assert value is None or np.isfinite(value)
        assert (value is None) == (name in metrics.notes)


legs = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=50),
        st.integers(min_value=1, max_value=1_000),
        st.integers(min_value=0, max_value=30),
    ),
    min_size=1,
    max_size=30,
)


@given(legs)
def test_round_trips_when_position_ends_flat_then_trade_pnls_sum_to_cash_change(
    generated: list[tuple[Side, int, int, int]],
) -> None:
    # Arrange: close whatever is open with one last fill, so the position ends flat.
    position = sum(side.sign * qty for side, qty, _, _ in generated)
    if position:
        closing = Side.SELL if position > 0 else Side.BUY
        generated = [*generated, (closing, abs(position), 500, 7)]
    fills = [
        fill(
            side=side,
            quantity=Decimal(qty) / 10,
            price=Decimal(price),
            fee=Decimal(fee) / 100,
            trade_id=TradeId(f"t-{i}"),
            ts_event=T0 + timedelta(seconds=i),
            ts_init=T0 + timedelta(seconds=i),
        )
        for i, (side, qty, price, fee) in enumerate(generated)
    ]

    # Act
    trades = round_trips(fills)

    # Assert: exact, in Decimal.
    cash_change = sum((-f.side.sign * f.notional - f.fee for f in fills), Decimal(0))
    assert sum((t.pnl for t in trades), Decimal(0)) == cash_change
    assert sum((t.fees for t in trades), Decimal(0)) == sum((f.fee for f in fills), Decimal(0))


@given(legs)
def test_round_trips_when_generated_then_one_trade_per_return_to_flat_or_reversal_in_order(
    generated: list[tuple[Side, int, int, int]],
) -> None:
    # Arrange
    fills = [
        fill(
            side=side,
            quantity=Decimal(qty) / 10,
            price=Decimal(price),
            fee=Decimal(fee) / 100,
            trade_id=TradeId(f"t-{i}"),
            ts_event=T0 + timedelta(seconds=i),
            ts_init=T0 + timedelta(seconds=i),
        )
        for i, (side, qty, price, fee) in enumerate(generated)
    ]
    ends = []  # the index of each fill that brings the position to zero or through it
    position = 0
    for i, (side, qty, _, _) in enumerate(generated):
        after = position + side.sign * qty
        if position and (after == 0 or (after > 0) != (position > 0)):
            ends.append(i)
        position = after

    # Act
    trades = round_trips(fills)

    # Assert: each trade ends at its own flattening fill, and the next starts no earlier
    assert [t.exit_ts_ns for t in trades] == [to_ns(T0 + timedelta(seconds=i)) for i in ends]
    assert all(a.exit_ts_ns <= b.entry_ts_ns for a, b in itertools.pairwise(trades))
    assert all(t.quantity > 0 and t.fills >= 2 for t in trades)
