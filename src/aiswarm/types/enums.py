"""Name every side, order type, status and state as an enum, never a free string. No I/O.

Values are lower-case strings so they read well in JSON, config files and the event store.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "TERMINAL_ORDER_STATUSES",
    "WORKING_ORDER_STATUSES",
    "BarFileFormat",
    "Direction",
    "InstrumentKind",
    "MandateStatus",
    "OrderStatus",
    "OrderType",
    "Side",
    "TimeInForce",
    "TradingState",
]


class BarFileFormat(StrEnum):
    """A format of bar (OHLCV) file we read; docs/feeds.md shows each layout."""

    CSV = "csv"  # header CSV: ours, ccxt-style, basana/Bitstamp, CryptoDataDownload, FTX
    JSON = "json"  # ccxt/freqtrade rows [[ms, o, h, l, c, v], ...], records or pandas columns
    FEATHER = "feather"  # Arrow IPC, as freqtrade stores candles
    PARQUET = "parquet"
    LEAN_ZIP = "lean-zip"  # QuantConnect Lean trade-bar zips


class Side(StrEnum):
    """The side of an order or fill."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """Return +1 for BUY and -1 for SELL: the sign a fill adds to a position."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """Return the side that closes a position opened on this side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """How an order executes. LIMIT and STOP_LIMIT carry a limit price; STOP_* a stop price."""

    MARKET = "market"
    LIMIT = "limit"
    STOP_MARKET = "stop_market"
    STOP_LIMIT = "stop_limit"

    @property
    def needs_limit_price(self) -> bool:
        """Return whether this type must carry a limit price (and any other must not)."""
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        """Return whether this type must carry a stop price (and any other must not)."""
        return self in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)


class TimeInForce(StrEnum):
    """How long an order rests. Post-only is a separate flag on the order, not a TIF."""

    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class InstrumentKind(StrEnum):
    """What is traded: the asset itself, or a perpetual swap on it."""

    SPOT = "spot"
    PERPETUAL = "perpetual"


class Direction(StrEnum):
    """The position an agent's signal asks for."""

    LONG = "long"
    SHORT = "short"
    FLAT = "flat"


class OrderStatus(StrEnum):
    """Where an order is in its lifecycle. The order state table owns the moves between them."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """Return whether no event can move an order out of this status."""
        return self in TERMINAL_ORDER_STATUSES


TERMINAL_ORDER_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
"""Statuses an order never leaves."""

WORKING_ORDER_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED}
)
"""Statuses of an order the venue has acknowledged and that can still fill."""


class TradingState(StrEnum):
    """The kill switch's state: trade freely, only reduce exposure, or trade nothing."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class MandateStatus(StrEnum):
    """A mandate's lifecycle: only ACTIVE mandates trade."""

    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    REVOKED = "revoked"
    EXPIRED = "expired"
