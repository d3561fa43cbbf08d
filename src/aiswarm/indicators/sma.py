"""Simple moving average: the mean of the last ``period`` samples.

``sma[t] = (x[t-period+1] + ... + x[t]) / period``; NaN for the first ``period - 1`` samples
(warm-up). Units: those of the input. Both forms drive ``RollingMoments`` (a compensated
window sum, exact for a flat window), so they agree bit for bit and do not drift.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.inputs import FloatArray, as_series, require_period
from aiswarm.indicators.rolling_moments import RollingMoments

__all__ = ["SmaStream", "sma"]


def sma(values: npt.ArrayLike, period: int) -> FloatArray:
    """Return the SMA of ``values`` at every sample (NaN during the warm-up)."""
    stream = SmaStream(period)
    update = stream.update
    return np.array([update(x) for x in as_series("values", values).tolist()], dtype=np.float64)


class SmaStream:
    """Update an SMA one sample at a time (constant work per update)."""

    __slots__ = ("_moments", "_value", "period")

    def __init__(self, period: int) -> None:
        self.period = require_period("period", period)
        self._moments = RollingMoments(self.period)
        self._value = math.nan

    def update(self, x: float) -> float:
        """Fold in one sample and return the SMA (NaN until ``period`` samples are seen)."""
        moments = self._moments
        moments.push(x)
        if moments.is_full:
            self._value = moments.mean()
        return self._value

    @property
    def value(self) -> float:
        """Return the current SMA (NaN during the warm-up)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether ``period`` samples have been seen."""
        return self._moments.is_full
