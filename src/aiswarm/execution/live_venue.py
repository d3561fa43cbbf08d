"""Define what a live venue adapter adds to ``Venue``: a lifecycle, modify, account and market data.

``Venue`` (``venue.py``) is what the OMS needs and what paper, shadow and live all implement.
A live adapter (ccxt today; Hyperliquid plugs in the same way) also owns a network connection
and answers questions the simulated venues answer from their own book:

* ``connect`` / ``close``: open the session (load markets once, check the clock and the
  credentials) and release it; nothing else may be called before ``connect``.
* ``modify``: replace a working order by a new one (``new_spec`` carries its own client order
  id and its own approval). A venue without a native modify cancels and then places; the old
  id's cancel and the new id's acceptance both arrive as reports, and ``replaced_by`` names
  the new id for the old one.
* ``poll``: ask the venue what happened since the last poll and put it in the report buffer
  ``drain_reports`` empties; a streaming adapter's poll returns at once.
* ``fills_since``, ``balances``, ``positions``: the account as the venue sees it, for
  reconciliation and for the operator.
* ``closed_bars``: the market-event stream in its pull form: bars that closed after a time.

Every query is safe to retry and is retried on a transient fault; a submit is retried only
after asking the venue by client order id whether the first attempt arrived (docs/venues.md).
No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from aiswarm.execution.venue import ExecutionReport, Venue, VenueAck
from aiswarm.types import Bar, ClientOrderId, Instrument, OrderSpec, Symbol, VenueOrderId

__all__ = ["Balance", "LiveVenue", "VenuePosition"]


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset's balance at the venue: ``free`` to trade, ``locked`` in orders (exact)."""

    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        """Return free plus locked."""
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class VenuePosition:
    """A derivative position as the venue holds it: signed base quantity, entry price."""

    symbol: Symbol
    quantity: Decimal
    entry_price: Decimal | None


@runtime_checkable
class LiveVenue(Venue, Protocol):
    """A venue reached over the network; see the module docstring."""

    @property
    def instruments(self) -> Mapping[Symbol, Instrument]:
        """Return the routed symbols' instruments, read from the venue's markets at connect."""
        ...

    async def connect(self) -> None:
        """Open the session: load (or read) markets once; raise VenueError if unreachable."""
        ...

    async def close(self) -> None:
        """Release the session's connections; safe to call twice."""
        ...

    async def modify(self, client_order_id: ClientOrderId, new_spec: OrderSpec) -> VenueAck:
        """Replace a working order by ``new_spec`` (cancel-replace where there is no modify)."""
        ...

    def adopt(self, spec: OrderSpec, venue_order_id: VenueOrderId | None) -> None:
        """Take back an order the log holds as open, before the OMS reconciles (a restart)."""
        ...

    async def foreign_open_orders(self) -> list[str]:
        """Return 'symbol id' of each open order at the venue that this account did not place."""
        ...

    def replaced_by(self, client_order_id: ClientOrderId) -> ClientOrderId | None:
        """Return the id of the order that replaced ``client_order_id``, if any."""
        ...

    async def poll(self) -> None:
        """Fetch what happened to our orders since the last poll into the report buffer."""
        ...

    async def fills_since(self, ts_ns: int) -> list[ExecutionReport]:
        """Return every FILL of our routed symbols at or after ``ts_ns``, oldest first."""
        ...

    async def balances(self) -> dict[str, Balance]:
        """Return the account's balances by asset."""
        ...

    async def positions(self) -> list[VenuePosition]:
        """Return open derivative positions (empty on a spot venue)."""
        ...

    async def closed_bars(self, symbol: Symbol, interval_s: int, after_ns: int) -> list[Bar]:
        """Return the bars of ``symbol`` that opened after ``after_ns`` and have closed."""
        ...
