"""Replay recorded market data through the feed interface: read files, pull history, stream.

``ReplayFeed.from_files`` reads bars through the one bar reader (``bar_file.read_bar_file``:
CSV, ccxt JSON, feather, parquet, Lean zips) and funding rates with ``read_funding_rates``
(``timestamp,rate`` CSV or Lean ``margin_interest``). ``ReplayFeed`` serves the records as a
``Feed``: ``history`` pulls them in batches, and ``stream`` pushes each one when the injected
clock reaches the instant it became known. With a ``SimulatedClock``, ``sleep`` only moves the
clock, so a replay never waits in wall time; with a ``ScaledClock`` it is an accelerated paper
session.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import AsyncIterator, Sequence
from itertools import pairwise
from pathlib import Path

from aiswarm.clock import Clock
from aiswarm.errors import ConfigError
from aiswarm.market.bar_file import read_bar_file
from aiswarm.market.feed import Coverage, FeedId, FeedSchema, FeedSpec, LatencyClass, MarketRecord
from aiswarm.market.replay_csv import read_funding_csv
from aiswarm.market.replay_lean import read_lean_funding
from aiswarm.types import (
    Bar,
    FundingRate,
    OpenInterest,
    OrderBookSnapshot,
    Symbol,
    Trade,
    VenueId,
)

__all__ = ["ReplayFeed", "read_funding_rates"]

_NS_PER_S = 1_000_000_000
_RECORD_TYPE: dict[FeedSchema, type] = {
    FeedSchema.BARS: Bar,
    FeedSchema.TRADES: Trade,
    FeedSchema.BOOK: OrderBookSnapshot,
    FeedSchema.FUNDING: FundingRate,
    FeedSchema.OPEN_INTEREST: OpenInterest,
}


def read_funding_rates(path: Path, venue: VenueId, symbol: Symbol) -> list[FundingRate]:
    """Return the funding rates of a ``timestamp,rate`` CSV or a Lean ``margin_interest`` CSV."""
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    if first.strip().lower().startswith("timestamp"):
        return read_funding_csv(path, venue, symbol)
    return read_lean_funding(path, venue, symbol)


class ReplayFeed:
    """A historical ``Feed`` over records in memory, read from files or built by a test.

    The records must belong to the feed id's venue and symbol, be of its schema (bars of its
    interval) and come in time order; anything else is refused when the feed is built.
    """

    def __init__(self, feed_id: FeedId, records: Sequence[MarketRecord], clock: Clock) -> None:
        _check_records(feed_id, records)
        self._records = tuple(records)
        self._ts_ns = [record.ts_ns for record in self._records]
        self._clock = clock
        coverage = (
            Coverage(self._ts_ns[0], self._ts_ns[-1], len(self._records)) if records else None
        )
        self._spec = FeedSpec(feed_id, LatencyClass.HISTORICAL, coverage)

    @classmethod
    def from_files(
        cls, feed_id: FeedId | str, paths: Path | Sequence[Path], clock: Clock
    ) -> ReplayFeed:
        """Return a replay of ``paths`` for ``feed_id`` (bars or funding rates).

        Raises:
            FeedIdError: ``feed_id`` is text that is not a feed id.
            MarketFileError: a file cannot be read, or a row is bad (the message names file,
                line, column and value).
            ConfigError: no file reader exists for the feed's schema.
        """
        parsed = FeedId.parse(feed_id) if isinstance(feed_id, str) else feed_id
        records: Sequence[MarketRecord]
        if parsed.schema is FeedSchema.BARS:
            files = [paths] if isinstance(paths, Path) else list(paths)
            bars = read_bar_file(files, parsed.venue, parsed.symbol, interval_s=parsed.interval_s)
            records = bars.bars.to_bars()
        elif parsed.schema is FeedSchema.FUNDING and isinstance(paths, Path):
            records = read_funding_rates(paths, parsed.venue, parsed.symbol)
        else:
            raise ConfigError(
                f"feed {parsed}: files can be replayed for bars (one file, or Lean day zips) "
                "and funding (one file); build ReplayFeed from records for the other schemas"
            )
        return cls(parsed, records, clock)

    @property
    def spec(self) -> FeedSpec:
        """Return the feed's id, latency class (historical) and coverage."""
        return self._spec

    async def history(
        self, start_ns: int, end_ns: int, batch: int
    ) -> AsyncIterator[list[MarketRecord]]:
        """Yield the records with ``start_ns <= ts_ns < end_ns`` in order, ``batch`` a list."""
        if batch <= 0 or end_ns < start_ns:
            raise ValueError(
                f"history(start_ns={start_ns}, end_ns={end_ns}, batch={batch}): need batch > 0 "
                "and end_ns >= start_ns"
            )
        first = bisect_left(self._ts_ns, start_ns)
        stop = bisect_left(self._ts_ns, end_ns)
        for offset in range(first, stop, batch):
            yield list(self._records[offset : min(offset + batch, stop)])

    async def stream(self) -> AsyncIterator[MarketRecord]:
        """Yield each record once the clock reaches the instant it became known.

        A bar is known when it closes (``close_ts_ns``), any other record at its ``ts_ns``.
        Records known before the clock's time when the stream starts are the past: they are
        not pushed again (read them with ``history``).
        """
        start_ns = self._clock.now_ns()
        for record in self._records:
            due_ns = _known_at(record)
            if due_ns < start_ns:
                continue
            while (wait_ns := due_ns - self._clock.now_ns()) > 0:
                await self._clock.sleep(wait_ns / _NS_PER_S)
            yield record


def _known_at(record: MarketRecord) -> int:
    """Return when a record's data is known (epoch ns): a bar at its close."""
    return record.close_ts_ns if isinstance(record, Bar) else record.ts_ns


def _check_records(feed_id: FeedId, records: Sequence[MarketRecord]) -> None:
    """Refuse records of another series or schema, or out of time order."""
    kind = _RECORD_TYPE[feed_id.schema]
    for index, record in enumerate(records):
        wrong_interval = isinstance(record, Bar) and record.interval_s != feed_id.interval_s
        if (
            not isinstance(record, kind)
            or record.venue != feed_id.venue
            or record.symbol != feed_id.symbol
            or wrong_interval
        ):
            raise ConfigError(
                f"feed {feed_id}: record {index} is a {type(record).__name__} of "
                f"{record.venue}:{record.symbol}; this feed carries {kind.__name__} of "
                f"{feed_id.venue}:{feed_id.symbol}"
                + (f" every {feed_id.interval_s} s" if feed_id.interval_s else "")
            )
    for index, (before, after) in enumerate(pairwise(records), start=1):
        if after.ts_ns < before.ts_ns:
            raise ConfigError(
                f"feed {feed_id}: record {index} at ts_ns={after.ts_ns} comes before record "
                f"{index - 1} at {before.ts_ns}; replay records must be in time order"
            )
