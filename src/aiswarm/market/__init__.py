"""Market-data room: feed specs and registry, the one reader of bar files, market state.

Market data comes through a ``Feed`` (``FeedSpec``, ``FeedRegistry``); ``ReplayFeed`` replays
files. ``read_bar_file`` reads every bar file format into the columnar ``BarArrays`` a backtest
and the runtime use, rounded onto the feed's price and size grid (see docs/feeds.md).
"""

from __future__ import annotations

from aiswarm.market.bar_arrays import BarArrays
from aiswarm.market.bar_file import BarFile, BarFileOptions, Grid, read_bar_file
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
from aiswarm.market.replay import ReplayFeed, read_funding_rates
from aiswarm.market.replay_fields import MarketFileError, ReplayFileError

__all__ = [
    "BarArrays",
    "BarFile",
    "BarFileOptions",
    "Coverage",
    "Feed",
    "FeedId",
    "FeedIdError",
    "FeedRegistry",
    "FeedSchema",
    "FeedSpec",
    "Grid",
    "LatencyClass",
    "MarketFileError",
    "MarketRecord",
    "ReplayFeed",
    "ReplayFileError",
    "UnknownFeedError",
    "read_bar_file",
    "read_funding_rates",
]
