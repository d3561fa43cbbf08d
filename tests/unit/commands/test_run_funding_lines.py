"""`aiswarm run` says how many of a funding file's rates its bars' replay will step."""

from __future__ import annotations

from decimal import Decimal

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.commands.run import funding_lines
from aiswarm.market import FeedId, FeedRegistry, FeedSchema, ReplayFeed
from aiswarm.types import Bar, FundingRate, Symbol, VenueId

VENUE = VenueId("binance")
PERP = Symbol("BTC/USDT:USDT")
DAY = 86_400 * 1_000_000_000


def _registry(settled_days: list[int]) -> FeedRegistry:
    clock = SimulatedClock(from_ns(0))
    bars = [
        Bar(
            venue=VENUE,
            symbol=PERP,
            ts_ns=day * DAY,
            interval_s=86_400,
            open=Decimal(1),
            high=Decimal(1),
            low=Decimal(1),
            close=Decimal(1),
            volume=Decimal(1),
        )
        for day in (1, 2)
    ]
    rates = [
        FundingRate(venue=VENUE, symbol=PERP, ts_ns=day * DAY, rate=Decimal("0.0001"))
        for day in settled_days
    ]
    registry = FeedRegistry()
    registry.register(ReplayFeed(FeedId(VENUE, PERP, FeedSchema.BARS, 86_400), bars, clock))
    registry.register(ReplayFeed(FeedId(VENUE, PERP, FeedSchema.FUNDING), rates, clock))
    return registry


async def test_funding_lines_when_some_rates_after_the_bars_then_counts_the_stepped_ones() -> None:
    # Act: the bars close on days 2 and 3; rates settle on days 0, 3 and 40
    lines = await funding_lines(_registry([0, 3, 40]))

    # Assert
    assert lines == [
        "  funding BTC/USDT:USDT: 3 rates 1970-01-01..1970-02-10, 2 of them while its bars "
        "replay (to 1970-01-04 00:00)"
    ]


async def test_funding_lines_when_no_rate_in_the_replay_window_then_says_not_covered() -> None:
    # Act: the bars open on days 1 and 2 and close on day 3; rates settle on days 40 and 41
    lines = await funding_lines(_registry([40, 41]))

    # Assert
    assert lines == [
        "  funding BTC/USDT:USDT: NOT COVERED: its 2 rates 1970-02-10..1970-02-11 all settle "
        "outside the replay window 1970-01-02 00:00..1970-01-04 00:00, so the funding agent "
        "receives no rate; give paper.funding a file of the bars' dates (docs/configuration.md)"
    ]


async def test_funding_lines_when_no_funding_feed_then_nothing_said() -> None:
    # Arrange
    registry = FeedRegistry()

    # Act / Assert
    assert await funding_lines(registry) == []
