"""Data room: the append-only, hash-chained event store, and market data feeds.

Others use ``open_event_store`` to get an ``EventStore``, read ``StoredEvent``s back, and check
the chain with ``EventStore.verify`` or, without a database, ``verify_records``. Market data
comes through a ``Feed`` (``FeedSpec``, ``FeedRegistry``); ``ReplayFeed`` replays files, and
``load_bar_arrays`` gives a backtest the columnar ``BarArrays`` (see docs/feeds.md).
"""

from __future__ import annotations

from aiswarm.data.bar_arrays import BarArrays, load_bar_arrays
from aiswarm.data.event_chain import (
    ZERO_HASH,
    ChainReport,
    StoredEvent,
    record_hash,
    to_canonical_json,
    verify_records,
)
from aiswarm.data.event_store import EventStore, open_event_store
from aiswarm.data.feed import (
    Coverage,
    Feed,
    FeedId,
    FeedIdError,
    FeedSchema,
    FeedSpec,
    LatencyClass,
    MarketRecord,
)
from aiswarm.data.feed_registry import FeedRegistry, UnknownFeedError
from aiswarm.data.replay import ReplayFeed, read_bars, read_funding_rates
from aiswarm.data.replay_fields import ReplayFileError

__all__ = [
    "ZERO_HASH",
    "BarArrays",
    "ChainReport",
    "Coverage",
    "EventStore",
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
    "StoredEvent",
    "UnknownFeedError",
    "load_bar_arrays",
    "open_event_store",
    "read_bars",
    "read_funding_rates",
    "record_hash",
    "to_canonical_json",
    "verify_records",
]
