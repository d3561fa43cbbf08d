"""Replayed funding rates join the first step at or after their settlement, in time order."""

from __future__ import annotations

from decimal import Decimal

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.market import FeedId, ReplayFeed
from aiswarm.market.feed import FeedSchema
from aiswarm.runtime.replay_driver import ReplayEvent, history_before, replay_groups
from aiswarm.types import Bar, FundingRate, Symbol, VenueId

VENUE = VenueId("binance")
PERP = Symbol("BTC/USDT:USDT")
_S = 1_000_000_000
_MIN = 60 * _S


def _bar(minute: int) -> Bar:
    price = Decimal(100 + minute)
    return Bar(
        venue=VENUE,
        symbol=PERP,
        ts_ns=minute * _MIN,
        interval_s=60,
        open=price,
        high=price,
        low=price,
        close=price,
        volume=Decimal(1),
    )


def _rate(ns: int) -> FundingRate:
    return FundingRate(venue=VENUE, symbol=PERP, ts_ns=ns, rate=Decimal("0.0001"))


def _feeds(bars: list[Bar], rates: list[FundingRate]) -> list[ReplayFeed]:
    clock = SimulatedClock(from_ns(0))
    return [
        ReplayFeed(FeedId(VENUE, PERP, FeedSchema.FUNDING), rates, clock),
        ReplayFeed(FeedId(VENUE, PERP, FeedSchema.BARS, 60), bars, clock),
    ]


def _names(events: list[ReplayEvent]) -> list[str]:
    return [
        f"bar@{event.ts_ns // _S}s" if isinstance(event, Bar) else f"rate@{event.ts_ns // _S}s"
        for event in events
    ]


async def test_replay_groups_when_funding_between_bars_then_each_joins_the_next_close() -> None:
    # Arrange: bars open at 600 s, 660 s and 780 s (720..780 is a gap); settlements before the
    # first open, at a close, inside a bar, inside the gap, at a bar's open and after the end
    bars = [_bar(10), _bar(11), _bar(13)]
    settled_s = [550, 660, 665, 750, 780, 900]
    rates = [_rate(seconds * _S) for seconds in settled_s]

    # Act
    feeds = _feeds(bars, rates)
    groups = [(close // _S, _names(events)) async for close, events in replay_groups(feeds, -1)]

    # Assert: one step per bar close, each rate in the first at or after it settled, before a
    # bar that opened after it (or at that instant) and after one that opened before it
    assert groups == [
        (660, ["rate@550s", "bar@600s", "rate@660s"]),
        (720, ["bar@660s", "rate@665s"]),
        (840, ["rate@750s", "rate@780s", "bar@780s"]),
    ]


async def test_replay_groups_when_resumed_then_funding_already_stepped_is_not_again() -> None:
    # Arrange
    bars = [_bar(0), _bar(1), _bar(2)]
    rates = [_rate(65 * _S), _rate(125 * _S)]
    feeds = _feeds(bars, rates)

    # Act: resume after the step at minute 2, which took the first rate in
    resumed = [_names(events) async for _, events in replay_groups(feeds, 2 * _MIN)]
    warm = _names(await history_before(feeds, 2 * _MIN))

    # Assert: warming shows what was stepped; the replay goes on with the rest, once each
    assert warm == ["bar@0s", "bar@60s", "rate@65s"]
    assert resumed == [["bar@120s", "rate@125s"]]
