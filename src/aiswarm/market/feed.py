"""Describe a market data feed: its id, what it carries, how fresh it is, and how to read it.

One interface serves every mode. A historical feed is *pulled* in batches
(``history(start_ns, end_ns, batch)``); a live feed *pushes* records as they happen
(``stream()``). A backtest passes a file replay, paper and live pass a venue feed, and the
consumer cannot tell them apart. No I/O here.

A feed id reads ``venue:symbol:kind``, e.g. ``binance:BTC/USDT:1m`` (1-minute bars) or
``binance:BTC/USDT:USDT:funding`` (a perpetual's funding rates; a symbol may itself hold a
colon, so the venue is what comes before the first colon and the kind what follows the last).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from aiswarm.errors import ConfigError
from aiswarm.types import Bar, FundingRate, OpenInterest, OrderBookSnapshot, Symbol, Trade, VenueId

__all__ = [
    "Coverage",
    "Feed",
    "FeedId",
    "FeedIdError",
    "FeedSchema",
    "FeedSpec",
    "LatencyClass",
    "MarketRecord",
]

MarketRecord = Bar | Trade | OrderBookSnapshot | FundingRate | OpenInterest
"""Any one record a feed carries; every kind has ``venue``, ``symbol`` and ``ts_ns``."""

_UNIT_S = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_INTERVAL = re.compile(r"^([1-9][0-9]*)([smhdw])$")
_VENUE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SYMBOL = re.compile(r"^[A-Z0-9]+/[A-Z0-9]+(:[A-Z0-9]+)?$")


class FeedSchema(StrEnum):
    """What a feed's records are."""

    BARS = "bars"
    TRADES = "trades"
    BOOK = "book"
    FUNDING = "funding"
    OPEN_INTEREST = "open_interest"


class LatencyClass(StrEnum):
    """How fresh a feed's records are when they arrive."""

    HISTORICAL = "historical"
    """Already recorded (a file, a download): any amount may be read at once."""
    POLLED = "polled"
    """Asked for over REST on a timer: as fresh as the polling interval."""
    STREAMING = "streaming"
    """Pushed by the venue (websocket) as it happens."""


class FeedIdError(ConfigError):
    """A feed id does not read ``venue:symbol:kind``: fix it where it was written."""


def _refuse(text: str, why: str) -> FeedIdError:
    return FeedIdError(
        f"feed id {text!r}: {why}; write venue:symbol:kind, e.g. 'binance:BTC/USDT:1m', "
        "'binance:BTC/USDT:USDT:funding' or 'coinbase:BTC/USD:trades'"
    )


@dataclass(frozen=True, slots=True)
class FeedId:
    """A parsed feed id: venue, unified symbol, schema and, for bars, the interval in seconds.

    ``str(feed_id)`` gives the canonical text back; ``FeedId.parse`` reads text and names
    what is wrong with a bad id.
    """

    venue: VenueId
    symbol: Symbol
    schema: FeedSchema
    interval_s: int | None = None

    def __post_init__(self) -> None:
        """Bars need a positive interval and nothing else has one."""
        bars = self.schema is FeedSchema.BARS
        if bars != (self.interval_s is not None) or (self.interval_s or 1) <= 0:
            raise FeedIdError(
                f"feed {self.venue}:{self.symbol}: schema={self.schema} "
                f"interval_s={self.interval_s}; bars need an interval above 0 s, "
                "other schemas none"
            )

    @classmethod
    def parse(cls, text: str) -> FeedId:
        """Return the feed id ``text`` names, or raise ``FeedIdError`` saying what is wrong.

        Kinds: an interval ``<n>s|m|h|d|w`` (bars; ``m`` is minutes, as in ccxt), ``trades``,
        ``book``, ``funding`` or ``open_interest``. Venues are lower case (``binance``) and
        symbols upper case ccxt-unified (``BTC/USDT``, ``BTC/USDT:USDT`` for a perpetual).
        """
        parts = text.split(":")
        if len(parts) < 3:
            raise _refuse(text, f"it has {len(parts)} part(s) separated by ':', not 3 or more")
        venue, symbol, kind = parts[0], ":".join(parts[1:-1]), parts[-1]
        if not _VENUE.match(venue):
            raise _refuse(text, f"venue {venue!r} must be lower-case letters, digits, _ or -")
        if not _SYMBOL.match(symbol):
            raise _refuse(text, f"symbol {symbol!r} must read BASE/QUOTE or BASE/QUOTE:SETTLE")
        interval = _INTERVAL.match(kind)
        if interval:
            seconds = int(interval.group(1)) * _UNIT_S[interval.group(2)]
            return cls(
                venue=VenueId(venue),
                symbol=Symbol(symbol),
                schema=FeedSchema.BARS,
                interval_s=seconds,
            )
        kinds = [s.value for s in FeedSchema if s is not FeedSchema.BARS]
        if kind not in kinds:
            raise _refuse(
                text, f"kind {kind!r} is neither an interval (1m, 5m, 1h, 1d) nor one of {kinds}"
            )
        return cls(VenueId(venue), Symbol(symbol), FeedSchema(kind))

    def __str__(self) -> str:
        """Return the canonical text, e.g. ``binance:BTC/USDT:1m``."""
        return f"{self.venue}:{self.symbol}:{self.kind}"

    @property
    def kind(self) -> str:
        """Return the last part of the id: an interval such as ``1m``, or the schema name."""
        if self.interval_s is None:
            return self.schema.value
        for unit in ("w", "d", "h", "m"):
            if self.interval_s % _UNIT_S[unit] == 0:
                return f"{self.interval_s // _UNIT_S[unit]}{unit}"
        return f"{self.interval_s}s"


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a historical feed holds: first and last record time (epoch ns, UTC) and count."""

    first_ts_ns: int
    last_ts_ns: int
    records: int

    def __post_init__(self) -> None:
        """Refuse an empty or backwards range."""
        if self.records <= 0 or not 0 <= self.first_ts_ns <= self.last_ts_ns:
            raise ValueError(
                f"coverage first_ts_ns={self.first_ts_ns} last_ts_ns={self.last_ts_ns} "
                f"records={self.records}; need 0 <= first <= last and records > 0"
            )


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """Everything a consumer needs to know about a feed before reading it.

    ``coverage`` is known for historical feeds and ``None`` for live ones.
    """

    feed_id: FeedId
    latency: LatencyClass
    coverage: Coverage | None = None

    @property
    def schema(self) -> FeedSchema:
        """Return what the feed's records are (the id decides it)."""
        return self.feed_id.schema


@runtime_checkable
class Feed(Protocol):
    """A source of market records: pulled in batches for history, pushed for live.

    ``history`` yields the records with ``start_ns <= ts_ns < end_ns`` in time order, in lists
    of at most ``batch``, each record exactly once. ``stream`` yields records as they become
    known, paced by the feed's clock. A feed that cannot do one of them raises ``ConfigError``
    from it, saying which feed to use instead.
    """

    @property
    def spec(self) -> FeedSpec:
        """Return what this feed carries and how fresh it is."""
        ...

    def history(self, start_ns: int, end_ns: int, batch: int) -> AsyncIterator[list[MarketRecord]]:
        """Yield the records in ``[start_ns, end_ns)`` in time order, ``batch`` at most a list."""
        ...

    def stream(self) -> AsyncIterator[MarketRecord]:
        """Yield each record when it becomes known, in time order."""
        ...
