"""The live section: routes must name defined venues, once per symbol; off by default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aiswarm.config.live import LiveConfig

VENUES = {"binance": {"exchange": "binance", "testnet": True}}


def test_live_is_off_by_default() -> None:
    assert LiveConfig().enabled is False


def test_route_defaults_venue_symbol_to_ours() -> None:
    live = LiveConfig.model_validate(
        {"venues": VENUES, "routes": [{"symbol": "BTC/USDT", "venue": "binance"}]}
    )

    assert live.routes[0].at_venue == "BTC/USDT"


def test_route_to_undefined_venue_is_named() -> None:
    with pytest.raises(ValidationError, match=r"venue 'bybit', which live\.venues does not define"):
        LiveConfig.model_validate(
            {"venues": VENUES, "routes": [{"symbol": "BTC/USDT", "venue": "bybit"}]}
        )


def test_symbol_routed_twice_is_refused() -> None:
    route = {"symbol": "BTC/USDT", "venue": "binance"}
    with pytest.raises(ValidationError, match="lists BTC/USDT twice"):
        LiveConfig.model_validate({"venues": VENUES, "routes": [route, route]})


def test_unknown_venue_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="api_secret"):
        LiveConfig.model_validate(
            {"venues": {"binance": {"exchange": "binance", "api_secret": "x"}}}
        )
