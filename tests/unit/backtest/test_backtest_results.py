"""Specs for the backtest result types and FIFO round-trip pairing of fills."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from aiswarm.backtest.results import BacktestResult, EquityCurve, round_trips
from aiswarm.clock import to_ns
from aiswarm.types import Side, Symbol, TradeId, VenueId
from kit.builders import T0, fill


def _at(minutes: int) -> dict[str, object]:
    moment = T0 + timedelta(minutes=minutes)
    return {"ts_event": moment, "ts_init": moment}


def test_round_trips_when_buy_then_sell_then_one_long_trade_net_of_both_fees() -> None:
    # Arrange
    fills = [
        fill(side=Side.BUY, quantity=Decimal("1"), price=Decimal("100"), fee=Decimal("0.1")),
        fill(
            side=Side.SELL,
            quantity=Decimal("1"),
            price=Decimal("110"),
            fee=Decimal("0.2"),
            **_at(5),
        ),
    ]

    # Act
    trades = round_trips(fills)

    # Assert
    assert len(trades) == 1
    trade = trades[0]
    assert trade.side is Side.BUY
    assert trade.quantity == Decimal("1")
    assert (trade.entry_price, trade.exit_price) == (Decimal("100"), Decimal("110"))
    assert trade.fees == Decimal("0.3")
    assert trade.pnl == Decimal("9.7")
    assert trade.entry_ts_ns == to_ns(T0)
    assert trade.exit_ts_ns == to_ns(T0 + timedelta(minutes=5))


def test_round_trips_when_partial_fills_then_paired_first_in_first_out() -> None:
    # Arrange: two buys (1 @ 100, 2 @ 200), then sells of 2 @ 300 and 1 @ 400.
    fills = [
        fill(side=Side.BUY, quantity=Decimal("1"), price=Decimal("100"), fee=Decimal("1")),
        fill(
            side=Side.BUY, quantity=Decimal("2"), price=Decimal("200"), fee=Decimal("2"), **_at(1)
        ),
        fill(
            side=Side.SELL,
            quantity=Decimal("2"),
            price=Decimal("300"),
            fee=Decimal("4"),
            **_at(2),
        ),
        fill(
            side=Side.SELL,
            quantity=Decimal("1"),
            price=Decimal("400"),
            fee=Decimal("3"),
            **_at(3),
        ),
    ]

    # Act
    trades = round_trips(fills)

    # Assert: the first sell closes lot 1 fully and half of lot 2; the second sell the rest.
    assert [(t.quantity, t.entry_price, t.exit_price) for t in trades] == [
        (Decimal("1"), Decimal("100"), Decimal("300")),
        (Decimal("1"), Decimal("200"), Decimal("300")),
        (Decimal("1"), Decimal("200"), Decimal("400")),
    ]
    assert [t.fees for t in trades] == [Decimal("3"), Decimal("3"), Decimal("4")]
    assert [t.pnl for t in trades] == [Decimal("197"), Decimal("97"), Decimal("196")]
    assert sum(t.fees for t in trades) == Decimal("10")


def test_round_trips_when_sell_exceeds_position_then_flips_to_short_lot() -> None:
    # Arrange
    fills = [
        fill(side=Side.BUY, quantity=Decimal("1"), price=Decimal("100"), fee=Decimal("0")),
        fill(
            side=Side.SELL, quantity=Decimal("3"), price=Decimal("90"), fee=Decimal("0"), **_at(1)
        ),
        fill(side=Side.BUY, quantity=Decimal("2"), price=Decimal("80"), fee=Decimal("0"), **_at(2)),
    ]

    # Act
    trades = round_trips(fills)

    # Assert
    assert [(t.side, t.quantity, t.pnl) for t in trades] == [
        (Side.BUY, Decimal("1"), Decimal("-10")),
        (Side.SELL, Decimal("2"), Decimal("20")),
    ]


def test_round_trips_when_fee_split_in_thirds_then_pieces_add_up_exactly() -> None:
    # Arrange
    fills = [
        fill(side=Side.BUY, quantity=Decimal("3"), price=Decimal("10"), fee=Decimal("1")),
        *[
            fill(
                side=Side.SELL,
                quantity=Decimal("1"),
                price=Decimal("10"),
                fee=Decimal("0"),
                trade_id=TradeId(f"t-{i}"),
                **_at(i),
            )
            for i in (1, 2, 3)
        ],
    ]

    # Act
    trades = round_trips(fills)

    # Assert
    assert sum(t.fees for t in trades) == Decimal("1")


def test_round_trips_when_symbols_and_venues_differ_then_paired_separately() -> None:
    # Arrange
    fills = [
        fill(side=Side.BUY, quantity=Decimal("1"), price=Decimal("100"), fee=Decimal("0")),
        fill(
            side=Side.SELL,
            venue=VenueId("kraken"),
            quantity=Decimal("1"),
            price=Decimal("101"),
            fee=Decimal("0"),
            **_at(1),
        ),
        fill(
            side=Side.SELL,
            symbol=Symbol("ETH/USDT"),
            quantity=Decimal("1"),
            price=Decimal("102"),
            fee=Decimal("0"),
            **_at(2),
        ),
    ]

    # Act
    trades = round_trips(fills)

    # Assert: three separate open lots, no round trip.
    assert trades == []


def test_round_trips_when_fee_in_base_currency_then_refused_naming_the_fill() -> None:
    # Arrange
    fills = [fill(fee=Decimal("0.0001"), fee_currency="BTC", trade_id=TradeId("t-9"))]

    # Act / Assert
    with pytest.raises(ValueError, match=r"trade_id=t-9 .* not in the quote currency"):
        round_trips(fills)


def test_equity_curve_when_timestamps_not_increasing_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=r"ts_ns\[2\]=1 does not follow ts_ns\[1\]=2"):
        EquityCurve(np.array([0, 2, 1]), np.array([1.0, 1.0, 1.0]))


@pytest.mark.parametrize(
    ("ts", "equity", "message"),
    [
        ([], [], "empty"),
        ([0, 1], [1.0], "one equity value for each timestamp"),
        ([0, 1], [1.0, float("nan")], "not finite"),
        ([0, 1], [0.0, 1.0], "not positive"),
    ],
)
def test_equity_curve_when_invalid_then_refused_with_reason(
    ts: list[int], equity: list[float], message: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=message):
        EquityCurve(np.array(ts, dtype=np.int64), np.array(equity))


def test_equity_curve_when_built_then_arrays_are_read_only_copies() -> None:
    # Arrange
    equity = np.array([1.0, 2.0])

    # Act
    curve = EquityCurve(np.array([0, 1]), equity)
    equity[0] = 5.0

    # Assert
    assert curve.equity[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        curve.equity[0] = 3.0


def test_backtest_result_when_built_then_trades_fees_and_notional_come_from_fills() -> None:
    # Arrange
    fills = (
        fill(side=Side.BUY, quantity=Decimal("2"), price=Decimal("100"), fee=Decimal("0.5")),
        fill(
            side=Side.SELL,
            quantity=Decimal("2"),
            price=Decimal("105"),
            fee=Decimal("0.5"),
            **_at(1),
        ),
    )

    # Act
    result = BacktestResult(
        equity=EquityCurve(np.array([0, 60_000_000_000]), np.array([1000.0, 1009.0])),
        fills=fills,
        orders=(),
        starting_cash=Decimal("1000"),
        final_cash=Decimal("1009"),
        final_positions={},
        params={"fast": 5},
        interval_s=60,
    )

    # Assert
    assert result.bars == 2
    assert result.fills_count == 2
    assert result.fees_total == Decimal("1.0")
    assert result.traded_notional == Decimal("410")
    assert [t.pnl for t in result.trades] == [Decimal("9.0")]


def test_backtest_result_when_interval_not_positive_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="interval_s=0"):
        BacktestResult(
            equity=EquityCurve(np.array([0]), np.array([1.0])),
            fills=(),
            orders=(),
            starting_cash=Decimal("1"),
            final_cash=Decimal("1"),
            final_positions={},
            params={},
            interval_s=0,
        )
