"""Relative strength index with Wilder's smoothing, 0..100.

Definition (Wilder, 1978; TA-Lib's convention):

* change ``d[t] = x[t] - x[t-1]``; gain ``max(d, 0)``, loss ``max(-d, 0)``;
* seed: the first averages are the plain means of the first ``period`` gains and losses
  (changes 1..period), so the first RSI is at index ``period``; indices ``0 .. period - 1``
  are NaN (warm-up);
* then Wilder's smoothing, an EMA with ``alpha = 1 / period``:
  ``avg = (avg * (period - 1) + gain) / period``;
* ``RSI = 100 - 100 / (1 + avg_gain / avg_loss)``. With no losses in the averages the RSI is
  100 (a series that only rises), and with neither gains nor losses it is 50 (flat).

Units: points of 0..100. The vectorised form is a loop doing the same float operations in the
same order as the streaming form (the recursion cannot be vectorised without changing the
rounding), so the two agree bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.inputs import FloatArray, as_series, require_period

__all__ = ["RsiStream", "rsi"]


def _index(average_gain: float, average_loss: float) -> float:
    """Return the RSI of the two averages (100 with no losses, 50 when flat)."""
    if average_loss == 0.0:
        return 100.0 if average_gain > 0.0 else 50.0
    return 100.0 - 100.0 / (1.0 + average_gain / average_loss)


def rsi(values: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Return the Wilder RSI of ``values`` at every sample (NaN during the warm-up)."""
    period = require_period("period", period)
    samples: list[float] = as_series("values", values).tolist()
    out = [math.nan] * len(samples)
    keep = float(period - 1)
    divisor = float(period)
    gains = losses = 0.0
    for t in range(1, len(samples)):
        change = samples[t] - samples[t - 1]
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        if t < period:
            gains += gain
            losses += loss
            continue
        if t == period:
            gains = (gains + gain) / divisor
            losses = (losses + loss) / divisor
        else:
            gains = (gains * keep + gain) / divisor
            losses = (losses * keep + loss) / divisor
        out[t] = _index(gains, losses)
    return np.array(out, dtype=np.float64)


class RsiStream:
    """Update a Wilder RSI one sample at a time (constant work per update)."""

    __slots__ = ("_changes", "_divisor", "_gains", "_keep", "_losses", "_previous", "_value")

    def __init__(self, period: int = 14) -> None:
        period = require_period("period", period)
        self._keep = float(period - 1)
        self._divisor = float(period)
        self._changes = -1
        self._previous = math.nan
        self._gains = 0.0
        self._losses = 0.0
        self._value = math.nan

    @property
    def period(self) -> int:
        """Return the smoothing period in bars."""
        return int(self._divisor)

    def update(self, x: float) -> float:
        """Fold in one sample and return the RSI (NaN until ``period`` changes are seen)."""
        changes = self._changes + 1
        self._changes = changes
        previous = self._previous
        self._previous = x
        if changes == 0:
            return self._value
        change = x - previous
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        period = self._divisor
        if changes < period:
            self._gains += gain
            self._losses += loss
            return self._value
        if changes == period:
            self._gains = (self._gains + gain) / period
            self._losses = (self._losses + loss) / period
        else:
            self._gains = (self._gains * self._keep + gain) / period
            self._losses = (self._losses * self._keep + loss) / period
        self._value = _index(self._gains, self._losses)
        return self._value

    @property
    def value(self) -> float:
        """Return the latest RSI (NaN during the warm-up)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether the RSI is defined (``period`` changes seen)."""
        return self._value == self._value
