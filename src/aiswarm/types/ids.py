"""Give every identifier its own type, so an account id cannot be passed where a symbol belongs.

Each is a ``NewType`` over ``str``: free at run time, checked by mypy. No I/O.
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "AccountId",
    "AgentId",
    "ClientOrderId",
    "MandateId",
    "Symbol",
    "TradeId",
    "VenueId",
    "VenueOrderId",
]

AccountId = NewType("AccountId", str)
"""A trading account (one user's sub-account at one or more venues)."""

AgentId = NewType("AgentId", str)
"""The agent that produced a signal."""

ClientOrderId = NewType("ClientOrderId", str)
"""Our id for an order, chosen before submission; the idempotency key at the venue."""

MandateId = NewType("MandateId", str)
"""The mandate an order trades under."""

Symbol = NewType("Symbol", str)
"""A market's unified symbol, e.g. ``BTC/USDT`` (spot) or ``BTC/USDT:USDT`` (perpetual)."""

TradeId = NewType("TradeId", str)
"""The venue's id for one execution (fill)."""

VenueId = NewType("VenueId", str)
"""A venue, e.g. ``binance`` or ``hyperliquid``."""

VenueOrderId = NewType("VenueOrderId", str)
"""The venue's id for an order, known once the venue has accepted it."""
