"""Check what callers hand the indicators: periods, multipliers and price or volume series.

Every indicator validates its parameters once, at construction (streaming) or on entry
(vectorised), and says which parameter was wrong, what it was and what it must be. Series are
turned into contiguous one-dimensional float64 arrays and must be finite: a NaN or an infinity
would silently poison every later value of a recursive indicator, so it is refused here, with
the index of the first bad sample. The streaming classes do not re-check each sample; that
would cost more than the update itself on the hot path.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "as_series", "require_finite", "require_period", "require_positive"]

FloatArray = npt.NDArray[np.float64]


def require_period(name: str, value: object) -> int:
    """Return ``value`` as an int, or raise ValueError unless it is an integer >= 1 (bars)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} was {value!r}; expected an integer >= 1 (a number of bars)")
    return int(value)


def require_positive(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise ValueError unless it is a finite number > 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} was {value!r}; expected a finite number > 0")
    return float(value)


def require_finite(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise ValueError unless it is a finite number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} was {value!r}; expected a finite number")
    return float(value)


def as_series(name: str, values: npt.ArrayLike, length: int | None = None) -> FloatArray:
    """Return ``values`` as a finite 1-D float64 array, optionally of a required length.

    ``length`` is the length of the first series of a multi-series indicator (high, low,
    close, volume), so a mismatch is reported against the series it must line up with.
    """
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}; expected a one-dimensional series")
    if length is not None and array.shape[0] != length:
        raise ValueError(
            f"{name} has {array.shape[0]} values; expected {length}, one per bar like the others"
        )
    finite = np.isfinite(array)
    if not finite.all():
        index = int(np.argmin(finite))
        raise ValueError(
            f"{name}[{index}] is {float(array[index])!r}; indicators need finite inputs, "
            "so drop or fill the gap before computing"
        )
    return array
