"""How to reach one ccxt venue: plain settings, kept apart from ccxt so importing them is cheap.

The composition root builds them from ``config/`` (``runtime.live.ccxt_settings``); only
``ccxt_venue`` imports ccxt itself, and only live mode imports that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiswarm.execution.venue_retry import RetryPolicy
from aiswarm.types import Symbol, VenueId

__all__ = ["CcxtSettings"]


@dataclass(frozen=True)
class CcxtSettings:
    """How to reach one ccxt venue; the composition root builds it from ``config/``."""

    venue_id: VenueId
    exchange: str
    routes: Mapping[Symbol, str]
    market_type: str = "spot"
    testnet: bool = False
    base_url: str | None = None
    urls: Mapping[str, str] = field(default_factory=dict)
    markets_file: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    credentials_prefix: str = ""
    timeout_ms: int = 10_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    request_window_ms: int = 5_000
    """Sent with signed requests (``recvWindow``): the venue refuses a request that arrives
    later than this after its timestamp, so an unanswered submit cannot land after it."""
    in_flight_margin_ms: int = 1_000
    """Waited beyond ``request_window_ms`` before an unanswered submit counts as not arrived
    (clock skew between us and the venue, the venue's own queueing)."""
    market_data_only: bool = False
    """Read no credentials: public market data (markets, bars) for shadow mode; an order
    request is then refused by the venue, as it would be without keys."""
