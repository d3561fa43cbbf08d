"""What reconciliation asks a venue: its open orders, positions and balances.

``VenueHoldings`` is the small seam reconciliation needs; a live adapter implements it with
its exchange's queries (a ccxt venue: ``fetch_open_orders``, ``fetch_positions``,
``fetch_balance``). A method answers ``None`` when the venue does not report that section at all
(``NotOffered`` in the report), and raises when the query fails (``Failed``: unknown, never
flat). ``SimulatedHoldings`` answers for the paper and shadow venues from what they hold: the
paper venue's own position book (fills it made), the shadow venue holds nothing because it never
fills, and neither keeps cash, so balances are not offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from aiswarm.errors import ConfigError
from aiswarm.execution import Venue
from aiswarm.execution.live_venue import LiveVenue
from aiswarm.execution.venue import VenueOrder
from aiswarm.types import AccountId, InstrumentKind, Symbol
from aiswarm.venues import PaperVenue, ShadowVenue

if TYPE_CHECKING:
    from aiswarm.runtime.engine import TradingEngine

__all__ = ["LiveHoldings", "SimulatedHoldings", "VenueHoldings", "holdings_for"]


@runtime_checkable
class VenueHoldings(Protocol):
    """The venue's book for one account, as reconciliation reads it."""

    async def open_orders(self) -> list[VenueOrder]:
        """Return every order that can still fill; raise when the venue cannot be asked."""
        ...

    async def positions(self) -> Mapping[Symbol, Decimal] | None:
        """Return signed base quantity per symbol held (None: the venue reports none)."""
        ...

    async def balances(self) -> Mapping[str, Decimal] | None:
        """Return the amount per currency (None: the venue reports no balances)."""
        ...


class SimulatedHoldings:
    """``VenueHoldings`` over a paper or shadow venue (see the module docstring)."""

    def __init__(self, venue: Venue, account: AccountId, symbols: tuple[Symbol, ...]) -> None:
        self._venue = venue
        self._account = account
        self._symbols = symbols

    async def open_orders(self) -> list[VenueOrder]:
        """Return the simulated venue's working orders."""
        return await self._venue.open_orders()

    async def positions(self) -> Mapping[Symbol, Decimal] | None:
        """Return the paper venue's positions; a shadow venue never fills, so it holds none."""
        venue = self._venue
        if not isinstance(venue, PaperVenue):
            return {}
        held = {symbol: venue.position(self._account, symbol) for symbol in self._symbols}
        return {symbol: quantity for symbol, quantity in held.items() if quantity != 0}

    async def balances(self) -> Mapping[str, Decimal] | None:
        """Return None: simulated venues keep no cash of their own to compare."""
        return None


class LiveHoldings:
    """``VenueHoldings`` over a live adapter (``execution.live_venue.LiveVenue``).

    Derivative positions are the venue's own (signed base quantity per symbol). A spot holding
    is a balance shared with whatever else the account holds, not a position the venue reports,
    so while any routed instrument is spot the positions section is not offered rather than
    read as flat. Balances are the venue's totals (free plus locked) per asset.
    """

    def __init__(self, venue: LiveVenue) -> None:
        self._venue = venue

    async def open_orders(self) -> list[VenueOrder]:
        """Return the venue's working orders of this account."""
        return await self._venue.open_orders()

    async def positions(self) -> Mapping[Symbol, Decimal] | None:
        """Return the venue's derivative positions; None while any routed market is spot."""
        venue = self._venue
        if any(i.kind is InstrumentKind.SPOT for i in venue.instruments.values()):
            return None
        return {p.symbol: p.quantity for p in await venue.positions() if p.quantity != 0}

    async def balances(self) -> Mapping[str, Decimal] | None:
        """Return the venue's total balance per asset."""
        return {asset: held.total for asset, held in (await self._venue.balances()).items()}


def holdings_for(engine: TradingEngine) -> VenueHoldings:
    """Return how reconciliation reads ``engine``'s venue: ``LiveHoldings`` over a live
    adapter, the simulated reading for paper and shadow.

    Raises ``ConfigError`` for a venue that offers neither: reconciliation must not silently
    compare against nothing.
    """
    venue = engine.venue
    if isinstance(venue, PaperVenue | ShadowVenue):
        return SimulatedHoldings(venue, engine.account, tuple(engine.market.symbols))
    if isinstance(venue, LiveVenue):
        return LiveHoldings(venue)
    raise ConfigError(
        f"venue {venue.venue_id} cannot be reconciled: it answers no positions or balances "
        "queries; implement runtime.venue_holdings.VenueHoldings in its adapter"
    )
