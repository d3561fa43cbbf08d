"""Turn prices, quantities and cash into exact ``Decimal`` values, and refuse floats. No I/O.

A float such as ``0.1`` is already wrong before it reaches us (it is 0.1000000000000000055...),
so money fields refuse floats outright and tell the caller to pass a ``Decimal`` or a string.
Strings and ints are converted exactly; NaN and infinities are refused. Serialised to JSON, the
values are strings, so a round trip through JSON loses nothing.

Back to text: ``plain`` is the exact value without exponent or trailing zeros (what approvals
sign, refusals cite and the API and CLI show), ``money_text`` a rounded figure for people.

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

__all__ = ["Money", "NonNegative", "Price", "Quantity", "money_text", "plain", "to_decimal"]


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


def plain(value: Decimal) -> str:
    """Return ``value`` exactly, in fixed-point text without exponent or trailing zeros.

    ``Decimal("4900.000")`` reads ``4900``, ``Decimal("0E-8")`` reads ``0`` and
    ``Decimal("1E+3")`` reads ``1000``. Nothing is rounded, whatever the context precision, so
    ``Decimal(plain(x)) == x``: the approvals' canonical decimal (docs/approvals.md) is this text,
    so it refuses anything but a ``Decimal`` (TypeError) rather than spell a float.
    """
    if value.__class__ is not Decimal:
        raise TypeError(f"expected a Decimal, got {value!r} ({type(value).__name__})")
    text = str(value)  # fixed point already unless the exponent is large either way
    if "E" in text:
        text = format(value, "f")
    if text[-1] == "0" and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def money_text(value: Decimal, places: int) -> str:
    """Return ``value`` rounded half-even to ``places`` decimals, thousands grouped: ``-1,234.50``.

    For people reading an amount in a currency known to ``places`` decimals (2 for USD). A
    value that rounds to zero reads ``0.00``, never ``-0.00``.
    """
    text = f"{value:,.{places}f}"
    if text[0] == "-" and not text.strip("-0.,"):
        return text[1:]
    return text


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
