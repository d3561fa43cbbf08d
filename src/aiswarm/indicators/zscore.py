"""Rolling z-score: how many population standard deviations a sample sits from its window mean.

``z[t] = (x[t] - mean) / std`` over the last ``period`` samples including ``x[t]``, with
population std (ddof = 0). NaN for the first ``period - 1`` samples. A flat window (std 0,
and then ``x[t]`` equals the mean) scores 0.0 rather than 0/0. Dimensionless. Both forms drive
``RollingMoments``, so they agree bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.inputs import FloatArray, as_series, require_period
from aiswarm.indicators.rolling_moments import RollingMoments

__all__ = ["ZScoreStream", "rolling_zscore"]


def rolling_zscore(values: npt.ArrayLike, period: int) -> FloatArray:
    """Return the rolling z-score of ``values`` at every sample (NaN during the warm-up)."""
    stream = ZScoreStream(period)
    update = stream.update
    return np.array([update(x) for x in as_series("values", values).tolist()], dtype=np.float64)


class ZScoreStream:
    """Update a rolling z-score one sample at a time (constant work per update)."""

    __slots__ = ("_moments", "_value", "period")

    def __init__(self, period: int) -> None:
        self.period = require_period("period", period)
        self._moments = RollingMoments(self.period)
        self._value = math.nan

    def update(self, x: float) -> float:
        """Fold in one sample and return its z-score (NaN until ``period`` samples)."""
        moments = self._moments
        moments.push(x)
        if moments.is_full:
            std = moments.std()
            self._value = (x - moments.mean()) / std if std > 0.0 else 0.0
        return self._value

    @property
    def value(self) -> float:
        """Return the latest z-score (NaN during the warm-up)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether ``period`` samples have been seen."""
        return self._moments.is_full
