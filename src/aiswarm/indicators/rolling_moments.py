"""Keep the mean and population variance of the last ``period`` samples in constant work.

Why not sums of ``x`` and ``x**2``: ``E[x^2] - E[x]^2`` cancels catastrophically for prices
(a 60,000 price with a 60 spread loses six digits, and a flat window comes out with a
spurious spread of about 1e-8 of the price). Instead:

* the mean is a Neumaier-compensated window sum divided by the count (no drift);
* the sum of squared deviations ``m2`` is updated with the sliding form of Welford's rule,
  ``m2 += (x_in - x_out) * ((x_in - mean_new) + (x_out - mean_old))`` (or
  ``(x - mean_old) * (x - mean_new)`` while the window fills), which never squares a price;
* the deviations ``x - mean`` in that rule use the mean carried to about twice the working
  precision (quotient plus correction), so their error scales with the deviation, not with
  the price level. With the mean rounded to one float, a 1e6 price level puts an error of
  ~1e-16 * 1e6 into every update and ``m2`` random-walks away (measured: 5e-9 absolute
  after 20,000 unit steps); with it, the error stays ~1e-14 of the typical variance at any
  level. What remains is the slow drift of any running update: about ``sqrt(bars) * 1e-16``
  of the series' typical variance, so a window far calmer than usual gets a larger relative
  error (the property tests bound it at 1e-12 of ``max(1, variance)`` for unit steps);
* when every sample in the window is equal (tracked by the length of the current run of equal
  samples, O(1)), the mean is that sample exactly and ``m2`` is reset to exactly 0. A flat
  market therefore has a zero-width band and a zero z-score, and any drift ``m2`` had gathered
  is cleared. A negative ``m2`` (rounding) is clamped to 0.

Population statistics: ``variance = m2 / count`` (ddof = 0). Units: the mean in the samples'
units, the variance in their square. The vectorised forms drive this same class in a loop, so
the two forms agree bit for bit.
"""

from __future__ import annotations

import math

from aiswarm.indicators.inputs import require_period

__all__ = ["RollingMoments"]

# Veltkamp's splitter for float64, 2**27 + 1: splits a float into two halves of at most 26
# significant bits, whose products with a window count (below 2**26) are exact.
_SPLITTER = 134_217_729.0


class RollingMoments:
    """Mean and population variance of a sliding window of floats."""

    __slots__ = (
        "_buffer",
        "_compensation",
        "_correction",
        "_count",
        "_last",
        "_m2",
        "_period",
        "_position",
        "_quotient",
        "_run",
        "_sum",
    )

    def __init__(self, period: int) -> None:
        self._period = require_period("period", period)
        self._buffer = [0.0] * self._period
        self._position = 0
        self._count = 0
        self._sum = 0.0
        self._compensation = 0.0
        self._m2 = 0.0
        self._quotient = 0.0
        self._correction = 0.0
        self._run = 0
        self._last = math.nan

    def push(self, x: float) -> None:
        """Add ``x`` and drop the sample leaving the window."""
        total = self._sum
        error = self._compensation
        count = self._count
        position = self._position
        quotient_old = self._quotient
        correction_old = self._correction
        full = count == self._period
        leaving = self._buffer[position]
        if full:
            step = total - leaving
            if abs(total) >= abs(leaving):
                error += (total - step) - leaving
            else:
                error += (-leaving - step) + total
            total = step
        else:
            count += 1
            self._count = count
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
        # mean = quotient + correction to about twice the working precision, so that a
        # deviation ``(x - quotient) - correction`` is accurate to its own size, not to the
        # size of the price: ``x - quotient`` is exact for nearby values (Sterbenz), and the
        # remainder ``step - quotient * count`` is computed exactly with a Veltkamp split.
        quotient = step / count
        scaled = _SPLITTER * quotient
        high = scaled - (scaled - quotient)
        remainder = (step - high * count) - (quotient - high) * count
        correction = (remainder + error) / count
        self._quotient = quotient
        self._correction = correction
        m2 = self._m2
        if full:
            m2 += (x - leaving) * (
                ((x - quotient) - correction) + ((leaving - quotient_old) - correction_old)
            )
        elif count > 1:
            m2 += ((x - quotient_old) - correction_old) * ((x - quotient) - correction)
        run = self._run + 1 if x == self._last else 1
        self._run = run
        self._last = x
        self._m2 = 0.0 if run >= count or m2 < 0.0 else m2

    @property
    def count(self) -> int:
        """Return how many samples the window holds (at most ``period``)."""
        return self._count

    @property
    def is_full(self) -> bool:
        """Say whether the window holds ``period`` samples."""
        return self._count == self._period

    def mean(self) -> float:
        """Return the window's mean (NaN when empty; the sample itself when all are equal)."""
        count = self._count
        if count == 0:
            return math.nan
        if self._run >= count:
            return self._last
        return (self._sum + self._compensation) / count

    def variance(self) -> float:
        """Return the window's population variance (ddof = 0; NaN when empty)."""
        count = self._count
        return self._m2 / count if count else math.nan

    def std(self) -> float:
        """Return the window's population standard deviation (ddof = 0; NaN when empty)."""
        return math.sqrt(self.variance())
