"""A funding rate is a market event: later frames carry the symbol's latest rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.market.market_state import MarketState, SymbolSeries
from aiswarm.types import Bar, FundingRate, Symbol, VenueId

VENUE = VenueId("binance")
PERP = Symbol("BTC/USDT:USDT")
_NS = 1_000_000_000


def _bar(minute: int) -> Bar:
    return Bar(
        venue=VENUE,
        symbol=PERP,
        ts_ns=minute * 60 * _NS,
        interval_s=60,
        open=Decimal(100),
        high=Decimal(101),
        low=Decimal(99),
        close=Decimal(100),
        volume=Decimal(1),
    )


def _rate(minute: int, rate: str) -> FundingRate:
    return FundingRate(venue=VENUE, symbol=PERP, ts_ns=minute * 60 * _NS, rate=Decimal(rate))


def _state() -> MarketState:
    state = MarketState()
    state.add(SymbolSeries(VENUE, PERP, 60))
    return state


def test_apply_when_funding_rate_then_later_frames_carry_the_latest_rate() -> None:
    # Arrange
    state = _state()
    state.apply(_bar(0))

    # Act
    series, index = state.apply(_rate(1, "0.0001"))
    state.apply(_bar(1))
    first = state.frame(2 * 60 * _NS).symbols[PERP].funding_rate
    state.apply(_rate(2, "-0.00025"))
    second = state.frame(3 * 60 * _NS).symbols[PERP].funding_rate

    # Assert: the index is the latest closed bar's, whose close values the settlement
    assert (series.symbol, index) == (PERP, 0)
    assert first == 0.0001
    assert second == -0.00025


def test_apply_when_funding_before_any_bar_then_no_bar_index_and_rate_kept() -> None:
    # Arrange
    state = _state()

    # Act
    _, index = state.apply(_rate(0, "0.0003"))
    state.apply(_bar(0))

    # Assert
    assert index == -1
    assert state.frame(60 * _NS).symbols[PERP].funding_rate == 0.0003


def test_apply_when_funding_for_an_untraded_symbol_then_refused_naming_it() -> None:
    # Arrange
    other = FundingRate(venue=VENUE, symbol=Symbol("ETH/USDT:USDT"), ts_ns=0, rate=Decimal(0))

    # Act / Assert
    with pytest.raises(ValueError, match=r"funding rate for ETH/USDT:USDT"):
        _state().apply(other)


def test_frame_when_no_funding_seen_then_rate_is_none() -> None:
    # Arrange
    state = _state()
    state.apply(_bar(0))

    # Act / Assert: spot, or a perpetual before its first settlement
    assert state.frame(60 * _NS).symbols[PERP].funding_rate is None
