"""Keep the feeds a process can read, keyed by feed id, so components ask for data by name.

The runtime registers each feed once at start (file replays in a backtest, venue feeds in
paper and live); agents and the coordinator then ``get`` a feed by its id. Asking for an id
nobody registered is a configuration mistake, and the error lists the ids that do exist.
"""

from __future__ import annotations

from aiswarm.errors import ConfigError
from aiswarm.market.feed import Feed, FeedId, FeedIdError, FeedSpec

__all__ = ["FeedRegistry", "UnknownFeedError"]


class UnknownFeedError(ConfigError):
    """A feed id was asked for that nobody registered: fix the id in the config."""


class FeedRegistry:
    """Feeds by feed id: register once, get by id, list every spec in id order."""

    def __init__(self) -> None:
        self._feeds: dict[str, Feed] = {}

    def register(self, feed: Feed) -> None:
        """Add ``feed`` under its spec's id; a second feed with the same id is refused."""
        key = str(feed.spec.feed_id)
        if key in self._feeds:
            raise ConfigError(
                f"feed {key!r} is already registered; each feed id may be registered once: "
                "remove the duplicate from the config"
            )
        self._feeds[key] = feed

    def get(self, feed_id: str | FeedId) -> Feed:
        """Return the feed registered under ``feed_id`` (text is parsed, so it is checked too).

        Raises:
            FeedIdError: ``feed_id`` is text that is not a valid feed id.
            UnknownFeedError: nobody registered it; the message lists the ids that exist.
        """
        key = str(FeedId.parse(feed_id) if isinstance(feed_id, str) else feed_id)
        try:
            return self._feeds[key]
        except KeyError:
            known = ", ".join(sorted(self._feeds)) or "none"
            raise UnknownFeedError(
                f"no feed {key!r} is registered; known feed ids: {known}. "
                "Fix the feed id in the config or register that feed"
            ) from None

    def list(self) -> tuple[FeedSpec, ...]:
        """Return the spec of every registered feed, sorted by feed id."""
        return tuple(self._feeds[key].spec for key in sorted(self._feeds))

    def __contains__(self, feed_id: object) -> bool:
        """Say whether a feed is registered under ``feed_id`` (text or ``FeedId``)."""
        if isinstance(feed_id, str):
            try:
                feed_id = FeedId.parse(feed_id)
            except FeedIdError:
                return False
        return str(feed_id) in self._feeds

    def __len__(self) -> int:
        """Return how many feeds are registered."""
        return len(self._feeds)
