"""Write epoch nanoseconds as ISO 8601 UTC text, column-wise, for files a person reads. No I/O.

Every time a report, a trade list or a walk-forward window shows is UTC with a ``Z`` suffix,
to the second when all the values are whole seconds (bar times are) and to the finest unit
that keeps every value exact otherwise, so no timestamp is rounded.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["iso_utc", "iso_utc_one"]

_Unit = Literal["s", "ms", "us", "ns"]
_UNITS: tuple[tuple[_Unit, int], ...] = (
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
)


def iso_utc(ts_ns: npt.NDArray[np.int64]) -> list[str]:
    """Return each timestamp as ISO 8601 UTC text, e.g. ``2018-04-04T00:01:00Z``."""
    values = np.asarray(ts_ns, dtype=np.int64)
    unit = next(name for name, size in _UNITS if not np.any(values % size))
    dates: npt.NDArray[np.datetime64] = values.astype("datetime64[ns]")
    text = np.datetime_as_string(dates, unit=unit, timezone="UTC")
    return [str(item) for item in text.tolist()]


def iso_utc_one(ts_ns: int) -> str:
    """Return one timestamp as ISO 8601 UTC text."""
    return iso_utc(np.array([ts_ns], dtype=np.int64))[0]
