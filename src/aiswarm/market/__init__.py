"""Market-data room: feed specs and registry, readers for every file format, market state.

Market data comes through a ``Feed`` (``FeedSpec``, ``FeedRegistry``); ``ReplayFeed`` replays
files, and ``load_bar_arrays`` gives a backtest the columnar ``BarArrays`` (see docs/feeds.md).
"""

from __future__ import annotations

from aiswarm.market.bar_arrays import BarArrays, load_bar_arrays
from aiswarm.market.feed import (
    Coverage,
    Feed,
    FeedId,
    FeedIdError,
    FeedSchema,
    FeedSpec,
    LatencyClass,
    MarketRecord,
)
from aiswarm.market.feed_registry import FeedRegistry, UnknownFeedError
from aiswarm.market.replay import ReplayFeed, read_bars, read_funding_rates
from aiswarm.market.replay_fields import ReplayFileError

__all__ = [
    "BarArrays",
    "Coverage",
    "Feed",
    "FeedId",
    "FeedIdError",
    "FeedRegistry",
    "FeedSchema",
    "FeedSpec",
    "LatencyClass",
    "MarketRecord",
    "ReplayFeed",
    "ReplayFileError",
    "UnknownFeedError",
    "load_bar_arrays",
    "read_bars",
    "read_funding_rates",
]
