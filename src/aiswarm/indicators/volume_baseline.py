"""Rolling volume baseline: the mean and spread of recent volume, and how far a bar spikes above it.

For bar ``t`` the baseline is the previous ``period`` bars, ``t - period .. t - 1``, *not*
including bar ``t``: a spike must not inflate the baseline it is measured against.

* ``mean``, ``std``: mean and population standard deviation (ddof = 0) of that window, in
  volume units (base asset);
* ``score = (volume[t] - mean) / std``, dimensionless. When the baseline is flat (std 0) the
  score is 0.0 if the bar matches it and ±inf otherwise (a volume spike off a flat baseline is
  infinitely many standard deviations out; scanners compare it with a threshold, which works).

NaN for the first ``period`` bars (the baseline needs ``period`` earlier bars). Both forms
drive ``RollingMoments``, so they agree bit for bit.
"""

from __future__ import annotations

import math
from typing import Generic, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.inputs import FloatArray, as_series, require_period
from aiswarm.indicators.rolling_moments import RollingMoments

__all__ = ["VolumeBaseline", "VolumeBaselineStream", "volume_baseline"]

T = TypeVar("T")


class VolumeBaseline(NamedTuple, Generic[T]):
    """Baseline mean and std of the previous bars' volume, and the current bar's spike score."""

    mean: T
    std: T
    score: T


_NAN_BASELINE = VolumeBaseline(math.nan, math.nan, math.nan)


def volume_baseline(volume: npt.ArrayLike, period: int = 20) -> VolumeBaseline[FloatArray]:
    """Return the baseline mean, std and spike score at every bar (NaN during the warm-up)."""
    stream = VolumeBaselineStream(period)
    update = stream.update
    rows = [update(v) for v in as_series("volume", volume).tolist()]
    columns = np.array(rows, dtype=np.float64).reshape(len(rows), 3)
    return VolumeBaseline(columns[:, 0].copy(), columns[:, 1].copy(), columns[:, 2].copy())


class VolumeBaselineStream:
    """Update the volume baseline one bar at a time (constant work per update)."""

    __slots__ = ("_moments", "_value", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = require_period("period", period)
        self._moments = RollingMoments(self.period)
        self._value: VolumeBaseline[float] = _NAN_BASELINE

    def update(self, volume: float) -> VolumeBaseline[float]:
        """Score ``volume`` against the previous ``period`` bars, then add it to the window."""
        moments = self._moments
        if moments.is_full:
            mean = moments.mean()
            std = moments.std()
            if std > 0.0:
                score = (volume - mean) / std
            elif volume == mean:
                score = 0.0
            else:
                score = math.copysign(math.inf, volume - mean)
            self._value = VolumeBaseline(mean, std, score)
        moments.push(volume)
        return self._value

    @property
    def value(self) -> VolumeBaseline[float]:
        """Return the latest baseline and score (NaN during the warm-up)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether the last update was scored against a full baseline."""
        return self._value.mean == self._value.mean
