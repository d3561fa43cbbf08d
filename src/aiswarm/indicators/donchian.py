"""Donchian channels: the highest high and lowest low of the last ``period`` bars.

``upper = max(high[t-period+1 .. t])``, ``lower = min(low[...])``,
``middle = 0.5 * (upper + lower)``; NaN for the first ``period - 1`` bars. The current bar
is inside the window (a breakout test compares a price with the *previous* bar's channel).
Units: price. Max and min are exact, so the two forms agree bit for bit.

The streaming form keeps monotonic queues of (bar number, price): each bar is appended once
and removed at most once, so an update is constant work amortised over the series (a single
update may drop several bars that a new extreme made irrelevant).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from aiswarm.indicators.bands import Bands
from aiswarm.indicators.inputs import FloatArray, as_series, require_period

__all__ = ["DonchianStream", "donchian"]


def donchian(high: npt.ArrayLike, low: npt.ArrayLike, period: int = 20) -> Bands[FloatArray]:
    """Return the middle, upper and lower Donchian lines (NaN during the warm-up)."""
    period = require_period("period", period)
    highs = as_series("high", high)
    lows = as_series("low", low, len(highs))
    upper = np.full(len(highs), np.nan)
    lower = np.full(len(highs), np.nan)
    if len(highs) >= period:
        upper[period - 1 :] = sliding_window_view(highs, period).max(axis=1)
        lower[period - 1 :] = sliding_window_view(lows, period).min(axis=1)
    return Bands(0.5 * (upper + lower), upper, lower)


class DonchianStream:
    """Update Donchian channels one bar at a time (amortised constant work)."""

    __slots__ = ("_bars", "_highs", "_lows", "_value", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = require_period("period", period)
        self._bars = 0
        self._highs: deque[tuple[int, float]] = deque()
        self._lows: deque[tuple[int, float]] = deque()
        self._value = Bands(math.nan, math.nan, math.nan)

    def update(self, high: float, low: float) -> Bands[float]:
        """Fold in one bar and return the channel (NaN until ``period`` bars are seen)."""
        bar = self._bars
        self._bars = bar + 1
        oldest = bar - self.period
        highs = self._highs
        while highs and highs[-1][1] <= high:
            highs.pop()
        highs.append((bar, high))
        if highs[0][0] <= oldest:
            highs.popleft()
        lows = self._lows
        while lows and lows[-1][1] >= low:
            lows.pop()
        lows.append((bar, low))
        if lows[0][0] <= oldest:
            lows.popleft()
        if bar + 1 >= self.period:
            upper = highs[0][1]
            lower = lows[0][1]
            self._value = Bands(0.5 * (upper + lower), upper, lower)
        return self._value

    @property
    def value(self) -> Bands[float]:
        """Return the latest channel (NaN during the warm-up)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether ``period`` bars have been seen."""
        return self._bars >= self.period
