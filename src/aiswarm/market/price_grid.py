"""Round the prices and sizes of a bar file to the feed's decimal grid, exactly, by one rule.

Exchange exports are full of float noise (``218102.59507500002`` for 218102.595075), and a
backtest must neither refuse such data nor trade on digits nobody quoted. The rule (docs/feeds.md,
"Precision"):

* A value is what the file holds, exactly: the decimal a text file writes, or the binary value
  of a float column (feather, parquet).
* The grid is ``10**-decimals``, one for the four prices and one for the volume. It is declared
  (``price_decimals`` / ``volume_decimals`` in config, ``--price-decimals`` /
  ``--volume-decimals`` on the command line) or inferred: the most decimal places any value
  has once its float noise is removed, noise being removed by rounding a value to 15
  significant digits (float64's exact decimal precision, DBL_DIG).
* The grid keeps the largest value within 15 significant digits, so the float64 columns of
  ``BarArrays`` give every value back exactly. An inferred grid is capped there; a declared one
  past it is refused as a configuration mistake.
* Every value is rounded half to even onto the grid: a value on the grid stays as it is, and a
  value within half a tick of a grid price becomes that price.

The work is vectorised: a value whose float64 is the nearest float64 to a grid price is known
to round to that price (see ``_on_grid``), and only the other values go through ``Decimal``.
No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LONG_TEXT",
    "MAX_EXACT_DIGITS",
    "NumberColumn",
    "decimals_cap",
    "infer_decimals",
    "round_exact",
    "round_to_grid",
    "without_float_noise",
]

MAX_EXACT_DIGITS = 15
"""Significant digits a float64 gives back exactly (DBL_DIG): the grid keeps values within it."""
LONG_TEXT = MAX_EXACT_DIGITS
"""A written number longer than this may hold more digits than its float64 keeps."""
_MAX_DECIMALS = 22
"""The finest grid: 10**22 is the largest power of ten a float64 holds exactly."""


@dataclass(frozen=True, slots=True)
class NumberColumn:
    """One column of numbers as a file holds them.

    ``floats`` holds each value's nearest float64. For a text file, ``written`` maps each row
    whose text is longer than ``LONG_TEXT`` characters to that text, because its float may not
    be the decimal written; every other value of a text file is the shortest decimal of its
    float, which is the text itself (a float64 tells apart all decimals of up to 15 significant
    digits). ``binary`` says the file stores floats, so each value is exactly its float.
    ``text`` returns the row's value as the file shows it, for error messages.
    """

    floats: NDArray[np.float64]
    written: Mapping[int, str]
    binary: bool
    text: Callable[[int], str]

    def exact(self, row: int) -> Decimal:
        """Return the value of ``row`` exactly as the file holds it."""
        written = self.written.get(row)
        if written is not None:
            return Decimal(written)
        value = float(self.floats[row])
        return Decimal(value) if self.binary else Decimal(repr(value))


def without_float_noise(value: Decimal) -> Decimal:
    """Return ``value`` rounded half to even to 15 significant digits, trailing zeros dropped."""
    if not value:
        return Decimal(0)
    unit = Decimal(1).scaleb(value.adjusted() - (MAX_EXACT_DIGITS - 1))
    return value.quantize(unit, rounding=ROUND_HALF_EVEN).normalize()


def round_exact(value: Decimal, decimals: int) -> Decimal:
    """Return ``value`` rounded half to even onto the grid ``10**-decimals``: the rule itself."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def decimals_cap(columns: Sequence[NumberColumn]) -> int:
    """Return the most decimal places that keep the columns' largest value to 15 digits.

    It is negative for values of 10**15 and more (a grid of tens, hundreds...), and never
    more than 22, however small the values.
    """
    largest = Decimal(0)
    for column in columns:
        if len(column.floats):
            row = int(np.argmax(np.abs(column.floats)))
            largest = max(largest, abs(without_float_noise(column.exact(row))))
    return min(_MAX_DECIMALS, MAX_EXACT_DIGITS - 1 - (largest.adjusted() if largest else 0))


def infer_decimals(columns: Sequence[NumberColumn], cap: int) -> int:
    """Return the decimal places the columns need once float noise is gone, at most ``cap``.

    Never fewer than ``min(0, cap)``: a column of whole hundreds still gets a grid of ones.
    """
    needed = min(0, cap)
    for column in columns:
        slow = [row for row in column.written if column.floats[row]]
        rows = np.flatnonzero(column.floats != 0)
        rows = rows[~np.isin(rows, slow)]
        for places in range(needed, cap + 1):
            if not len(rows):
                break
            on = _on_grid(column.floats[rows], places)
            if on.any():
                needed = places
            rows = rows[~on]
        for row in [*slow, *rows.tolist()]:
            if needed >= cap:
                return cap
            exponent = int(without_float_noise(column.exact(row)).as_tuple().exponent)
            needed = max(needed, min(-exponent, cap))
    return needed


def round_to_grid(column: NumberColumn, decimals: int) -> tuple[NDArray[np.float64], int]:
    """Return the column rounded onto ``10**-decimals`` as floats, and how many values moved.

    A value moved when its exact value changed (text files) or its float64 did (float files).
    """
    values = column.floats.copy()
    on = _on_grid(values, decimals)
    slow = set(np.flatnonzero(~on).tolist()) | set(column.written)
    moved = 0
    for row in sorted(slow):
        exact = column.exact(row)
        rounded = round_exact(exact, decimals)
        values[row] = float(rounded)
        moved += bool(values[row] != column.floats[row]) if column.binary else rounded != exact
    return values, moved


def _on_grid(values: NDArray[np.float64], decimals: int) -> NDArray[np.bool_]:
    """Say for each value whether it is the float64 nearest to a price on the grid.

    ``rint(v * 10**d) / 10**d`` is the float64 nearest to the grid price ``k * 10**-d``: the
    division is correctly rounded and ``k`` and ``10**d`` (d <= 22) are exact, whatever the
    error of the product (a grid coarser than 1 multiplies by ``10**-d`` instead). If it
    equals ``v``, the exact value ``v`` stands for lies within one float64 spacing of that grid
    price, and a spacing is under a quarter of a tick while values keep to 15 significant
    digits; so rounding the exact value onto the grid gives that price.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if decimals >= 0:
            scale = 10.0**decimals
            return np.asarray(np.rint(values * scale) / scale == values)
        unit = 10.0**-decimals
        return np.asarray(np.rint(values / unit) * unit == values)
