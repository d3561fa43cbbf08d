"""Turn a bar table's time and number columns into numpy arrays, naming the first bad value.

Times (UTC): Arrow timestamps and dates; ISO-8601 text (pandas ``to_datetime``: ``Z``, offsets,
fractions; no zone means UTC); or epoch numbers, whose unit follows from their size, since for
dates from 1973 to 2286 seconds, milliseconds, microseconds and nanoseconds never overlap.
Numbers: text parsed by pyarrow into the nearest float64 (the exact text is kept where a float
may not hold it, see ``price_grid``), or float and integer columns as they are. No I/O.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from aiswarm.market.bar_table import RowPlaces
from aiswarm.market.price_grid import LONG_TEXT, NumberColumn
from aiswarm.market.replay_fields import ReplayFileError

__all__ = ["number_column", "times_ns"]

# (smallest, end, ns per unit, name): epoch numbers of dates from 1973-03-03 to 2286-11-20.
_EPOCH_UNITS = (
    (10**8, 10**10, 1_000_000_000, "seconds"),
    (10**11, 10**13, 1_000_000, "milliseconds"),
    (10**14, 10**16, 1_000, "microseconds"),
    (10**17, 10**19, 1, "nanoseconds"),
)
_NS_PER_DAY = 86_400_000_000_000
_TIME_FIX = "write ISO-8601 UTC (2024-01-01T00:00:00Z) or epoch seconds/ms/µs/ns"


def times_ns(array: Any, places: RowPlaces, name: str) -> NDArray[np.int64]:
    """Return a time column as epoch nanoseconds (UTC).

    Raises:
        ReplayFileError: a value is missing, not a time, or before 1973 / after 2286 as an
            epoch number (the message names its line and how to write it).
    """
    import pyarrow as pa

    kind = array.type
    _refuse_nulls(array, places, name)
    if pa.types.is_timestamp(kind):
        return _as_int64(array.cast(pa.timestamp("ns", tz=kind.tz)).cast(pa.int64()))
    if pa.types.is_date(kind):
        days = array.cast(pa.date32()).cast(pa.int32())
        return _as_int64(days.cast(pa.int64())) * _NS_PER_DAY
    if pa.types.is_integer(kind):
        return _epoch_ns(_as_int64(array.cast(pa.int64())), places, name, _text_of(array))
    if pa.types.is_floating(kind):
        values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
        whole = np.isfinite(values) & (values == np.floor(values))
        if not whole.all():
            row = int(np.argmin(whole))
            raise places.at(row).error(
                name, repr(values[row]), f"is not a whole epoch; {_TIME_FIX}"
            )
        return _epoch_ns(values.astype(np.int64), places, name, _text_of(array))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _text_times(array, places, name)
    raise ReplayFileError(
        places.paths[0], 1, name, str(kind), f"is the time column's type, not a time; {_TIME_FIX}"
    )


def number_column(array: Any, places: RowPlaces, name: str) -> NumberColumn:
    """Return a number column, refusing a value that is missing, not a number or not finite."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _refuse_nulls(array, places, name)
    text = _text_of(array)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        trimmed = pc.utf8_trim_whitespace(array)
        try:
            floats = _as_float64(trimmed.cast(pa.float64()))
        except pa.ArrowInvalid:
            row = _first_unparsed(trimmed)
            why = "is empty" if not text(row).strip() else "is not a number"
            raise places.at(row).error(
                name, text(row), f"{why}; write a decimal such as 7424.91"
            ) from None
        long_rows = np.flatnonzero(_as_int64(pc.utf8_length(trimmed).cast(pa.int64())) > LONG_TEXT)
        written = {int(row): trimmed[int(row)].as_py() for row in long_rows}
        column = NumberColumn(floats, written, binary=False, text=text)
    elif pa.types.is_floating(array.type) or pa.types.is_integer(array.type):
        column = NumberColumn(_as_float64(array.cast(pa.float64())), {}, binary=True, text=text)
    elif pa.types.is_decimal(array.type):
        return number_column(array.cast(pa.string()), places, name)
    else:
        raise ReplayFileError(
            places.paths[0], 1, name, str(array.type), "is the column's type, not a number"
        )
    finite = np.isfinite(column.floats)
    if not finite.all():
        row = int(np.argmin(finite))
        raise places.at(row).error(name, text(row), "is not finite; write a real number")
    return column


def _text_times(array: Any, places: RowPlaces, name: str) -> NDArray[np.int64]:
    """Read text times: all digits is an epoch number, anything else ISO-8601."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(array)
    if len(trimmed) and pc.all(pc.match_substring_regex(trimmed, r"^[0-9]+$")).as_py():
        return _epoch_ns(_as_int64(trimmed.cast(pa.int64())), places, name, _text_of(array))
    stamps = pd.to_datetime(trimmed.to_pandas(), utc=True, format="ISO8601", errors="coerce")
    missing = np.asarray(stamps.isna())
    if missing.any():
        row = int(np.argmax(missing))
        raise places.at(row).error(
            name, str(array[row].as_py()), f"is not a time we read; {_TIME_FIX}"
        )
    return np.asarray(stamps.dt.as_unit("ns").array.asi8, dtype=np.int64)


def _epoch_ns(
    values: NDArray[np.int64], places: RowPlaces, name: str, text: Any
) -> NDArray[np.int64]:
    """Return epoch numbers as ns, the unit taken from the first value's size."""
    first = int(values[0]) if len(values) else 0
    unit = next((u for u in _EPOCH_UNITS if u[0] <= first < u[1]), None)
    inside = (values >= unit[0]) & (values < unit[1]) if unit else np.zeros(len(values), dtype=bool)
    if not inside.all():
        row = int(np.argmin(inside))
        what = f"is not epoch {unit[3]} like the first row's" if unit else "is not an epoch time"
        raise places.at(row).error(
            name, text(row), f"{what} of 1973 to 2286 (seconds, ms, µs or ns); {_TIME_FIX}"
        )
    assert unit is not None
    return values * unit[2]


def _refuse_nulls(array: Any, places: RowPlaces, name: str) -> None:
    if array.null_count:
        row = int(np.argmax(np.asarray(array.is_null().to_numpy(zero_copy_only=False))))
        raise places.at(row).error(name, "", "is empty; every bar needs every value")


def _text_of(array: Any) -> Any:
    """Return a function giving a value as the file shows it (text, or the float's repr)."""
    return lambda row: str(array[row].as_py())


def _first_unparsed(array: Any) -> int:
    """Return the first row pyarrow cannot read as a float (on the error path only)."""
    import pyarrow as pa

    for row in range(len(array)):
        try:
            array.slice(row, 1).cast(pa.float64())
        except pa.ArrowInvalid:
            return row
    raise AssertionError("the column failed to cast, but every value casts on its own")


def _as_int64(array: Any) -> NDArray[np.int64]:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.int64)


def _as_float64(array: Any) -> NDArray[np.float64]:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
