"""The feed registry: one feed per id, get by id, a clear error for an unknown id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.errors import ConfigError
from aiswarm.market import FeedId, FeedIdError, FeedRegistry, ReplayFeed, UnknownFeedError


def feed(text: str) -> ReplayFeed:
    return ReplayFeed(FeedId.parse(text), [], SimulatedClock(datetime(2024, 1, 1, tzinfo=UTC)))


def test_get_when_registered_then_same_feed_by_text_or_id() -> None:
    # Arrange
    registry = FeedRegistry()
    btc = feed("binance:BTC/USDT:1m")
    registry.register(btc)

    # Act / Assert
    assert registry.get("binance:BTC/USDT:1m") is btc
    assert registry.get(FeedId.parse("binance:BTC/USDT:60s")) is btc
    assert "binance:BTC/USDT:1m" in registry
    assert len(registry) == 1


def test_get_when_unknown_id_then_error_lists_known_ids() -> None:
    # Arrange
    registry = FeedRegistry()
    registry.register(feed("binance:BTC/USDT:1m"))
    registry.register(feed("coinbase:ETH/USD:trades"))

    # Act
    with pytest.raises(UnknownFeedError) as caught:
        registry.get("binance:ETH/USDT:1m")

    # Assert
    message = str(caught.value)
    assert "'binance:ETH/USDT:1m'" in message
    assert "binance:BTC/USDT:1m, coinbase:ETH/USD:trades" in message
    assert isinstance(caught.value, ConfigError)


def test_get_when_registry_empty_then_error_says_none_known() -> None:
    with pytest.raises(UnknownFeedError, match="known feed ids: none"):
        FeedRegistry().get("binance:BTC/USDT:1m")


def test_get_when_id_malformed_then_feed_id_error() -> None:
    with pytest.raises(FeedIdError):
        FeedRegistry().get("BTCUSDT")


def test_register_when_id_taken_then_refused_and_first_kept() -> None:
    # Arrange
    registry = FeedRegistry()
    first = feed("binance:BTC/USDT:1m")
    registry.register(first)

    # Act
    with pytest.raises(ConfigError, match="already registered"):
        registry.register(feed("binance:BTC/USDT:1m"))

    # Assert
    assert registry.get("binance:BTC/USDT:1m") is first


def test_list_when_several_then_specs_sorted_by_id() -> None:
    # Arrange
    registry = FeedRegistry()
    for text in ("coinbase:BTC/USD:1m", "binance:BTC/USDT:funding", "binance:BTC/USDT:1h"):
        registry.register(feed(text))

    # Act
    ids = [str(spec.feed_id) for spec in registry.list()]

    # Assert
    assert ids == ["binance:BTC/USDT:1h", "binance:BTC/USDT:funding", "coinbase:BTC/USD:1m"]
