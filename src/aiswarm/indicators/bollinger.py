"""Bollinger bands: the SMA, plus and minus ``multiplier`` population standard deviations.

``middle = SMA(period)``, ``upper/lower = middle ± multiplier * std`` where ``std`` is the
population standard deviation of the same window (ddof = 0, as in Bollinger's definition and
TA-Lib; pandas' ``rolling().std()`` defaults to ddof = 1 and gives wider bands). NaN for the
first ``period - 1`` samples. A flat window has exactly zero width. Units: those of the price;
``multiplier`` is a number of standard deviations. Both forms drive ``RollingMoments``, so
they agree bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.bands import Bands
from aiswarm.indicators.inputs import FloatArray, as_series, require_period, require_positive
from aiswarm.indicators.rolling_moments import RollingMoments

__all__ = ["BollingerStream", "bollinger"]

_NAN_BANDS = Bands(math.nan, math.nan, math.nan)


def bollinger(
    values: npt.ArrayLike, period: int = 20, multiplier: float = 2.0
) -> Bands[FloatArray]:
    """Return the middle, upper and lower Bollinger lines (NaN during the warm-up)."""
    stream = BollingerStream(period, multiplier)
    update = stream.update
    lines = [update(x) for x in as_series("values", values).tolist()]
    columns = np.array(lines, dtype=np.float64).reshape(len(lines), 3)
    return Bands(columns[:, 0].copy(), columns[:, 1].copy(), columns[:, 2].copy())


class BollingerStream:
    """Update Bollinger bands one sample at a time (constant work per update)."""

    __slots__ = ("_moments", "_value", "multiplier", "period")

    def __init__(self, period: int = 20, multiplier: float = 2.0) -> None:
        self.period = require_period("period", period)
        self.multiplier = require_positive("multiplier", multiplier)
        self._moments = RollingMoments(self.period)
        self._value: Bands[float] = _NAN_BANDS

    def update(self, x: float) -> Bands[float]:
        """Fold in one sample and return the bands (NaN until ``period`` samples)."""
        moments = self._moments
        moments.push(x)
        if moments.is_full:
            middle = moments.mean()
            width = self.multiplier * moments.std()
            self._value = Bands(middle, middle + width, middle - width)
        return self._value

    @property
    def value(self) -> Bands[float]:
        """Return the current bands (NaN during the warm-up)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether ``period`` samples have been seen."""
        return self._moments.is_full
