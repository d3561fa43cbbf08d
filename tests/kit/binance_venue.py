"""Start the fake Binance and a ``CcxtVenue`` pointed at it through the real ccxt client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.execution.venue_retry import RetryPolicy
from aiswarm.types import Symbol, VenueId
from aiswarm.venues.ccxt_settings import CcxtSettings
from aiswarm.venues.ccxt_venue import CcxtVenue
from fakes.binance_fake import API_KEY, API_SECRET, FakeBinance
from kit.builders import T0

CREDENTIALS_PREFIX = "AIS_VENUE_FAKEBINANCE"
BINANCE_OPTIONS = {
    "fetchMarkets": {"types": ["spot"]},
    "fetchMargins": False,
    "fetchCurrencies": False,
}
FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05, seed=7)


def fake_settings(fake: FakeBinance, **overrides: object) -> CcxtSettings:
    """Return settings of a Binance spot venue reached at the fake."""
    fields: dict[str, object] = {
        "venue_id": VenueId("binance"),
        "exchange": "binance",
        "routes": {Symbol("BTC/USDT"): "BTC/USDT", Symbol("ETH/USDT"): "ETH/USDT"},
        "base_url": fake.base_url,
        "options": BINANCE_OPTIONS,
        "credentials_prefix": CREDENTIALS_PREFIX,
        "timeout_ms": 400,
        "retry": FAST_RETRY,
    }
    return CcxtSettings(**(fields | overrides))  # type: ignore[arg-type]


@pytest.fixture
def fake_binance(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBinance]:
    """Yield a running fake Binance with BTCUSDT at 57,000 and the credentials in env."""
    monkeypatch.setenv(f"{CREDENTIALS_PREFIX}_API_KEY", API_KEY)
    monkeypatch.setenv(f"{CREDENTIALS_PREFIX}_API_SECRET", API_SECRET)
    fake = FakeBinance().start()
    fake.last_price["BTCUSDT"] = Decimal("57000")
    fake.last_price["ETHUSDT"] = Decimal("3500")
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
async def binance_venue(fake_binance: FakeBinance) -> AsyncIterator[CcxtVenue]:
    """Yield a connected ccxt venue on the fake; closed after the test."""
    venue = CcxtVenue(fake_settings(fake_binance), SimulatedClock(T0))
    await venue.connect()
    try:
        yield venue
    finally:
        await venue.close()
