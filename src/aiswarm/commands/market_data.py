"""`aiswarm market-data run|tail`: the deployment's one market-data publisher, and a reader.

``run`` publishes every configured feed's bars (paper and shadow mode: the shipped files
replayed at ``loop.speed``) with their indicators to ``md.<venue>.<symbol>.<timeframe>`` on
the configured Redis, until the files end or Ctrl-C. ``tail`` follows one feed by its id as a
consumer group of its own and prints the bars. Both need ``bus.url``: bars on an in-process
bus would reach nothing outside this command.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiswarm.bus import MarketBar, StreamBus
from aiswarm.clock import ScaledClock, WallClock, from_ns
from aiswarm.config import AppConfig, load_config
from aiswarm.errors import ConfigError
from aiswarm.market import FeedId
from aiswarm.runtime.bar_subscription import follow_bars
from aiswarm.runtime.bus_opening import open_configured_bus
from aiswarm.runtime.composition import load_feeds
from aiswarm.runtime.host import feed_registry
from aiswarm.runtime.market_data_service import MarketDataService
from aiswarm.types import Mode

__all__ = ["MarketBar", "publish_market_data", "tail_bars"]


def _shared_bus_config(config_path: Path | None) -> AppConfig:
    config = load_config(config_path)
    if config.bus.url is None:
        raise ConfigError(
            "bus.url is not set: bars on the in-process bus would reach nothing outside this "
            "command; set bus.url (AIS_BUS__URL) to the deployment's Redis, e.g. "
            "redis://127.0.0.1:6379/0"
        )
    return config


@asynccontextmanager
async def _until_signal() -> AsyncIterator[asyncio.Event]:
    """Yield an event that SIGINT or SIGTERM sets."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def publish_market_data(
    config_path: Path | None, announce: Callable[[str], None]
) -> dict[str, Any]:
    """Publish the configured feeds' bars until they end or a signal; return the counts."""
    config = _shared_bus_config(config_path)
    if config.mode is Mode.LIVE:
        raise ConfigError(
            "mode live: live venue streams are not wired to the market-data service yet; run "
            "it in paper or shadow mode (AIS_MODE=paper), which replays paper.feeds"
        )
    bars = {symbol: loaded.bars for symbol, loaded in load_feeds(config).items()}
    first_open = min(int(series.ts_ns[0]) for series in bars.values())
    clock = ScaledClock(from_ns(first_open), config.loop.speed, WallClock())
    registry = feed_registry(bars, clock)
    feeds = [registry.get(spec.feed_id) for spec in registry.list()]
    bus = await open_configured_bus(config.bus, clock)
    try:
        service = MarketDataService(bus, feeds, clock)
        announce(
            f"publishing {', '.join(service.topics)} on {bus.url_for_display} "
            f"(loop.speed x{config.loop.speed:g}); Ctrl-C stops"
        )
        async with _until_signal() as stop:
            published = await service.run(stop)
    finally:
        await bus.close()
    return {"bus": bus.url_for_display, "topics": service.topics, "published": published}


async def tail_bars(
    config_path: Path | None,
    feed: str,
    group: str,
    consumer: str,
    count: int,
    show: Callable[[MarketBar], None],
) -> int:
    """Print ``count`` bars of ``feed`` as consumer ``consumer`` of ``group``; return how many."""
    config = _shared_bus_config(config_path)
    feed_id = FeedId.parse(feed)
    bus: StreamBus = await open_configured_bus(config.bus, WallClock())
    shown = 0
    try:
        async with _until_signal() as stop:

            async def handle(bar: MarketBar) -> None:
                nonlocal shown
                show(bar)
                shown += 1
                if shown >= count:
                    stop.set()

            batch = min(count, 100)  # take no more than it will show: the rest stays unread
            await follow_bars(bus, feed_id, group, consumer, handle, stop=stop, batch=batch)
    finally:
        await bus.close()
    return shown
