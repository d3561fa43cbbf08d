"""Volume profile: how much volume traded at each price level over the last ``period`` bars.

Binning, fixed so both forms put every bar in the same bin: bins are ``bin_width`` wide on a
grid anchored at ``origin``; bin ``j`` covers ``[origin + j*bin_width, origin + (j+1)*bin_width)``
and a bar with price ``p`` goes to ``j = floor((p - origin) / bin_width)``, computed with the
same two IEEE operations in numpy and in Python. The price is whatever the caller passes
(the close, or ``typical_price``); each bar's whole volume goes to one bin. Keep
``|price - origin| / bin_width`` below 2**53 so bin numbers are exact integers.

A profile is the run of bins from the lowest to the highest occupied one: ``edges`` (length
``m + 1``, price units) and ``volumes`` (length ``m``, volume units; empty bins are 0). Until
``period`` bars are seen the window is every bar so far.

Agreement: bin indices agree exactly. Bin volumes agree to 1e-12 relative to the bin's volume
(absolute below 1), not bit for bit: the streaming form keeps a Neumaier-compensated running
sum per bin (within about one unit in the last place of the exact sum), the vectorised form
sums each bin in order. A bin whose last bar leaves the window is dropped, so it is exactly 0.

``VolumeProfileStream.update`` returns the window's volume in the bin of the bar just added
(constant work); the whole profile and its point of control are built on demand, in work
proportional to the number of bins.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from aiswarm.indicators.inputs import (
    FloatArray,
    as_series,
    require_finite,
    require_period,
    require_positive,
)

__all__ = ["VolumeProfile", "VolumeProfileStream", "point_of_control", "volume_profile"]


class VolumeProfile(NamedTuple):
    """Bin edges (price, ascending, one more than bins) and the volume traded in each bin."""

    edges: FloatArray
    volumes: FloatArray


def point_of_control(profile: VolumeProfile) -> float:
    """Return the middle price of the bin with the most volume (lowest on a tie; NaN if empty)."""
    if len(profile.volumes) == 0:
        return math.nan
    j = int(np.argmax(profile.volumes))
    return float(0.5 * (profile.edges[j] + profile.edges[j + 1]))


def _profile(origin: float, bin_width: float, first: int, volumes: FloatArray) -> VolumeProfile:
    """Assemble a profile whose lowest bin has index ``first``."""
    indices = np.arange(first, first + len(volumes) + 1, dtype=np.float64)
    return VolumeProfile(origin + indices * bin_width, volumes)


def volume_profile(
    price: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int,
    bin_width: float,
    origin: float = 0.0,
) -> VolumeProfile:
    """Return the volume profile of the last ``period`` bars (fewer if the series is shorter)."""
    period = require_period("period", period)
    bin_width = require_positive("bin_width", bin_width)
    origin = require_finite("origin", origin)
    prices = as_series("price", price)
    volumes = as_series("volume", volume, len(prices))[-period:]
    prices = prices[-period:]
    if len(prices) == 0:
        return VolumeProfile(np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float64))
    bins = np.floor((prices - origin) / bin_width).astype(np.int64)
    first = int(bins.min())
    totals = np.bincount(bins - first, weights=volumes).astype(np.float64)
    return _profile(origin, bin_width, first, totals)


class VolumeProfileStream:
    """Keep the volume profile of the last ``period`` bars, updated in constant work per bar."""

    __slots__ = (
        "_bins",
        "_count",
        "_position",
        "_ring_bins",
        "_ring_volumes",
        "_value",
        "bin_width",
        "origin",
        "period",
    )

    def __init__(self, period: int, bin_width: float, origin: float = 0.0) -> None:
        self.period = require_period("period", period)
        self.bin_width = require_positive("bin_width", bin_width)
        self.origin = require_finite("origin", origin)
        # bin index -> [compensated sum, compensation, number of bars in the window]
        self._bins: dict[int, list[float]] = {}
        self._ring_bins = [0] * self.period
        self._ring_volumes = [0.0] * self.period
        self._position = 0
        self._count = 0
        self._value = math.nan

    def update(self, price: float, volume: float) -> float:
        """Add one bar, drop the one leaving, and return the volume in the new bar's bin."""
        position = self._position
        if self._count == self.period:
            self._add(self._ring_bins[position], -self._ring_volumes[position], -1.0)
        else:
            self._count += 1
        j = math.floor((price - self.origin) / self.bin_width)
        self._ring_bins[position] = j
        self._ring_volumes[position] = volume
        position += 1
        self._position = 0 if position == self.period else position
        self._value = self._add(j, volume, 1.0)
        return self._value

    def _add(self, j: int, volume: float, bars: float) -> float:
        """Add ``volume`` (negative to remove) to bin ``j``; drop the bin when it empties."""
        cell = self._bins.get(j)
        if cell is None:
            cell = [0.0, 0.0, 0.0]
            self._bins[j] = cell
        total = cell[0]
        step = total + volume
        if abs(total) >= abs(volume):
            cell[1] += (total - step) + volume
        else:
            cell[1] += (volume - step) + total
        cell[0] = step
        cell[2] += bars
        if cell[2] == 0.0:
            del self._bins[j]
            return 0.0
        return step + cell[1]

    def profile(self) -> VolumeProfile:
        """Return the window's profile, as ``volume_profile`` would over the same bars."""
        if not self._bins:
            return VolumeProfile(np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float64))
        first = min(self._bins)
        volumes = np.zeros(max(self._bins) - first + 1, dtype=np.float64)
        for j, cell in self._bins.items():
            volumes[j - first] = cell[0] + cell[1]
        return _profile(self.origin, self.bin_width, first, volumes)

    @property
    def value(self) -> float:
        """Return the window's volume in the latest bar's bin (NaN before any bar)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether the window holds ``period`` bars."""
        return self._count == self.period
