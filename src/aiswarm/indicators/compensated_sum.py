"""Keep running sums in constant work, without drift: over a window, or since a reset.

A plain running sum (add the new sample, subtract the one leaving) gathers one rounding
error per step; over 500,000 bars that walks far past 1e-12. Recomputing the window each bar
is exact but O(period). This keeps a Neumaier-compensated running sum instead: the rounding
error of every addition is captured exactly in a second float and added back on read, so the
total stays within about one unit in the last place of the exact window sum however long the
series runs. Work per update: a handful of float operations and a ring-buffer write.

``WindowSum`` sums the last ``period`` samples; ``RunningSum`` sums everything since its last
reset (a session). Both forms of every indicator built on them (VWAP, and the rolling moments
behind SMA, Bollinger and z-score) drive these same classes, the vectorised one in a loop, so
the two forms agree bit for bit by construction.
"""

from __future__ import annotations

from aiswarm.indicators.inputs import require_period

__all__ = ["RunningSum", "WindowSum"]


class WindowSum:
    """Sum the last ``period`` samples pushed (units of the samples).

    The ring buffer is a preallocated list of Python floats: reading a numpy array element
    would hand back a numpy scalar, whose arithmetic is about ten times slower.
    """

    __slots__ = ("_buffer", "_compensation", "_count", "_period", "_position", "_sum")

    def __init__(self, period: int) -> None:
        self._period = require_period("period", period)
        self._buffer = [0.0] * self._period
        self._position = 0
        self._count = 0
        self._sum = 0.0
        self._compensation = 0.0

    def push(self, x: float) -> float:
        """Add ``x``, drop the sample that leaves the window, and return the window's sum."""
        total = self._sum
        error = self._compensation
        position = self._position
        if self._count == self._period:
            leaving = -self._buffer[position]
            step = total + leaving
            if abs(total) >= abs(leaving):
                error += (total - step) + leaving
            else:
                error += (leaving - step) + total
            total = step
        else:
            self._count += 1
        step = total + x
        if abs(total) >= abs(x):
            error += (total - step) + x
        else:
            error += (x - step) + total
        self._sum = step
        self._compensation = error
        self._buffer[position] = x
        position += 1
        self._position = 0 if position == self._period else position
        return step + error

    def reset(self) -> None:
        """Forget every sample (a new session starts from an empty window)."""
        self._position = 0
        self._count = 0
        self._sum = 0.0
        self._compensation = 0.0

    @property
    def total(self) -> float:
        """Return the sum of the samples in the window (0.0 when empty)."""
        return self._sum + self._compensation

    @property
    def count(self) -> int:
        """Return how many samples the window holds (at most ``period``)."""
        return self._count

    @property
    def is_full(self) -> bool:
        """Say whether the window holds ``period`` samples."""
        return self._count == self._period


class RunningSum:
    """Sum every sample since the last reset (units of the samples), compensated."""

    __slots__ = ("_compensation", "_sum")

    def __init__(self) -> None:
        self._sum = 0.0
        self._compensation = 0.0

    def add(self, x: float) -> float:
        """Add ``x`` and return the sum so far."""
        total = self._sum
        step = total + x
        if abs(total) >= abs(x):
            self._compensation += (total - step) + x
        else:
            self._compensation += (x - step) + total
        self._sum = step
        return step + self._compensation

    def reset(self) -> None:
        """Start again from zero."""
        self._sum = 0.0
        self._compensation = 0.0

    @property
    def total(self) -> float:
        """Return the sum so far."""
        return self._sum + self._compensation
