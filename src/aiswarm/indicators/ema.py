"""Exponential moving average, in pandas' ``ewm(span=period, adjust=False)`` convention.

Convention (it decides signal counts, so it is pinned down to the bit):

* ``alpha = 2 / (period + 1)``, computed the way pandas does, ``1 / (1 + (period - 1) / 2)``,
  so the weights carry the same bits as pandas' (the two spellings can differ in the last bit).
* Seeded with the first sample: ``ema[0] = x[0]``; defined from the first sample, no NaN
  warm-up (pandas' default ``min_periods=0``).
* ``ema[t] = ((1 - alpha) * ema[t-1] + alpha * x[t]) / ((1 - alpha) + alpha)`` when
  ``x[t] != ema[t-1]``, else unchanged. This is pandas' own update: the division by a sum
  that is 1 up to rounding, and the skip when the sample equals the average (which keeps the
  average of a constant series exactly constant, so two EMAs of a flat market never "cross"
  by a rounding error), are both kept so our crosses are pandas' crosses.

Units are those of the input (a price in, a price out). The vectorised form is a plain Python
loop over a float list (about 100 ns a sample); ``scipy.signal.lfilter`` would be faster but
computes ``b0*x + (-a1)*y`` without the division and the skip, so it is not bit-identical to
pandas and is not used: the room imports numpy only. The two forms here do the same float
operations in the same order, so they agree exactly (tests check equality, bit for bit).
Inputs must be finite: the vectorised form refuses NaN; the streaming form trusts its caller.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.inputs import FloatArray, as_series, require_period

__all__ = ["EmaStream", "ema", "ema_weights"]


def ema_weights(period: int) -> tuple[float, float, float]:
    """Return ``(alpha, 1 - alpha, (1 - alpha) + alpha)`` exactly as pandas computes them."""
    period = require_period("period", period)
    center_of_mass = (period - 1) / 2
    alpha = 1.0 / (1.0 + center_of_mass)
    keep = 1.0 - alpha
    return alpha, keep, keep + alpha


def ema(values: npt.ArrayLike, period: int) -> FloatArray:
    """Return the EMA of ``values`` at every sample (same length, defined from index 0)."""
    alpha, keep, norm = ema_weights(period)
    samples: list[float] = as_series("values", values).tolist()
    if not samples:
        return np.empty(0, dtype=np.float64)
    out = [0.0] * len(samples)
    average = samples[0]
    for i, x in enumerate(samples):
        if x != average:
            average = (keep * average + alpha * x) / norm
        out[i] = average
    return np.array(out, dtype=np.float64)


class EmaStream:
    """Update an EMA one sample at a time, with the same arithmetic as ``ema``.

    ``update`` is a comparison, two multiplications, an addition and a division on Python
    floats: no numpy scalars, no allocation beyond the result float.
    """

    __slots__ = ("_alpha", "_keep", "_norm", "_value", "period")

    def __init__(self, period: int) -> None:
        self.period = require_period("period", period)
        self._alpha, self._keep, self._norm = ema_weights(self.period)
        self._value = math.nan

    def update(self, x: float) -> float:
        """Fold in one sample and return the EMA (the first sample seeds it)."""
        average = self._value
        if x != average:
            if average == average:
                average = (self._keep * average + self._alpha * x) / self._norm
            else:
                average = x
            self._value = average
        return average

    @property
    def value(self) -> float:
        """Return the current EMA (NaN before the first sample)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether a sample has been seen (the EMA is defined from the first one)."""
        return self._value == self._value
