"""Declare what the guard chain reads: the portfolio, the market and the order activity. No I/O.

``risk/`` declares these and other rooms provide them (house rule: the module that uses an
interface declares it). ``portfolio/`` implements ``PortfolioView``; the OMS implements
``ActivityView`` (``ActivitySnapshot`` is a plain implementation for tests and simple callers);
the runtime builds a ``MarketView`` from market state for each symbol it trades.

Every number here must come from data. In particular ``MarketView.liquidity_usd`` is measured
(order-book depth within the price band, or recent traded volume); ``None`` means it was not
measured, and the guard chain refuses rather than assume a figure. The market and activity
views are slotted frozen dataclasses, not pydantic models, because the guard chain reads them
on every order and slot reads are about four times cheaper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

from aiswarm.types import (
    AccountId,
    MandateId,
    OrderSpec,
    PortfolioSnapshot,
    Side,
    Symbol,
    VenueId,
)

__all__ = [
    "ActivitySnapshot",
    "ActivityView",
    "LiquiditySource",
    "MarketView",
    "OrderFingerprint",
    "PortfolioView",
    "order_fingerprint",
]

_ZERO = Decimal(0)

OrderFingerprint = tuple[MandateId, Symbol, Side, Decimal, Decimal | None]
"""(mandate, symbol, side, quantity, limit price): two orders with one fingerprint are duplicates
when they come within ``duplicate_window_s`` of each other."""


def order_fingerprint(spec: OrderSpec) -> OrderFingerprint:
    """Return the fingerprint the duplicate-order guard and the OMS both key orders by."""
    return (spec.mandate_id, spec.symbol, spec.side, spec.quantity, spec.limit_price)


class PortfolioView(Protocol):
    """What risk reads from the portfolio: read-only, and provided by ``portfolio/``."""

    def snapshot(self, account: AccountId) -> PortfolioSnapshot | None:
        """Return the account's current snapshot, or None when the account is unknown."""
        ...

    def mandate_exposure_usd(self, mandate_id: MandateId) -> Decimal | None:
        """Return the mandate's open notional (positions plus resting orders, USD at the mark).

        None means it is not known; the budget guard then refuses.
        """
        ...


class LiquiditySource(StrEnum):
    """Where a liquidity figure was measured."""

    BOOK_DEPTH = "book_depth"
    TRADED_VOLUME = "traded_volume"


@dataclass(frozen=True, slots=True)
class MarketView:
    """One market's state as last seen: mark, best quotes, age and measured liquidity.

    A market is a symbol at a venue: the same symbol trades at other prices elsewhere, so a view
    prices only orders for its own ``venue`` and ``symbol``. ``mark`` is the reference price in
    quote units (None when there is none); ``updated_ns`` is when the data was last updated, in
    nanoseconds since the Unix epoch (UTC). ``liquidity_usd`` is the notional the market can
    absorb near the mark, measured from ``liquidity_source`` (book depth within the price band,
    or traded volume over a recent window); None when it was not measured.
    """

    venue: VenueId
    symbol: Symbol
    mark: Decimal | None
    best_bid: Decimal | None
    best_ask: Decimal | None
    updated_ns: int
    liquidity_usd: Decimal | None
    liquidity_source: LiquiditySource | None = None


class ActivityView(Protocol):
    """What risk reads about the account's order activity; the OMS provides it.

    ``order_times_ns`` are submission times of the account's orders, ascending, covering at
    least the current UTC day. ``recent_fingerprints`` maps each recent order's fingerprint to
    the time it was last submitted (ns). ``consecutive_rejections`` counts venue rejections
    since the last accepted order, and ``last_rejection_ns`` is when the latest one came.
    """

    @property
    def open_orders_count(self) -> int:
        """Return how many of the account's orders rest at venues now."""
        ...

    @property
    def open_order_notional_total_usd(self) -> Decimal:
        """Return the notional of every resting order, in USD at their prices."""
        ...

    def open_order_notional_usd(self, symbol: Symbol) -> Decimal:
        """Return the notional of the resting orders in ``symbol``, in USD."""
        ...

    @property
    def order_times_ns(self) -> Sequence[int]:
        """Return submission times (ns since the epoch, ascending)."""
        ...

    @property
    def recent_fingerprints(self) -> Mapping[OrderFingerprint, int]:
        """Return the last submission time (ns) of each recent order fingerprint."""
        ...

    @property
    def consecutive_rejections(self) -> int:
        """Return the venue rejections in a row since the last accepted order."""
        ...

    @property
    def last_rejection_ns(self) -> int | None:
        """Return when the latest venue rejection came (ns), or None if none has."""
        ...


@dataclass(frozen=True, slots=True)
class ActivitySnapshot:
    """A fixed ``ActivityView``: the activity at one instant, for tests and simple callers."""

    open_orders_count: int = 0
    open_notional_by_symbol: Mapping[Symbol, Decimal] = field(
        default_factory=lambda: MappingProxyType({})
    )
    order_times_ns: Sequence[int] = ()
    recent_fingerprints: Mapping[OrderFingerprint, int] = field(
        default_factory=lambda: MappingProxyType({})
    )
    consecutive_rejections: int = 0
    last_rejection_ns: int | None = None
    open_order_notional_total_usd: Decimal = field(init=False)

    def __post_init__(self) -> None:
        """Sum the resting notional once, since every order's gross exposure reads it."""
        total = sum(self.open_notional_by_symbol.values(), _ZERO)
        object.__setattr__(self, "open_order_notional_total_usd", total)

    def open_order_notional_usd(self, symbol: Symbol) -> Decimal:
        """Return the notional of the resting orders in ``symbol`` (0 when none)."""
        return self.open_notional_by_symbol.get(symbol, _ZERO)
