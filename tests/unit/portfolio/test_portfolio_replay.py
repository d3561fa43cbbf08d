"""Replaying logged events rebuilds the same books as applying them live."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from aiswarm.portfolio import (
    Deposit,
    Funding,
    LedgerEvent,
    MarkPrice,
    Portfolio,
    replay,
)
from aiswarm.types import InstrumentKind, Side, Symbol, TradeId
from kit.builders import ACCOUNT, SYMBOL, T0, VENUE, fill, instrument

PERP = Symbol("BTC/USDT:USDT")
SPOT = instrument()
PERPETUAL = instrument(symbol=PERP, kind=InstrumentKind.PERPETUAL)
INSTRUMENTS = {(SPOT.venue, SPOT.symbol): SPOT, (PERPETUAL.venue, PERPETUAL.symbol): PERPETUAL}
HOUR = timedelta(hours=1)


def logged_day() -> list[LedgerEvent]:
    """Return a small log: a deposit, spot and perpetual fills, funding and marks."""
    return [
        Deposit(amount=Decimal("10000"), ts_event=T0, ts_init=T0),
        fill(quantity=Decimal("0.1"), price=Decimal("50000"), fee=Decimal("2")),
        fill(
            symbol=PERP,
            trade_id=TradeId("t-2"),
            side=Side.SELL,
            quantity=Decimal("0.2"),
            price=Decimal("50000"),
            fee=Decimal("-0.5"),
        ),
        MarkPrice(venue=VENUE, symbol=SYMBOL, price=Decimal("51000"), ts_event=T0, ts_init=T0),
        MarkPrice(venue=VENUE, symbol=PERP, price=Decimal("51000"), ts_event=T0, ts_init=T0),
        Funding(
            venue=VENUE,
            symbol=PERP,
            rate=Decimal("0.0001"),
            mark=Decimal("51000"),
            ts_event=T0 + HOUR,
            ts_init=T0 + HOUR,
        ),
        fill(
            symbol=PERP, trade_id=TradeId("t-3"), quantity=Decimal("0.05"), price=Decimal("49000")
        ),
    ]


def test_replay_when_log_folded_then_equals_applying_events_one_by_one() -> None:
    # Arrange
    live = Portfolio(ACCOUNT)
    live.transfer(Decimal("10000"))
    live.apply_fill(fill(quantity=Decimal("0.1"), price=Decimal("50000"), fee=Decimal("2")), SPOT)
    live.apply_fill(
        fill(
            symbol=PERP,
            trade_id=TradeId("t-2"),
            side=Side.SELL,
            quantity=Decimal("0.2"),
            price=Decimal("50000"),
            fee=Decimal("-0.5"),
        ),
        PERPETUAL,
    )
    live.mark(VENUE, SYMBOL, Decimal("51000"))
    live.mark(VENUE, PERP, Decimal("51000"))
    live.apply_funding(VENUE, PERP, rate=Decimal("0.0001"), mark=Decimal("51000"), ts=T0 + HOUR)
    live.apply_fill(
        fill(
            symbol=PERP, trade_id=TradeId("t-3"), quantity=Decimal("0.05"), price=Decimal("49000")
        ),
        PERPETUAL,
    )

    # Act
    rebuilt = replay(ACCOUNT, logged_day(), INSTRUMENTS)

    # Assert
    assert rebuilt.snapshot(T0 + HOUR) == live.snapshot(T0 + HOUR)
    assert rebuilt.position(VENUE, PERP) == live.position(VENUE, PERP)


def test_replay_when_fill_logged_twice_then_booked_once() -> None:
    # Arrange
    events = logged_day()
    doubled = [*events, events[1], events[5]]

    # Act
    rebuilt = replay(ACCOUNT, doubled, INSTRUMENTS)

    # Assert
    assert rebuilt.snapshot(T0) == replay(ACCOUNT, events, INSTRUMENTS).snapshot(T0)


def test_replay_when_funding_before_fill_then_funding_owed_on_position_at_that_time() -> None:
    # Arrange: the same events, the funding moved before the perpetual was opened
    events = logged_day()
    reordered = [events[0], events[5], *events[1:5], events[6]]

    # Act
    rebuilt = replay(ACCOUNT, reordered, INSTRUMENTS)

    # Assert
    held = rebuilt.position(VENUE, PERP)
    assert held is not None
    assert held.funding_paid == 0


def test_replay_when_fill_instrument_unknown_then_held_aside_naming_it() -> None:
    # Arrange
    stray = fill(symbol=Symbol("ETH/USDT"))
    events: list[LedgerEvent] = [fill(), stray]

    # Act
    rebuilt = replay(ACCOUNT, events, INSTRUMENTS)

    # Assert: the log replays; the stray fill is a break, unbooked, and the rest is booked
    [held_aside] = rebuilt.breaks
    assert held_aside.fill == stray
    assert "ETH/USDT at binance, which has no instrument configured" in held_aside.reason
    assert rebuilt.position(VENUE, Symbol("ETH/USDT")) is None
    assert rebuilt.position(VENUE, SYMBOL) is not None


def test_replay_when_spot_oversold_fill_logged_then_replays_and_holds_it_aside() -> None:
    # Arrange: a deposit, then a venue fill selling spot BTC that the books never held
    oversell = fill(side=Side.SELL, quantity=Decimal("0.5"), fee=Decimal(0))
    events: list[LedgerEvent] = [Deposit(amount=Decimal("1000"), ts_event=T0, ts_init=T0), oversell]

    # Act
    rebuilt = replay(ACCOUNT, [*events, oversell], INSTRUMENTS)

    # Assert: nothing raised, nothing booked, one break however often the fill is logged
    assert [held.fill for held in rebuilt.breaks] == [oversell]
    assert "cannot go short" in rebuilt.breaks[0].reason
    assert rebuilt.cash == Decimal("1000")
    assert rebuilt.position(VENUE, SYMBOL) is None


def test_replay_when_no_events_then_empty_account() -> None:
    # Act
    rebuilt = replay(ACCOUNT, [], INSTRUMENTS)

    # Assert
    assert rebuilt.cash == 0
    assert rebuilt.snapshot(T0).positions == ()


def test_funding_event_when_mark_not_positive_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="mark"):
        Funding(
            venue=VENUE, symbol=PERP, rate=Decimal("0.01"), mark=Decimal(0), ts_event=T0, ts_init=T0
        )
