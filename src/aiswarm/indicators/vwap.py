"""Volume-weighted average price, over a rolling window of bars or cumulatively over a session.

Each bar is priced at its typical price ``(high + low + close) / 3`` and weighted by its
volume:

* ``vwap`` / ``VwapStream``: ``sum(tp * volume) / sum(volume)`` over the last ``period`` bars;
  NaN for the first ``period - 1`` bars;
* ``session_vwap`` / ``SessionVwapStream``: the same sums from the first bar of the session
  to the current bar; a bar flagged as a new session restarts them.

A window or session with zero total volume has no VWAP (NaN). Units: price. The sums are
Neumaier-compensated (``compensated_sum``) and both forms drive the same sum classes over
the same products, so they agree bit for bit and do not drift.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.compensated_sum import RunningSum, WindowSum
from aiswarm.indicators.inputs import FloatArray, as_series, require_period

__all__ = ["SessionVwapStream", "VwapStream", "session_vwap", "typical_price", "vwap"]


def typical_price(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """Return ``(high + low + close) / 3`` per bar (price units)."""
    highs = as_series("high", high)
    return (highs + as_series("low", low, len(highs)) + as_series("close", close, len(highs))) / 3.0


def _weighted(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike
) -> tuple[list[float], list[float]]:
    """Return per-bar ``typical price * volume`` and volume as Python float lists."""
    prices = typical_price(high, low, close)
    volumes = as_series("volume", volume, len(prices))
    return (prices * volumes).tolist(), volumes.tolist()


def vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int,
) -> FloatArray:
    """Return the rolling VWAP over ``period`` bars at every bar (NaN during the warm-up)."""
    period = require_period("period", period)
    turnover, volumes = _weighted(high, low, close, volume)
    priced = WindowSum(period)
    weights = WindowSum(period)
    out = [math.nan] * len(volumes)
    for t, (money, size) in enumerate(zip(turnover, volumes, strict=True)):
        numerator = priced.push(money)
        denominator = weights.push(size)
        if t >= period - 1 and denominator != 0.0:
            out[t] = numerator / denominator
    return np.array(out, dtype=np.float64)


def session_vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    new_session: npt.ArrayLike | None = None,
) -> FloatArray:
    """Return the cumulative VWAP since each session start, at every bar.

    ``new_session`` flags the bars that open a new session (bar 0 always does); without it
    the whole series is one session.
    """
    turnover, volumes = _weighted(high, low, close, volume)
    if new_session is None:
        starts = [False] * len(volumes)
    else:
        flags = np.asarray(new_session, dtype=bool)
        if flags.shape != (len(volumes),):
            raise ValueError(
                f"new_session has shape {flags.shape}; expected ({len(volumes)},), one flag a bar"
            )
        starts = flags.tolist()
    stream = SessionVwapStream()
    update = stream.update_weighted
    return np.array(
        [update(m, s, n) for m, s, n in zip(turnover, volumes, starts, strict=True)],
        dtype=np.float64,
    )


class VwapStream:
    """Update a rolling VWAP one bar at a time (constant work per update)."""

    __slots__ = ("_priced", "_value", "_weights", "period")

    def __init__(self, period: int) -> None:
        self.period = require_period("period", period)
        self._priced = WindowSum(self.period)
        self._weights = WindowSum(self.period)
        self._value = math.nan

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        """Fold in one bar and return the VWAP (NaN until ``period`` bars are seen)."""
        numerator = self._priced.push((high + low + close) / 3.0 * volume)
        denominator = self._weights.push(volume)
        if self._weights.is_full:
            self._value = numerator / denominator if denominator != 0.0 else math.nan
        return self._value

    @property
    def value(self) -> float:
        """Return the latest VWAP (NaN during the warm-up or with no volume)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether ``period`` bars have been seen."""
        return self._weights.is_full


class SessionVwapStream:
    """Update a session (cumulative) VWAP one bar at a time (constant work per update)."""

    __slots__ = ("_priced", "_value", "_weights")

    def __init__(self) -> None:
        self._priced = RunningSum()
        self._weights = RunningSum()
        self._value = math.nan

    def update(
        self, high: float, low: float, close: float, volume: float, new_session: bool = False
    ) -> float:
        """Fold in one bar (restarting first if it opens a session) and return the VWAP."""
        return self.update_weighted((high + low + close) / 3.0 * volume, volume, new_session)

    def update_weighted(self, turnover: float, volume: float, new_session: bool = False) -> float:
        """Fold in a bar given as ``typical price * volume`` and volume; return the VWAP."""
        if new_session:
            self._priced.reset()
            self._weights.reset()
        numerator = self._priced.add(turnover)
        denominator = self._weights.add(volume)
        self._value = numerator / denominator if denominator != 0.0 else math.nan
        return self._value

    def reset(self) -> None:
        """Start a new session with no bars."""
        self._priced.reset()
        self._weights.reset()
        self._value = math.nan

    @property
    def value(self) -> float:
        """Return the session VWAP so far (NaN before any volume)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether the session has a VWAP (some volume traded)."""
        return self._value == self._value
