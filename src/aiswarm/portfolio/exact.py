"""Add, subtract and multiply money exactly, and say so loudly if that ever becomes impossible.

Python's default ``decimal`` context keeps 28 significant digits and rounds past them without a
word: 123456.123456789 BTC at 65432.12345678 already needs 30. Every sum and product in
``portfolio/`` therefore goes through one context whose precision is far beyond any amount we
book and which traps ``Inexact``, so a result that would need rounding raises
``AccountingError`` instead of drifting by a hidden fraction of a cent.

Two quotients are rounded on purpose, because most quotients (5 / 3) have no finite decimal
form. ``average``, an average entry price, is rounded half-even to ``AVERAGE_PRICE_DIGITS``
significant digits, and the callers are written so that this rounding never reaches NAV or total
PnL (see ``position_book``). ``rescale``, a drawdown baseline carried across a deposit or a
withdrawal, is rounded up to ``BASELINE_DIGITS`` digits, so a baseline never reads below its
exact value and drawdown never reads less than it is (see ``baselines``). No I/O.
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

from aiswarm.portfolio.errors import AccountingError

__all__ = [
    "AVERAGE_PRICE_DIGITS",
    "BASELINE_DIGITS",
    "EXACT_DIGITS",
    "add",
    "average",
    "multiply",
    "rescale",
    "subtract",
]

EXACT_DIGITS = 200
"""Significant digits available to exact sums and products; anything longer is refused."""

AVERAGE_PRICE_DIGITS = 28
"""Significant digits of an average entry price (rounded half-even): Python's default."""

BASELINE_DIGITS = 28
"""Significant digits of a rescaled baseline (rounded toward +infinity)."""

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
_CEILING = Context(
    prec=BASELINE_DIGITS,
    rounding=ROUND_CEILING,
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


def rescale(value: Decimal, numerator: Decimal, denominator: Decimal) -> Decimal:
    """Return ``value x numerator / denominator`` rounded toward +infinity.

    The product is exact and so is the quotient whenever it fits in ``BASELINE_DIGITS``
    significant digits (10000 x 18200 / 9100 is 20000); otherwise it is rounded up to them.
    """
    return _CEILING.divide(multiply(value, numerator), denominator)
