"""Follow one feed's bars on the bus as one consumer of a group: how an engine subscribes.

Each engine (or any reader) is its own consumer group, so every group gets every bar; two
consumers of one group share the bars. A bar is acknowledged only once the handler has
returned, so a subscriber that dies while handling a bar gets it back first when it restarts
under the same consumer name (Redis keeps it pending), and no bar is lost or skipped. A
handler that raises has the bar retried (``bus.max_deliveries``), then dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiswarm.bus import Delivery, MarketBar, Rejected, StreamBus, consume
from aiswarm.market import FeedId
from aiswarm.runtime.market_data_service import market_topic

__all__ = ["BarHandler", "follow_bars"]

BarHandler = Callable[[MarketBar], Awaitable[None]]


async def follow_bars(
    bus: StreamBus,
    feed_id: FeedId,
    group: str,
    consumer: str,
    handler: BarHandler,
    *,
    stop: asyncio.Event,
    batch: int = 100,
    block_ms: int = 1_000,
) -> int:
    """Hand the feed's bars to ``handler`` in order until ``stop`` is set; return how many.

    Up to ``batch`` bars are taken at a time; those not handled when ``stop`` is set stay
    pending for this consumer. A message on the topic that is not a bar of this feed is
    dead-lettered with the reason.
    """
    topic = market_topic(feed_id)

    async def handle(delivery: Delivery) -> None:
        record = delivery.record
        if not isinstance(record, MarketBar) or record.feed_id != str(feed_id):
            raise Rejected(f"topic {topic} carries bars of {feed_id}; got {delivery.message.kind}")
        await handler(record)

    return await consume(
        bus, topic, group, consumer, handle, stop=stop, batch=batch, block_ms=block_ms
    )
