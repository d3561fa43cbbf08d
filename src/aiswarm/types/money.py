"""Turn prices, quantities and cash into exact ``Decimal`` values, and refuse floats. No I/O.

A float such as ``0.1`` is already wrong before it reaches us (it is 0.1000000000000000055...),
so money fields refuse floats outright and tell the caller to pass a ``Decimal`` or a string.
Strings and ints are converted exactly; NaN and infinities are refused. Serialised to JSON, the
values are strings, so a round trip through JSON loses nothing.

The annotated types below carry that rule into any pydantic model:

    Money        any finite amount (cash, PnL, a signed position quantity)
    NonNegative  finite and >= 0 (fees paid, minimum notional, exposure)
    Price        finite and > 0 (prices, tick size)
    Quantity     finite and > 0 (order and fill quantities, step size)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationInfo

__all__ = ["Money", "NonNegative", "Price", "Quantity", "to_decimal"]


def to_decimal(value: object, name: str = "value") -> Decimal:
    """Return ``value`` as an exact, finite ``Decimal``, or say why it cannot be one.

    Accepts ``Decimal``, ``int`` and numeric strings. Refuses floats (inexact), booleans, NaN
    and infinities. ``name`` is the field or argument named in the error message.

    Raises:
        TypeError: ``value`` is a float, a bool or not a number at all.
        ValueError: ``value`` is a string that is not a number, or is NaN or infinite.
    """
    if type(value) is Decimal and value.is_finite():
        return value  # the common case, first: money is already exact
    if isinstance(value, float):
        raise TypeError(
            f"{name}={value!r} is a float, and money must be exact: "
            f"pass Decimal('{value!r}') or the string '{value!r}' instead"
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"{name}={value!r} ({type(value).__name__}) is not a number: "
            "pass a Decimal, an int or a numeric string"
        )
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(
                f"{name}={value!r} is not a number: pass a Decimal or a string such as '0.1'"
            ) from None
    if not number.is_finite():
        raise ValueError(f"{name}={value!r} is not finite: money must be a finite number")
    return number


def _validate_exact(value: object, info: ValidationInfo) -> Decimal:
    """Convert a field's input with ``to_decimal``, as a ValueError pydantic reports per field."""
    if type(value) is Decimal and value.is_finite():
        return value  # what to_decimal returns for it, without naming the field first
    try:
        return to_decimal(value, info.field_name or "value")
    except TypeError as error:
        # pydantic turns only ValueError into a ValidationError; a TypeError would escape raw.
        raise ValueError(str(error)) from None


Money = Annotated[Decimal, BeforeValidator(_validate_exact)]
NonNegative = Annotated[Decimal, BeforeValidator(_validate_exact), Field(ge=0)]
Price = Annotated[Decimal, BeforeValidator(_validate_exact), Field(gt=0)]
Quantity = Annotated[Decimal, BeforeValidator(_validate_exact), Field(gt=0)]
