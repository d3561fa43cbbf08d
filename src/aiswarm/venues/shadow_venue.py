"""Record what would have been sent to a venue, and send nothing: shadow mode.

``ShadowVenue`` implements ``Venue`` and ``MarketDataSink`` so the whole pipeline runs
unchanged against real market data, while every submit and cancel is only written down in
``sent`` (the full ``OrderSpec`` or the cancelled id, with the time and the last close seen).
It acknowledges submissions (ACCEPTED) and cancels (CANCELED) and never fills: shadow mode
must not pretend to trade. Shadow P&L would need a paper twin fed the same orders; that is
not done here. The order table, acks and reports are the shared ``simulated_book``.

It must have no way to reach a network or a live adapter, so this module imports nothing
that can: no socket, ssl, http client, ccxt or Hyperliquid SDK, no ``asyncio.open_connection``,
and no venue adapter. A test scans its imports, and those of every aiswarm module it pulls
in, and another runs a session with ``socket.socket`` replaced by a trap. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from aiswarm.clock import Clock
from aiswarm.execution.venue import ExecutionReport, VenueAck, VenueOrder
from aiswarm.types import (
    Bar,
    ClientOrderId,
    FundingRate,
    OrderSpec,
    OrderStatus,
    Symbol,
    VenueId,
)
from aiswarm.venues.restored_book import RestoredOrder
from aiswarm.venues.simulated_book import BookOrder, SimulatedBook

__all__ = ["SentKind", "SentRequest", "ShadowVenue"]


class SentKind(StrEnum):
    """Which request would have been sent."""

    SUBMIT = "submit"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class SentRequest:
    """One request a live adapter would have sent, at ``ts_ns`` (epoch ns).

    ``spec`` is the order exactly as submitted (SUBMIT) and None for a CANCEL.
    ``reference_price`` is the symbol's last close when the request was made (None before
    the first bar), so what the order would have met can be judged afterwards.
    """

    kind: SentKind
    ts_ns: int
    client_order_id: ClientOrderId
    spec: OrderSpec | None
    reference_price: Decimal | None


class ShadowVenue:
    """A venue that records requests, acknowledges them and never trades."""

    def __init__(self, venue_id: VenueId, clock: Clock) -> None:
        self._venue_id = venue_id
        self._clock = clock
        self._sent: list[SentRequest] = []
        self._book = SimulatedBook(
            venue_id,
            f"{venue_id}-shadow-",
            on_accept=self._record_submit,
            on_cancel=self._cancel_now,
        )
        self._last_close: dict[Symbol, Decimal] = {}

    @property
    def venue_id(self) -> VenueId:
        """Return the venue this shadow stands in for."""
        return self._venue_id

    @property
    def sent(self) -> tuple[SentRequest, ...]:
        """Return every request that would have been sent, oldest first."""
        return tuple(self._sent)

    async def submit(self, spec: OrderSpec) -> VenueAck:
        """Record ``spec`` and acknowledge it; a repeat of a used id records nothing.

        A repeat is not recorded because an idempotent live adapter would not send it again.
        A spec for another venue is refused and not recorded: no adapter would send it. The
        book remembers the refusal, so its repeat gets the same ack and no second report.
        """
        return self._book.submit(spec, self._clock.now_ns())

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        """Record the cancel request and cancel the shadow order, if it is open."""
        now = self._clock.now_ns()
        known = self._book.query(client_order_id)
        reference = None if known is None else self._last_close.get(known.spec.symbol)
        self._sent.append(SentRequest(SentKind.CANCEL, now, client_order_id, None, reference))
        return self._book.cancel(client_order_id, now)

    def restore(self, orders: Iterable[RestoredOrder], order_count: int) -> None:
        """Take back the shadow orders still open when the process stopped (``restored_book``).

        They are not recorded as sent again: they were sent (and recorded) before the restart.
        ``order_count`` numbers new venue order ids after the ones already handed out.
        """
        self._book.restore(orders, order_count)

    async def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        """Return the shadow order, or None for an id never submitted."""
        return self._book.query(client_order_id)

    async def open_orders(self) -> list[VenueOrder]:
        """Return the shadow orders not canceled, in submission order."""
        return self._book.open_orders()

    async def fills_for(self, client_order_id: ClientOrderId) -> list[ExecutionReport]:
        """Return no fills: shadow mode never fills an order."""
        return []

    def drain_reports(self) -> list[ExecutionReport]:
        """Return and forget the reports so far (ACCEPTED, REJECTED, CANCELED), oldest first."""
        return self._book.drain()

    def on_bar(self, bar: Bar) -> None:
        """Remember the bar's close as the symbol's reference price; nothing ever matches."""
        if bar.venue == self._venue_id:
            self._last_close[bar.symbol] = bar.close

    def on_funding(self, rate: FundingRate, mark: Decimal) -> None:
        """Do nothing: a shadow venue holds no positions, so no funding is due."""

    def _record_submit(self, order: BookOrder) -> None:
        """Write down the submit of a newly accepted order, with the symbol's last close."""
        spec = order.spec
        reference = self._last_close.get(spec.symbol)
        self._sent.append(
            SentRequest(SentKind.SUBMIT, order.ts_ns, spec.client_order_id, spec, reference)
        )

    def _cancel_now(self, order: BookOrder, now_ns: int) -> None:
        """Cancel an open shadow order at once: nothing could have filled it first."""
        self._book.close(order, OrderStatus.CANCELED, now_ns, None, "canceled")
