"""Publish every feed's bars once per deployment, with their indicators, for any engine to read.

One ``MarketDataService`` per deployment connects once to each venue symbol and timeframe (one
task per feed, reading its ``Feed.stream``, or a recorded feed's history paced by the clock),
keeps each feed's indicator state incrementally (``BarIndicators``: constant work per bar, the
same numbers as the vectorised forms), and publishes each closed bar as a ``MarketBar`` to
``md.<venue>.<symbol>.<timeframe>``. Engines subscribe by feed id
(``runtime.bar_subscription``), each in its own consumer group, so every engine gets every bar
from one connection per feed, however many engines there are. In paper mode the feeds replay
the shipped files (``market.ReplayFeed``) on the pacing clock.

Crash-only: the service holds nothing that is not in its source. Each bar is published with
the idempotency key ``<feed id>:<bar open ns>``, so a restarted service that replays bars it
had already published (a file replay starts from its beginning) delivers none of them twice
while the key is remembered (``bus.idempotency_ttl_s``); indicator state is rebuilt by the same
replay. What subscribers had not acknowledged stays pending in their groups (on Redis).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Sequence

from aiswarm.bus import BUS_RECORDS, MarketBar, StreamBus
from aiswarm.clock import Clock
from aiswarm.indicators import AtrStream, EmaStream, RsiStream
from aiswarm.market import Feed, FeedId, FeedSchema, LatencyClass, MarketRecord
from aiswarm.types import Bar

__all__ = ["BarIndicators", "MarketDataService", "market_topic"]

_NS_PER_S = 1_000_000_000
_END_NS = 2**63 - 1


def market_topic(feed_id: FeedId) -> str:
    """Return the bus topic of a bar feed: ``md.<venue>.<symbol>.<timeframe>``."""
    return f"md.{feed_id.venue}.{feed_id.symbol}.{feed_id.kind}"


class BarIndicators:
    """The indicators kept for one feed, updated once per closed bar (floats, not money).

    ``ema_<fast>``, ``ema_<slow>`` and ``rsi_<n>`` of the close and ``atr_<n>``; a value is
    ``None`` while its indicator warms up.
    """

    def __init__(self, fast: int = 9, slow: int = 21, rsi: int = 14, atr: int = 14) -> None:
        self._fast, self._slow = EmaStream(fast), EmaStream(slow)
        self._rsi, self._atr = RsiStream(rsi), AtrStream(atr)
        self._names = (f"ema_{fast}", f"ema_{slow}", f"rsi_{rsi}", f"atr_{atr}")

    def update(self, bar: Bar) -> dict[str, float | None]:
        """Fold in ``bar`` and return every indicator's value after it."""
        close = float(bar.close)
        values = (
            self._fast.update(close),
            self._slow.update(close),
            self._rsi.update(close),
            self._atr.update(float(bar.high), float(bar.low), close),
        )
        return {
            name: None if math.isnan(value) else value
            for name, value in zip(self._names, values, strict=True)
        }


class MarketDataService:
    """Publish the bars of ``feeds`` to the bus; see the module docstring."""

    def __init__(self, bus: StreamBus, feeds: Sequence[Feed], clock: Clock) -> None:
        for feed in feeds:
            if feed.spec.schema is not FeedSchema.BARS:
                raise ValueError(f"feed {feed.spec.feed_id} carries {feed.spec.schema}, not bars")
        ids = [str(feed.spec.feed_id) for feed in feeds]
        if len(set(ids)) != len(ids):
            raise ValueError(f"feeds {ids} repeat an id; the service connects once per feed")
        self._bus = bus
        self._feeds = tuple(feeds)
        self._clock = clock
        self.published: dict[str, int] = dict.fromkeys(ids, 0)
        """Bars published per feed id in this run (repeats dropped by their key not counted)."""

    @property
    def topics(self) -> list[str]:
        """Return the topic of every feed, in feed order."""
        return [market_topic(feed.spec.feed_id) for feed in self._feeds]

    async def run(self, stop: asyncio.Event | None = None) -> dict[str, int]:
        """Publish until every feed ends or ``stop`` is set; return ``published``."""
        tasks = [asyncio.create_task(self._publish(feed)) for feed in self._feeds]
        stopping = asyncio.create_task((stop or asyncio.Event()).wait())
        running: set[asyncio.Task[None]] = set(tasks)
        try:
            while running and not stopping.done():
                finished, _ = await asyncio.wait(
                    running | {stopping}, return_when=asyncio.FIRST_COMPLETED
                )
                for task in finished - {stopping}:
                    task.result()  # a feed's failure stops the service, named
                running -= finished
        finally:
            stopping.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, stopping, return_exceptions=True)
        return dict(self.published)

    async def _publish(self, feed: Feed) -> None:
        feed_id = feed.spec.feed_id
        topic, text = market_topic(feed_id), str(feed_id)
        indicators = BarIndicators()
        async for record in self._records(feed):
            assert isinstance(record, Bar)  # checked when the service was built
            bar = MarketBar(feed_id=text, bar=record, indicators=indicators.update(record))
            key = f"{text}:{record.ts_ns}"
            now_ns = self._clock.now_ns()
            message = BUS_RECORDS.message(bar, trace_id=f"md:{key}", ts_ns=now_ns, key=key)
            published = await self._bus.publish(topic, message)
            if not published.duplicate:
                self.published[text] += 1

    async def _records(self, feed: Feed) -> AsyncIterator[MarketRecord]:
        """Yield a live feed's records as they come, a recorded feed's paced from its first.

        A recorded feed is read whole (``history``) and each bar is published when the clock
        reaches its close; reading ``stream`` instead would skip the bars that closed while
        the service was starting, which at a fast replay speed is many.
        """
        if feed.spec.latency is not LatencyClass.HISTORICAL:
            async for record in feed.stream():
                yield record
            return
        async for batch in feed.history(0, _END_NS, 1_000):
            for record in batch:
                assert isinstance(record, Bar)
                while (wait_ns := record.close_ts_ns - self._clock.now_ns()) > 0:
                    await self._clock.sleep(wait_ns / _NS_PER_S)
                yield record
