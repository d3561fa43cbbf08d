"""One market-data publisher, many engines: the shipped bars over the bus, none lost or doubled.

Over the local Redis, two engines (two consumer groups) receive the same bars from one
publisher in order; one of them crashes while handling a bar and, restarted under the same
consumer name on a new connection, gets that bar back first and then the rest. A restarted
publisher that replays the file again delivers nothing twice. The indicators published with
each bar are the vectorised forms' numbers.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
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


def _aiswarm(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", "market-data", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def _service_config(tmp_path: Path, bus: str) -> Path:
    source = REPO / "backtest_data" / SHIPPED["BTC/USD"]
    head = source.read_text(encoding="utf-8").splitlines()[:31]  # the header and 30 bars
    (tmp_path / "btc.csv").write_text("\n".join(head) + "\n", encoding="utf-8")
    path = tmp_path / "aiswarm.yaml"
    path.write_text(
        f"state_dir: {tmp_path}/state\ndata_dir: {tmp_path}\nloop:\n  speed: 100000\n"
        "paper:\n  feeds:\n    - {file: btc.csv, venue: coinbase, symbol: BTC/USD}\n"
        f"{bus}",
        encoding="utf-8",
    )
    return path


async def test_cli_market_data_when_run_then_tail_prints_bars_in_order(tmp_path: Path) -> None:
    prefix = f"test:{secrets.token_hex(6)}:"
    config = _service_config(tmp_path, f"bus:\n  url: {REDIS_URL}\n  prefix: '{prefix}'\n")
    try:
        run = _aiswarm(config, "run", "--json")
        rerun = _aiswarm(config, "run", "--json")
        first = _aiswarm(config, "tail", "--feed", str(FEED), "--count", "2", "--json")
        rest = _aiswarm(config, "tail", "--feed", str(FEED), "--count", "28")
    finally:
        await delete_prefix(prefix)

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["published"] == {str(FEED): 30}
    assert json.loads(rerun.stdout)["published"] == {str(FEED): 0}
    bars = shipped_bars(count=30)
    shown = [json.loads(line) for line in first.stdout.splitlines()]
    assert [Bar.model_validate(row["bar"]) for row in shown] == bars[:2]
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.splitlines()[0].startswith("2018-04-04 00:02 coinbase:BTC/USD:1m close")
    assert len(rest.stdout.splitlines()) == 28


def test_cli_market_data_when_no_bus_url_then_one_line_with_the_fix(tmp_path: Path) -> None:
    result = _aiswarm(_service_config(tmp_path, ""), "run")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "bus.url is not set" in result.stderr
    assert "AIS_BUS__URL" in result.stderr


def test_cli_market_data_tail_when_feed_id_bad_then_one_line_naming_it(tmp_path: Path) -> None:
    config = _service_config(tmp_path, f"bus:\n  url: {REDIS_URL}\n")

    result = _aiswarm(config, "tail", "--feed", "coinbase:BTC/USD:1x")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "'coinbase:BTC/USD:1x'" in result.stderr
