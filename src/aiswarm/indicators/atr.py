"""True range and the average true range (ATR) with Wilder's smoothing.

* True range: ``tr[0] = high[0] - low[0]`` (no previous close yet); after that
  ``tr[t] = max(high - low, |high - close[t-1]|, |low - close[t-1]|)``.
* ATR: seeded with the plain mean of the first ``period`` true ranges (bars 0..period-1, so
  the first ATR is at index ``period - 1``; earlier values are NaN), then Wilder's smoothing
  ``atr = (atr * (period - 1) + tr) / period`` (an EMA with ``alpha = 1 / period``).
  TA-Lib instead drops bar 0 and starts one bar later; we keep bar 0's range, so a series of
  ``period`` bars already has an ATR.

Units: price. The true range is computed with the same IEEE operations in numpy and in Python
floats, and the smoothing is a loop in both forms, so they agree bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.inputs import FloatArray, as_series, require_period

__all__ = ["AtrStream", "atr", "true_range"]


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """Return each bar's true range (price units); bar 0 uses its own high - low."""
    highs = as_series("high", high)
    lows = as_series("low", low, len(highs))
    closes = as_series("close", close, len(highs))
    ranges = highs - lows
    if len(highs) > 1:
        previous = closes[:-1]
        gaps = np.maximum(np.abs(highs[1:] - previous), np.abs(lows[1:] - previous))
        ranges[1:] = np.maximum(ranges[1:], gaps)
    return ranges


def atr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return the Wilder ATR at every bar (NaN for the first ``period - 1`` bars)."""
    period = require_period("period", period)
    ranges: list[float] = true_range(high, low, close).tolist()
    out = [math.nan] * len(ranges)
    keep = float(period - 1)
    divisor = float(period)
    average = 0.0
    for t, tr in enumerate(ranges):
        if t < period - 1:
            average += tr
            continue
        if t == period - 1:
            average = (average + tr) / divisor  # the seed: plain mean of the first ranges
            out[t] = average
            continue
        average = (average * keep + tr) / divisor
        out[t] = average
    return np.array(out, dtype=np.float64)


class AtrStream:
    """Update a Wilder ATR one bar at a time (constant work per update)."""

    __slots__ = ("_bars", "_divisor", "_keep", "_previous_close", "_sum", "_value", "period")

    def __init__(self, period: int = 14) -> None:
        self.period = require_period("period", period)
        self._keep = float(self.period - 1)
        self._divisor = float(self.period)
        self._bars = 0
        self._previous_close = math.nan
        self._sum = 0.0
        self._value = math.nan

    def update(self, high: float, low: float, close: float) -> float:
        """Fold in one bar and return the ATR (NaN until ``period`` bars are seen)."""
        previous = self._previous_close
        self._previous_close = close
        tr = high - low
        if self._bars:
            tr = max(tr, max(abs(high - previous), abs(low - previous)))
        bars = self._bars + 1
        self._bars = bars
        if bars < self.period:
            self._sum += tr
        elif bars == self.period:
            self._value = (self._sum + tr) / self._divisor
        else:
            self._value = (self._value * self._keep + tr) / self._divisor
        return self._value

    @property
    def value(self) -> float:
        """Return the latest ATR (NaN during the warm-up)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether ``period`` bars have been seen."""
        return self._bars >= self.period
