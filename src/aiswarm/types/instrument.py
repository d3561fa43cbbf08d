"""Describe a tradable market and round prices and quantities to what it accepts. No I/O.

Rounding always goes the safe way, so a quantized order never asks for more than the caller did:

* quantities round DOWN to the step size (never above the input, never below zero);
* BUY limit prices round DOWN and SELL limit prices round UP to the tick size, so we never pay
  more, or sell for less, than was asked.

All arithmetic is exact: values are converted to fractions, divided, rounded to a whole number of
steps or ticks, and rebuilt with the step's or tick's exponent. The result's ``str()`` is stable
and quantizing it again changes nothing, whatever the size of the numbers (no ``Decimal``
context precision is involved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal

from aiswarm.types._model import FrozenModel
from aiswarm.types.enums import InstrumentKind, Side
from aiswarm.types.ids import Symbol, VenueId
from aiswarm.types.money import NonNegative, Price, Quantity, to_decimal

__all__ = ["Instrument", "MinimumViolation"]


def _floor(numerator: int, denominator: int) -> int:
    return numerator // denominator


def _ceiling(numerator: int, denominator: int) -> int:
    return -((-numerator) // denominator)


def _toward_zero(numerator: int, denominator: int) -> int:
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


def _half_even(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        return quotient + 1
    return quotient


# Integer rounding of numerator / denominator (denominator > 0), exact at any size.
_ROUNDERS: Mapping[str, Callable[[int, int], int]] = {
    ROUND_FLOOR: _floor,
    ROUND_CEILING: _ceiling,
    ROUND_DOWN: _toward_zero,
    ROUND_HALF_EVEN: _half_even,
}


def _build(coefficient: int, exponent: int) -> Decimal:
    """Return ``coefficient x 10**exponent`` exactly, whatever the context precision.

    Built from text, which the ``Decimal`` constructor always reads exactly and keeps at the
    given exponent (faster than a digit tuple).
    """
    return Decimal(f"{coefficient}E{exponent}")


def _split(value: Decimal) -> tuple[int, int]:
    """Return ``(coefficient, exponent)`` with ``value == coefficient x 10**exponent``."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # unreachable: to_decimal and the model refuse NaN, inf
        raise ValueError(f"{value} is not finite")
    numerator, denominator = value.as_integer_ratio()
    if exponent >= 0:
        return numerator // 10**exponent, exponent
    # value = numerator / denominator exactly, so this division leaves no remainder.
    return numerator * 10**-exponent // denominator, exponent


def _as_integers(value: Decimal, increment: Decimal) -> tuple[int, int]:
    """Return integers ``(v, s)`` with ``value / increment == v / s`` and ``s > 0``.

    ``increment`` (a tick or step size) is above 0, so ``s`` is too.
    """
    value_numerator, value_denominator = value.as_integer_ratio()
    step_numerator, step_denominator = increment.as_integer_ratio()
    return value_numerator * step_denominator, value_denominator * step_numerator


def _round_to_multiple(value: Decimal, increment: Decimal, rounding: str) -> Decimal:
    """Return ``value`` rounded to a whole multiple of ``increment``, with its exponent."""
    numerator, denominator = _as_integers(value, increment)
    count = _ROUNDERS[rounding](numerator, denominator)
    coefficient, exponent = _split(increment)
    return _build(count * coefficient, exponent)


def _multiply(left: Decimal, right: Decimal) -> Decimal:
    """Return ``left x right`` exactly (the default context would round past 28 digits)."""
    left_coefficient, left_exponent = _split(left)
    right_coefficient, right_exponent = _split(right)
    return _build(left_coefficient * right_coefficient, left_exponent + right_exponent)


def _is_multiple(value: Decimal, increment: Decimal) -> bool:
    """Return whether ``value`` is an exact whole multiple of ``increment``."""
    numerator, denominator = _as_integers(value, increment)
    return numerator % denominator == 0


class MinimumViolation(FrozenModel):
    """Say which venue minimum an order breaks, with the numbers that decided it."""

    field: Literal["quantity", "notional"]
    value: NonNegative
    limit: NonNegative
    message: str

    def __str__(self) -> str:
        """Return the human-readable message, e.g. for a refusal's detail."""
        return self.message


class Instrument(FrozenModel):
    """A market at one venue with its tick size, step size and order minimums.

    ``tick_size`` is the price increment, ``step_size`` the quantity increment (in base units),
    ``min_quantity`` the smallest order quantity (base units) and ``min_notional`` the smallest
    quantity x price (quote units; 0 when the venue sets none).
    """

    venue: VenueId
    symbol: Symbol
    base: str
    quote: str
    kind: InstrumentKind
    tick_size: Price
    step_size: Quantity
    min_quantity: Quantity
    min_notional: NonNegative

    def quantize_quantity(self, quantity: Decimal) -> Decimal:
        """Round ``quantity`` DOWN to a multiple of ``step_size``.

        The result is never above the input and never negative; it may be zero when the input
        is below one step (``check_minimums`` then says so). Raises ValueError for a negative
        quantity, because a sign here is a bug upstream (the side carries the direction).
        """
        value = to_decimal(quantity, "quantity")
        if value < 0:
            raise ValueError(
                f"quantity={value} is negative: pass the size as a positive number and the "
                "direction as the side"
            )
        return _round_to_multiple(value, self.step_size, ROUND_FLOOR)

    def quantize_price(self, price: Decimal, side: Side) -> Decimal:
        """Round a limit ``price`` to the tick the safe way for ``side``.

        BUY rounds DOWN and SELL rounds UP, so the order never pays more or sells for less than
        asked. Raises ValueError for a price that is not positive, or a BUY price below one
        tick (it would round to zero).
        """
        value = to_decimal(price, "price")
        if value <= 0:
            raise ValueError(f"price={value} is not positive: a limit price must be above 0")
        rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
        rounded = _round_to_multiple(value, self.tick_size, rounding)
        if rounded == 0:
            raise ValueError(
                f"price={value} rounds down to 0 at tick_size={self.tick_size}: "
                "a BUY limit price must be at least one tick"
            )
        return rounded

    def round_price_to_tick(self, price: Decimal, rounding: str) -> Decimal:
        """Round ``price`` to a multiple of ``tick_size`` with a ``decimal`` rounding mode.

        Supported modes: ``ROUND_FLOOR``, ``ROUND_CEILING``, ``ROUND_DOWN`` and
        ``ROUND_HALF_EVEN`` (nearest tick, e.g. for a mark or a stop trigger). For limit prices
        prefer ``quantize_price``, which picks the safe direction from the side.
        """
        if rounding not in _ROUNDERS:
            raise ValueError(
                f"rounding={rounding!r} is not supported: use one of {sorted(_ROUNDERS)}"
            )
        return _round_to_multiple(to_decimal(price, "price"), self.tick_size, rounding)

    def is_on_tick(self, price: Decimal) -> bool:
        """Return whether ``price`` is an exact multiple of ``tick_size``."""
        return _is_multiple(to_decimal(price, "price"), self.tick_size)

    def is_on_step(self, quantity: Decimal) -> bool:
        """Return whether ``quantity`` is an exact multiple of ``step_size``."""
        return _is_multiple(to_decimal(quantity, "quantity"), self.step_size)

    def check_minimums(self, quantity: Decimal, price: Decimal) -> list[MinimumViolation]:
        """Return every venue minimum the order breaks; an empty list means none.

        ``price`` is the limit price, or a reference (mark) price for market orders. The
        notional is ``quantity * price`` in quote units, refused when strictly below
        ``min_notional``.
        """
        size = to_decimal(quantity, "quantity")
        at = to_decimal(price, "price")
        if size < 0 or at <= 0:
            raise ValueError(f"quantity={size} price={at}: expected quantity >= 0 and price > 0")
        violations: list[MinimumViolation] = []
        if size < self.min_quantity:
            violations.append(
                MinimumViolation(
                    field="quantity",
                    value=size,
                    limit=self.min_quantity,
                    message=f"quantity={size} is below min_quantity={self.min_quantity}",
                )
            )
        notional = _multiply(size, at)
        if notional < self.min_notional:
            violations.append(
                MinimumViolation(
                    field="notional",
                    value=notional,
                    limit=self.min_notional,
                    message=(
                        f"notional={notional} (quantity {size} x price {at}) "
                        f"is below min_notional={self.min_notional}"
                    ),
                )
            )
        return violations
