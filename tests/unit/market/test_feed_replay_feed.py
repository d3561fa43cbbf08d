"""ReplayFeed: history in batches covers every record once, and stream() paced by the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.errors import ConfigError
from aiswarm.market import Feed, FeedId, LatencyClass, MarketRecord, ReplayFeed, read_bar_file
from aiswarm.types import Bar, Symbol, Trade, VenueId

DATA = Path(__file__).resolve().parents[3] / "backtest_data"
BTC_FILE = DATA / "coinbase_btcusd_1m_2018-04-04_06.csv"
FEED_ID = "coinbase:BTC/USD:1m"
START = datetime(2018, 4, 4, tzinfo=UTC)


def read_bars(path: Path, venue: VenueId, symbol: Symbol) -> list[Bar]:
    return read_bar_file(path, venue, symbol).bars.to_bars()


async def collect(
    feed: ReplayFeed, start_ns: int, end_ns: int, batch: int
) -> list[list[MarketRecord]]:
    return [chunk async for chunk in feed.history(start_ns, end_ns, batch)]


def trades(count: int) -> list[Trade]:
    return [
        Trade(
            venue="coinbase",
            symbol="BTC/USD",
            ts_ns=1_000_000_000 * (i // 2 + 1),
            price="100",
            size="1",
        )
        for i in range(count)
    ]


def test_from_files_when_shipped_csv_then_spec_has_coverage_and_is_a_feed() -> None:
    # Act
    feed = ReplayFeed.from_files(FEED_ID, BTC_FILE, SimulatedClock(START))

    # Assert
    assert isinstance(feed, Feed)
    spec = feed.spec
    assert str(spec.feed_id) == FEED_ID
    assert spec.latency is LatencyClass.HISTORICAL
    assert spec.coverage is not None
    assert spec.coverage.records == 3887
    assert from_ns(spec.coverage.first_ts_ns) == START
    assert from_ns(spec.coverage.last_ts_ns) == datetime(2018, 4, 6, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize("batch", [1, 7, 500, 10_000])
async def test_history_when_batched_then_every_record_exactly_once_in_order(batch: int) -> None:
    # Arrange
    feed = ReplayFeed.from_files(FEED_ID, BTC_FILE, SimulatedClock(START))
    expected = read_bars(BTC_FILE, VenueId("coinbase"), Symbol("BTC/USD"))

    # Act
    chunks = await collect(feed, 0, 2**62, batch)

    # Assert
    assert all(0 < len(chunk) <= batch for chunk in chunks)
    assert [record for chunk in chunks for record in chunk] == expected


async def test_history_when_window_then_half_open_range() -> None:
    # Arrange
    feed = ReplayFeed(FeedId.parse("coinbase:BTC/USD:trades"), trades(6), SimulatedClock(START))

    # Act
    chunks = await collect(feed, 2_000_000_000, 3_000_000_000, 10)

    # Assert: ts 2 s twice (records 2 and 3), none at 3 s (end is exclusive)
    assert [[r.ts_ns for r in chunk] for chunk in chunks] == [[2_000_000_000, 2_000_000_000]]


async def test_history_when_batch_not_positive_then_refused() -> None:
    feed = ReplayFeed(FeedId.parse("coinbase:BTC/USD:trades"), trades(2), SimulatedClock(START))
    with pytest.raises(ValueError, match="batch > 0"):
        await collect(feed, 0, 10, 0)


async def test_stream_when_simulated_clock_then_each_bar_at_its_close_in_order() -> None:
    # Arrange
    clock = SimulatedClock(START)
    feed = ReplayFeed.from_files(FEED_ID, BTC_FILE, clock)
    seen: list[tuple[int, int]] = []

    # Act
    async for record in feed.stream():
        assert isinstance(record, Bar)
        seen.append((record.ts_ns, clock.now_ns()))
        if len(seen) == 50:
            break

    # Assert: yielded in order, each exactly when its bar closed (never before)
    assert [ts for ts, _ in seen] == sorted(ts for ts, _ in seen)
    assert all(now == ts + 60_000_000_000 for ts, now in seen)


async def test_stream_when_clock_starts_late_then_past_records_not_pushed() -> None:
    # Arrange
    clock = SimulatedClock(from_ns(3_000_000_000))
    feed = ReplayFeed(FeedId.parse("coinbase:BTC/USD:trades"), trades(8), clock)

    # Act
    pushed = [record.ts_ns async for record in feed.stream()]

    # Assert
    assert pushed == [3_000_000_000, 3_000_000_000, 4_000_000_000, 4_000_000_000]
    assert clock.now_ns() == 4_000_000_000


def test_replay_feed_when_record_of_other_symbol_then_refused() -> None:
    bars = read_bars(BTC_FILE, VenueId("coinbase"), Symbol("ETH/USD"))[:2]
    with pytest.raises(ConfigError, match="carries Bar of coinbase:BTC/USD"):
        ReplayFeed(FeedId.parse(FEED_ID), bars, SimulatedClock(START))


def test_replay_feed_when_records_out_of_order_then_refused() -> None:
    with pytest.raises(ConfigError, match="time order"):
        ReplayFeed(FeedId.parse("coinbase:BTC/USD:trades"), trades(4)[::-1], SimulatedClock(START))


def test_from_files_when_interval_differs_from_file_then_refused() -> None:
    with pytest.raises(ConfigError, match="off the 86400 s grid"):
        ReplayFeed.from_files("coinbase:BTC/USD:1d", BTC_FILE, SimulatedClock(START))


def test_from_files_when_schema_has_no_file_reader_then_refused() -> None:
    with pytest.raises(ConfigError, match="build ReplayFeed from records"):
        ReplayFeed.from_files("coinbase:BTC/USD:trades", BTC_FILE, SimulatedClock(START))
