"""Keltner channels: an EMA of the close, plus and minus ``multiplier`` ATRs.

``middle = EMA(close, period)`` (pandas convention, see ``ema``; defined from bar 0),
``upper/lower = middle ± multiplier * ATR(atr_period)`` (Wilder, see ``atr``; NaN for the
first ``atr_period - 1`` bars). ``atr_period`` defaults to ``period``. Units: price;
``multiplier`` is a number of ATRs. Both forms are built from the EMA and ATR forms, which
agree bit for bit, and add the same two float operations, so they agree bit for bit too.
"""

from __future__ import annotations

import math

import numpy.typing as npt

from aiswarm.indicators.atr import AtrStream, atr
from aiswarm.indicators.bands import Bands
from aiswarm.indicators.ema import EmaStream, ema
from aiswarm.indicators.inputs import FloatArray, as_series, require_period, require_positive

__all__ = ["KeltnerStream", "keltner"]


def keltner(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int = 20,
    multiplier: float = 2.0,
    atr_period: int | None = None,
) -> Bands[FloatArray]:
    """Return the middle, upper and lower Keltner lines at every bar."""
    period = require_period("period", period)
    atr_period = period if atr_period is None else require_period("atr_period", atr_period)
    multiplier = require_positive("multiplier", multiplier)
    closes = as_series("close", close)
    middle = ema(closes, period)
    width = multiplier * atr(high, low, closes, atr_period)
    return Bands(middle, middle + width, middle - width)


class KeltnerStream:
    """Update Keltner channels one bar at a time (constant work per update)."""

    __slots__ = ("_atr", "_ema", "_value", "multiplier")

    def __init__(
        self, period: int = 20, multiplier: float = 2.0, atr_period: int | None = None
    ) -> None:
        period = require_period("period", period)
        atr_period = period if atr_period is None else require_period("atr_period", atr_period)
        self.multiplier = require_positive("multiplier", multiplier)
        self._ema = EmaStream(period)
        self._atr = AtrStream(atr_period)
        self._value = Bands(math.nan, math.nan, math.nan)

    def update(self, high: float, low: float, close: float) -> Bands[float]:
        """Fold in one bar and return the lines (bands NaN until the ATR is ready)."""
        middle = self._ema.update(close)
        width = self.multiplier * self._atr.update(high, low, close)
        self._value = Bands(middle, middle + width, middle - width)
        return self._value

    @property
    def value(self) -> Bands[float]:
        """Return the latest lines."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether the bands are defined (the ATR has ``atr_period`` bars)."""
        return self._atr.is_ready
