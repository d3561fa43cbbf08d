"""Hold market data as the venues and agents see it: OHLCV bars and funding rates. No I/O.

A ``Bar`` is stamped with the time it *opened* (``ts_ns``) and covers ``interval_s`` seconds,
so the bar is complete, and may be used, only from ``close_ts_ns`` on. Prices are quote units
per base unit and ``volume`` is the traded quantity in base units. A bar is validated once when
built: a low above the open or a high below the close is a broken feed, and a matching engine
fed with it would fill orders at prices that never traded.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from aiswarm.types._model import FrozenModel
from aiswarm.types.ids import Symbol, VenueId
from aiswarm.types.money import Money, NonNegative, Price

__all__ = ["Bar", "FundingRate"]

_NS_PER_S = 1_000_000_000


class Bar(FrozenModel):
    """One OHLCV bar of ``symbol`` at ``venue``, opened at ``ts_ns`` (epoch ns, UTC)."""

    venue: VenueId
    symbol: Symbol
    ts_ns: int = Field(ge=0)
    interval_s: int = Field(gt=0)
    open: Price
    high: Price
    low: Price
    close: Price
    volume: NonNegative

    @model_validator(mode="after")
    def _check_range(self) -> Self:
        """Refuse a bar whose high and low do not contain its open and close."""
        if self.low > min(self.open, self.close) or self.high < max(self.open, self.close):
            raise ValueError(
                f"bar {self.symbol}@{self.ts_ns}: open={self.open} high={self.high} "
                f"low={self.low} close={self.close}; the low must be <= open and close and the "
                "high >= them: fix the feed"
            )
        return self

    @property
    def close_ts_ns(self) -> int:
        """Return when the bar closed (epoch ns): the first instant its data is known."""
        return self.ts_ns + self.interval_s * _NS_PER_S


class FundingRate(FrozenModel):
    """A perpetual's funding rate for one period, settled at ``ts_ns`` (epoch ns, UTC).

    ``rate`` is a fraction of the position's notional (0.0001 means 0.01%). When it is
    positive, longs pay shorts; when negative, shorts pay longs.
    """

    venue: VenueId
    symbol: Symbol
    ts_ns: int = Field(ge=0)
    rate: Money
