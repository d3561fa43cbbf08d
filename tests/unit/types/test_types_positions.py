"""Fill, Position and PortfolioSnapshot shapes and their small derived numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from aiswarm.types import Symbol, VenueId
from kit.builders import SYMBOL, fill, position, snapshot


def test_fill_when_fee_negative_then_accepted_as_rebate() -> None:
    # Act
    built = fill(fee=Decimal("-0.1"), is_maker=True)

    # Assert
    assert built.fee == Decimal("-0.1")


def test_fill_notional_when_built_then_quantity_times_price() -> None:
    # Arrange
    built = fill(quantity=Decimal("0.02"), price=Decimal("50000"))

    # Act / Assert
    assert built.notional == Decimal("1000")


def test_position_when_short_then_notional_positive() -> None:
    # Arrange
    short = position(quantity=Decimal("-0.5"), average_entry_price=Decimal("100"))

    # Act
    result = short.notional(Decimal("110"))

    # Assert
    assert result == Decimal("55.0")
    assert not short.is_flat


def test_position_when_quantity_zero_then_flat() -> None:
    # Act
    flat = position(quantity=Decimal(0), average_entry_price=Decimal(0))

    # Assert
    assert flat.is_flat


def test_position_when_open_without_entry_price_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="average_entry_price is 0"):
        position(quantity=Decimal("1"), average_entry_price=Decimal(0))


def test_drawdown_frac_when_below_peak_then_fraction_of_peak() -> None:
    # Arrange
    built = snapshot(nav=Decimal("9500"), peak_nav=Decimal("10000"))

    # Act / Assert
    assert built.drawdown_frac == Decimal("0.05")


def test_drawdown_frac_when_peak_zero_then_zero() -> None:
    # Arrange
    built = snapshot(cash=Decimal(0), nav=Decimal(0), peak_nav=Decimal(0))

    # Act / Assert
    assert built.drawdown_frac == 0


def test_leverage_when_nav_positive_then_gross_over_nav() -> None:
    # Arrange
    built = snapshot(gross_exposure=Decimal("25000"), nav=Decimal("10000"))

    # Act / Assert
    assert built.leverage == Decimal("2.5")


def test_leverage_when_nav_not_positive_then_none() -> None:
    # Arrange
    built = snapshot(nav=Decimal("-1"), peak_nav=Decimal("10000"), gross_exposure=Decimal(5))

    # Act / Assert
    assert built.leverage is None


def test_snapshot_when_peak_below_nav_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="peak_nav=9000 is below nav=10000"):
        snapshot(peak_nav=Decimal("9000"))


def test_position_lookup_when_held_then_found_else_none() -> None:
    # Arrange
    held = position()
    built = snapshot(positions=(held,))

    # Act / Assert
    assert built.position(held.symbol) == held
    assert built.position(Symbol("ETH/USDT")) is None


def test_position_lookup_when_symbol_at_two_venues_then_venue_required() -> None:
    # Arrange
    first = position(venue=VenueId("binance"))
    second = position(venue=VenueId("hyperliquid"))
    built = snapshot(positions=(first, second))

    # Act / Assert
    assert built.position(first.symbol, VenueId("hyperliquid")) == second
    with pytest.raises(ValueError, match="several venues"):
        built.position(first.symbol)


def test_position_lookup_when_copied_with_other_positions_then_answers_for_the_copy() -> None:
    # Arrange: the original is asked first, so its index exists when it is copied
    held = position()
    original = snapshot(positions=(held,))
    assert original.position(held.symbol) == held

    # Act
    emptied = original.model_copy(update={"positions": ()})
    other = position(symbol=Symbol("ETH/USDT"))
    replaced = original.model_copy(update={"positions": (other,)})

    # Assert
    assert emptied.position(held.symbol) is None
    assert replaced.position(held.symbol) is None
    assert replaced.position(other.symbol) == other
    assert original.position(held.symbol) == held


def test_snapshot_equality_when_one_was_asked_for_a_position_then_unchanged() -> None:
    # Arrange
    asked = snapshot(positions=(position(),))
    asked.position(SYMBOL)

    # Act / Assert: the index is not part of the value
    assert asked == snapshot(positions=(position(),))
    assert "positions_by_symbol" not in asked.model_dump_json()


def test_snapshot_when_symbol_held_twice_at_one_venue_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="more than once"):
        snapshot(positions=(position(), position()))
