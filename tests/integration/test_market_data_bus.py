"""One market-data publisher, many engines: the shipped bars over the bus, none lost or doubled.

Over the local Redis, two engines (two consumer groups) receive the same bars from one
publisher in order; one of them crashes while handling a bar and, restarted under the same
consumer name on a new connection, gets that bar back first and then the rest. A restarted
publisher that replays the file again delivers nothing twice. The indicators published with
each bar are the vectorised forms' numbers.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from aiswarm.bus import MarketBar, StreamBus, open_bus
from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.indicators import ema, rsi
from aiswarm.market import FeedId, ReplayFeed, read_bar_file
from aiswarm.runtime.bar_subscription import follow_bars
from aiswarm.runtime.market_data_service import MarketDataService, market_topic
from aiswarm.types import Bar, Symbol, VenueId
from kit.bus import REDIS_URL, TRANSPORTS, delete_prefix

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FEED = FeedId.parse("coinbase:BTC/USD:1m")
BARS = 120


SHIPPED = {
    "BTC/USD": "coinbase_btcusd_1m_2018-04-04_06.csv",
    "ETH/USD": "coinbase_ethusd_1m_2018-04-04_05.csv",
}


def shipped_bars(symbol: str = "BTC/USD", count: int = BARS) -> list[Bar]:
    name = SHIPPED[symbol]
    loaded = read_bar_file(REPO / "backtest_data" / name, VenueId("coinbase"), Symbol(symbol))
    return loaded.bars.to_bars()[:count]


def replay(bars: list[Bar], clock: SimulatedClock) -> ReplayFeed:
    feed_id = FeedId(bars[0].venue, bars[0].symbol, FEED.schema, bars[0].interval_s)
    return ReplayFeed(feed_id, bars, clock)


@asynccontextmanager
async def connection(url: str | None, prefix: str) -> AsyncIterator[StreamBus]:
    """One process's connection to the bus (the clock is the publisher's concern)."""
    bus = await open_bus(url, SimulatedClock(from_ns(0)), prefix=prefix)
    try:
        yield bus
    finally:
        await bus.close()


async def read(bus: StreamBus, group: str, consumer: str, count: int) -> list[MarketBar]:
    """Handle ``count`` bars as an engine would; each is acknowledged once handled."""
    got: list[MarketBar] = []
    stop = asyncio.Event()

    async def handle(bar: MarketBar) -> None:
        got.append(bar)
        if len(got) == count:
            stop.set()

    await follow_bars(bus, FEED, group, consumer, handle, stop=stop, block_ms=50)
    return got


class Crash(BaseException):
    """An engine process dying while it handles a bar (so it neither acks nor nacks)."""


async def read_then_crash(bus: StreamBus, group: str, consumer: str, count: int) -> list[MarketBar]:
    """Handle ``count`` bars, then die while handling the next (it is never acknowledged)."""
    got: list[MarketBar] = []

    async def handle(bar: MarketBar) -> None:
        if len(got) == count:
            raise Crash(bar.bar.ts_ns)
        got.append(bar)

    with pytest.raises(Crash):
        await follow_bars(bus, FEED, group, consumer, handle, stop=asyncio.Event())
    return got


async def test_two_engines_when_one_restarts_then_both_get_every_bar_in_order() -> None:
    prefix = f"test:{secrets.token_hex(6)}:"
    bars = shipped_bars()
    clock = SimulatedClock(from_ns(bars[0].ts_ns))
    try:
        async with connection(REDIS_URL, prefix) as publisher_bus:
            service = MarketDataService(publisher_bus, [replay(bars, clock)], clock)
            async with connection(REDIS_URL, prefix) as engine_a:
                published, seen_a = await asyncio.gather(
                    service.run(), read(engine_a, "engine-a", "a-1", BARS)
                )
            async with connection(REDIS_URL, prefix) as engine_b:
                before_crash = await read_then_crash(engine_b, "engine-b", "b-1", 40)
            async with connection(REDIS_URL, prefix) as engine_b_restarted:
                pending = await engine_b_restarted.pending(market_topic(FEED))
                after_restart = await read(engine_b_restarted, "engine-b", "b-1", BARS - 40)
                left = await engine_b_restarted.receive(market_topic(FEED), "engine-b", "b-1")
            again = MarketDataService(
                publisher_bus, [replay(bars, SimulatedClock(from_ns(bars[0].ts_ns)))], clock
            )
            republished = await again.run()
    finally:
        await delete_prefix(prefix)

    expected = [bar.ts_ns for bar in bars]
    assert published == {str(FEED): BARS}
    assert [m.bar.ts_ns for m in seen_a] == expected
    assert [m.bar for m in seen_a] == bars
    # It had taken a batch of 100 bars and handled 40: the other 60 wait for it, pending.
    assert {(p.group, p.consumer, p.deliveries) for p in pending} == {("engine-b", "b-1", 1)}
    assert len(pending) == 60
    assert after_restart[0].bar == bars[40]  # the bar it died on comes back first
    assert [m.bar.ts_ns for m in before_crash + after_restart] == expected
    assert left == []
    assert republished == {str(FEED): 0}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_published_indicators_when_compared_then_equal_vectorised_forms(
    transport: str,
) -> None:
    prefix = f"test:{secrets.token_hex(6)}:"
    btc, eth = shipped_bars(), shipped_bars("ETH/USD")
    clock = SimulatedClock(from_ns(btc[0].ts_ns))
    url = None if transport == "in-process" else REDIS_URL
    try:
        async with connection(url, prefix) as bus:
            service = MarketDataService(bus, [replay(btc, clock), replay(eth, clock)], clock)
            published = await service.run()
            got = await read(bus, "engine-a", "a-1", BARS)
            eth_topic = await bus.receive("md.coinbase.ETH/USD.1m", "engine-a", "a-1", count=1)
    finally:
        await delete_prefix(prefix)

    closes = [float(bar.close) for bar in btc]
    assert published == {str(FEED): BARS, "coinbase:ETH/USD:1m": BARS}
    assert service.topics == ["md.coinbase.BTC/USD.1m", "md.coinbase.ETH/USD.1m"]
    assert [m.indicators["ema_9"] for m in got] == list(ema(closes, 9))
    assert got[-1].indicators["rsi_14"] == rsi(closes, 14)[-1]
    assert got[0].indicators["rsi_14"] is None
    assert isinstance(eth_topic[0].record, MarketBar)
    assert eth_topic[0].record.bar == eth[0]
