"""Add, subtract and multiply money exactly, and say so loudly if that ever becomes impossible.

Python's default ``decimal`` context keeps 28 significant digits and rounds past them without a
word: 123456.123456789 BTC at 65432.12345678 already needs 30. Every sum and product in
``portfolio/`` therefore goes through one context whose precision is far beyond any amount we
book and which traps ``Inexact``, so a result that would need rounding raises
``AccountingError`` instead of drifting by a hidden fraction of a cent.

The one deliberate rounding is ``average``: an average entry price is a quotient, and most
quotients (5 / 3) have no finite decimal form. It is rounded half-even to
``AVERAGE_PRICE_DIGITS`` significant digits, and the callers are written so that this rounding
never reaches NAV or total PnL (see ``position_book``). No I/O.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

from aiswarm.portfolio.errors import AccountingError

__all__ = ["AVERAGE_PRICE_DIGITS", "EXACT_DIGITS", "add", "average", "multiply", "subtract"]

EXACT_DIGITS = 200
"""Significant digits available to exact sums and products; anything longer is refused."""

AVERAGE_PRICE_DIGITS = 28
"""Significant digits of an average entry price (rounded half-even): Python's default."""

_EXACT = Context(
    prec=EXACT_DIGITS,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
_AVERAGE = Context(
    prec=AVERAGE_PRICE_DIGITS,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def _too_long(operation: str, left: Decimal, right: Decimal) -> AccountingError:
    """Return the error for a result that would need more than ``EXACT_DIGITS`` digits."""
    return AccountingError(
        f"{operation} of {left} and {right} needs more than {EXACT_DIGITS} significant digits "
        "and would be rounded: the amounts are implausible for money; check the event's fields"
    )


def add(left: Decimal, right: Decimal) -> Decimal:
    """Return ``left + right`` exactly."""
    try:
        return _EXACT.add(left, right)
    except Inexact:
        raise _too_long("sum", left, right) from None


def subtract(left: Decimal, right: Decimal) -> Decimal:
    """Return ``left - right`` exactly."""
    try:
        return _EXACT.subtract(left, right)
    except Inexact:
        raise _too_long("difference", left, right) from None


def multiply(left: Decimal, right: Decimal) -> Decimal:
    """Return ``left * right`` exactly."""
    try:
        return _EXACT.multiply(left, right)
    except Inexact:
        raise _too_long("product", left, right) from None


def average(total: Decimal, count: Decimal) -> Decimal:
    """Return ``total / count`` rounded half-even to ``AVERAGE_PRICE_DIGITS`` digits.

    Decimal division is correctly rounded, so the result is the exact quotient whenever that
    fits in ``AVERAGE_PRICE_DIGITS`` digits (100.5, 50000) and the nearest such number otherwise.
    """
    return _AVERAGE.divide(total, count)
