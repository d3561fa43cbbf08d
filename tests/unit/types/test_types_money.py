"""Money fields: exact Decimals in, floats, NaN and infinity refused with a usable message."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from aiswarm.types import to_decimal
from kit.builders import fill, instrument, position


def test_money_field_when_float_then_refused_naming_field_and_fix() -> None:
    # Arrange
    price = 0.1

    # Act
    with pytest.raises(ValidationError) as raised:
        fill(price=price)

    # Assert
    message = str(raised.value)
    assert "price=0.1 is a float" in message
    assert "Decimal('0.1')" in message
    assert "'0.1'" in message


def test_money_field_when_string_or_int_then_converted_exactly() -> None:
    # Arrange / Act
    built = fill(price="50000.10", quantity=2)

    # Assert
    assert built.price == Decimal("50000.10")
    assert isinstance(built.price, Decimal)
    assert built.quantity == Decimal(2)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", Decimal("NaN"), Decimal("Inf")])
def test_money_field_when_not_finite_then_refused(value: object) -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match=r"fee=.* is not finite"):
        fill(fee=value)


def test_money_field_when_bool_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="realised_pnl=True"):
        position(realised_pnl=True)


def test_money_field_when_not_a_number_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="tick_size='abc' is not a number"):
        instrument(tick_size="abc")


def test_to_decimal_when_float_then_type_error_names_argument() -> None:
    # Act / Assert
    with pytest.raises(TypeError, match=r"mark=1\.5 is a float"):
        to_decimal(1.5, "mark")


def test_to_decimal_when_decimal_then_returned_unchanged() -> None:
    # Arrange
    value = Decimal("1.2300")

    # Act
    result = to_decimal(value)

    # Assert
    assert str(result) == "1.2300"
