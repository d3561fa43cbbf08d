"""Instrument quantization rounds the safe way, exactly, and minimums name their numbers."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from pydantic import ValidationError

from aiswarm.types import Side
from kit.builders import instrument


def test_quantize_quantity_when_between_steps_then_rounds_down() -> None:
    # Arrange
    market = instrument(step_size=Decimal("0.001"))

    # Act
    result = market.quantize_quantity(Decimal("1.23999"))

    # Assert
    assert result == Decimal("1.239")
    assert str(result) == "1.239"


def test_quantize_quantity_when_on_step_then_unchanged() -> None:
    # Arrange
    market = instrument(step_size=Decimal("0.001"))

    # Act
    result = market.quantize_quantity(Decimal("1.239"))

    # Assert
    assert result == Decimal("1.239")


def test_quantize_quantity_when_more_digits_than_step_then_exponent_matches_step() -> None:
    # Arrange
    market = instrument(step_size=Decimal("0.01"))

    # Act
    result = market.quantize_quantity(Decimal("3"))

    # Assert
    assert str(result) == "3.00"


def test_quantize_quantity_when_below_one_step_then_zero() -> None:
    # Arrange
    market = instrument(step_size=Decimal("0.001"))

    # Act
    result = market.quantize_quantity(Decimal("0.0009"))

    # Assert
    assert result == 0


def test_quantize_quantity_when_step_not_power_of_ten_then_multiple_of_step() -> None:
    # Arrange
    market = instrument(step_size=Decimal("0.5"))

    # Act
    result = market.quantize_quantity(Decimal("2.99"))

    # Assert
    assert result == Decimal("2.5")


def test_quantize_quantity_when_more_digits_than_context_precision_then_never_rounds_up() -> None:
    # Arrange: 31 nines would round up to 1 in the default 28-digit context
    market = instrument(step_size=Decimal("1"))
    quantity = Decimal("0." + "9" * 31)

    # Act
    result = market.quantize_quantity(quantity)

    # Assert
    assert result == 0


def test_quantize_quantity_when_negative_then_refused() -> None:
    # Arrange
    market = instrument()

    # Act / Assert
    with pytest.raises(ValueError, match="quantity=-1 is negative"):
        market.quantize_quantity(Decimal("-1"))


def test_quantize_quantity_when_float_then_refused() -> None:
    # Arrange
    market = instrument()

    # Act / Assert
    with pytest.raises(TypeError, match=r"quantity=0\.1 is a float"):
        market.quantize_quantity(0.1)  # type: ignore[arg-type]


def test_quantize_price_when_buy_between_ticks_then_rounds_down() -> None:
    # Arrange
    market = instrument(tick_size=Decimal("0.5"))

    # Act
    result = market.quantize_price(Decimal("100.9"), Side.BUY)

    # Assert
    assert result == Decimal("100.5")


def test_quantize_price_when_sell_between_ticks_then_rounds_up() -> None:
    # Arrange
    market = instrument(tick_size=Decimal("0.5"))

    # Act
    result = market.quantize_price(Decimal("100.1"), Side.SELL)

    # Assert
    assert result == Decimal("100.5")


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_quantize_price_when_on_tick_then_unchanged(side: Side) -> None:
    # Arrange
    market = instrument(tick_size=Decimal("0.01"))

    # Act
    result = market.quantize_price(Decimal("50000.25"), side)

    # Assert
    assert result == Decimal("50000.25")
    assert str(result) == "50000.25"


def test_quantize_price_when_buy_below_one_tick_then_refused() -> None:
    # Arrange
    market = instrument(tick_size=Decimal("0.01"))

    # Act / Assert
    with pytest.raises(ValueError, match="rounds down to 0"):
        market.quantize_price(Decimal("0.001"), Side.BUY)


def test_quantize_price_when_sell_below_one_tick_then_one_tick() -> None:
    # Arrange
    market = instrument(tick_size=Decimal("0.01"))

    # Act
    result = market.quantize_price(Decimal("0.001"), Side.SELL)

    # Assert
    assert result == Decimal("0.01")


def test_quantize_price_when_not_positive_then_refused() -> None:
    # Arrange
    market = instrument()

    # Act / Assert
    with pytest.raises(ValueError, match="price=0 is not positive"):
        market.quantize_price(Decimal(0), Side.SELL)


def test_round_price_to_tick_when_half_even_then_nearest_tick() -> None:
    # Arrange
    market = instrument(tick_size=Decimal("0.5"))

    # Act
    result = market.round_price_to_tick(Decimal("100.3"), ROUND_HALF_EVEN)

    # Assert
    assert result == Decimal("100.5")


def test_round_price_to_tick_when_mode_unsupported_then_refused() -> None:
    # Arrange
    market = instrument()

    # Act / Assert
    with pytest.raises(ValueError, match="not supported"):
        market.round_price_to_tick(Decimal("100"), ROUND_HALF_UP)


def test_is_on_tick_and_step_when_multiple_then_true_else_false() -> None:
    # Arrange
    market = instrument(tick_size=Decimal("0.05"), step_size=Decimal("0.001"))

    # Act / Assert
    assert market.is_on_tick(Decimal("100.15"))
    assert not market.is_on_tick(Decimal("100.11"))
    assert market.is_on_step(Decimal("1.000"))
    assert not market.is_on_step(Decimal("1.0001"))


def test_check_minimums_when_both_met_then_empty() -> None:
    # Arrange
    market = instrument(min_quantity=Decimal("0.0001"), min_notional=Decimal("5"))

    # Act
    violations = market.check_minimums(Decimal("0.001"), Decimal("5000"))

    # Assert
    assert violations == []


def test_check_minimums_when_quantity_below_then_names_field_value_and_limit() -> None:
    # Arrange
    market = instrument(min_quantity=Decimal("0.0001"), min_notional=Decimal("0"))

    # Act
    violations = market.check_minimums(Decimal("0.00001"), Decimal("50000"))

    # Assert
    assert [str(violation) for violation in violations] == [
        "quantity=0.00001 is below min_quantity=0.0001"
    ]
    assert violations[0].field == "quantity"


def test_check_minimums_when_notional_below_then_shows_quantity_and_price() -> None:
    # Arrange
    market = instrument(min_quantity=Decimal("0.0001"), min_notional=Decimal("5"))

    # Act
    violations = market.check_minimums(Decimal("0.001"), Decimal("4900"))

    # Assert
    assert len(violations) == 1
    assert violations[0].field == "notional"
    assert violations[0].value == Decimal("4.9")
    assert str(violations[0]) == (
        "notional=4.900 (quantity 0.001 x price 4900) is below min_notional=5"
    )


def test_check_minimums_when_notional_exactly_at_limit_then_allowed() -> None:
    # Arrange
    market = instrument(min_notional=Decimal("5"))

    # Act
    violations = market.check_minimums(Decimal("0.001"), Decimal("5000"))

    # Assert
    assert violations == []


@pytest.mark.parametrize("field", ["tick_size", "step_size", "min_quantity"])
def test_instrument_when_increment_not_positive_then_refused(field: str) -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match=field):
        instrument(**{field: Decimal(0)})


def test_instrument_when_min_notional_zero_then_allowed() -> None:
    # Act
    market = instrument(min_notional=Decimal(0))

    # Assert
    assert market.min_notional == 0


def test_instrument_when_changed_after_build_then_refused() -> None:
    # Arrange
    market = instrument()

    # Act / Assert
    with pytest.raises(ValidationError, match="frozen"):
        market.tick_size = Decimal("1")  # type: ignore[misc]
