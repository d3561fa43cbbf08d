"""Specs for the backtest result types and the round trips (flat to flat) of fills."""

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


def test_round_trips_when_scaled_in_and_out_then_one_trade_from_flat_to_flat() -> None:
    # Arrange: two buys (1 @ 100, 2 @ 200), then sells of 2 @ 300 and 1 @ 400: one round trip.
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

    # Assert: bought 500 for 3, sold 1000 for 3; 10 in fees.
    assert len(trades) == 1
    trade = trades[0]
    assert (trade.side, trade.quantity, trade.fills) == (Side.BUY, Decimal("3"), 4)
    assert trade.entry_price * 3 == pytest.approx(Decimal("500"), abs=Decimal("1e-20"))
    assert trade.exit_price * 3 == pytest.approx(Decimal("1000"), abs=Decimal("1e-20"))
    assert trade.fees == Decimal("10")
    assert trade.pnl == Decimal("490")
    assert (trade.entry_ts_ns, trade.exit_ts_ns) == (to_ns(T0), to_ns(T0 + timedelta(minutes=3)))


def test_round_trips_when_position_reduced_then_added_then_trade_ends_only_when_flat() -> None:
    # Arrange: buy 2, sell 1, buy 1, sell 2: the position never returns to zero until the end.
    steps = [(Side.BUY, "2", "100"), (Side.SELL, "1", "110"), (Side.BUY, "1", "90")]
    steps.append((Side.SELL, "2", "120"))
    fills = [
        fill(
            side=side,
            quantity=Decimal(quantity),
            price=Decimal(price),
            fee=Decimal("0"),
            trade_id=TradeId(f"t-{minute}"),
            **_at(minute),
        )
        for minute, (side, quantity, price) in enumerate(steps)
    ]

    # Act
    trades = round_trips(fills)

    # Assert: cash out 200 + 90, cash in 110 + 240.
    assert [(t.quantity, t.pnl, t.fills) for t in trades] == [(Decimal("3"), Decimal("60"), 4)]


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
    assert [(t.entry_ts_ns, t.exit_ts_ns) for t in trades] == [
        (to_ns(T0), to_ns(T0 + timedelta(minutes=1))),
        (to_ns(T0 + timedelta(minutes=1)), to_ns(T0 + timedelta(minutes=2))),
    ]


def test_round_trips_when_reversing_fill_has_fee_then_fee_split_by_quantity_exactly() -> None:
    # Arrange: long 1, then one sell of 3 closes it and opens a short of 2; fee 1 for the sell.
    fills = [
        fill(side=Side.BUY, quantity=Decimal("1"), price=Decimal("100"), fee=Decimal("0")),
        fill(
            side=Side.SELL, quantity=Decimal("3"), price=Decimal("90"), fee=Decimal("1"), **_at(1)
        ),
        fill(side=Side.BUY, quantity=Decimal("2"), price=Decimal("80"), fee=Decimal("0"), **_at(2)),
    ]

    # Act
    trades = round_trips(fills)

    # Assert: a third of the fee closes the long, the exact rest opens the short.
    assert trades[0].fees == Decimal("0.333333333333")
    assert trades[1].fees == Decimal("0.666666666667")
    assert trades[0].fees + trades[1].fees == Decimal("1")
    assert [t.fills for t in trades] == [2, 2]


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
