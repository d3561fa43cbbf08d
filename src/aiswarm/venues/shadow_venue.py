"""Record what would have been sent to a venue, and send nothing: shadow mode.

``ShadowVenue`` implements ``Venue`` and ``MarketDataSink`` so the whole pipeline runs
unchanged against real market data, while every submit and cancel is only written down in
``sent`` (the full ``OrderSpec`` or the cancelled id, with the time and the last close seen).
It acknowledges submissions (ACCEPTED) and cancels (CANCELED) and never fills: shadow mode
must not pretend to trade. Shadow P&L would need a paper twin fed the same orders; that is
not done here.

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
from aiswarm.execution.venue import (
    ExecutionReport,
    RejectCode,
    ReportKind,
    VenueAck,
    VenueOrder,
    order_report,
    reused_id_ack,
)
from aiswarm.types import (
    Bar,
    ClientOrderId,
    FundingRate,
    OrderSpec,
    OrderStatus,
    Symbol,
    VenueId,
    VenueOrderId,
)
from aiswarm.venues.restored_book import RestoredOrder

__all__ = ["SentKind", "SentRequest", "ShadowVenue"]

_ZERO = Decimal(0)


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
        self._orders: dict[ClientOrderId, tuple[VenueAck, VenueOrder]] = {}
        self._last_close: dict[Symbol, Decimal] = {}
        self._reports: list[ExecutionReport] = []

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
        A spec for another venue is refused and not recorded: no adapter would send it.
        """
        cid = spec.client_order_id
        now = self._clock.now_ns()
        known = self._orders.get(cid)
        if known is not None:
            first_ack, order = known
            return first_ack if order.spec == spec else reused_id_ack(cid, now)
        if spec.venue != self._venue_id:
            reason = f"venue={spec.venue} but this is {self._venue_id}: send it to its own venue"
            self._report(ReportKind.REJECTED, spec, None, now, RejectCode.WRONG_VENUE, reason)
            return VenueAck(
                client_order_id=cid,
                accepted=False,
                ts_ns=now,
                code=RejectCode.WRONG_VENUE,
                reason=reason,
            )
        self._sent.append(
            SentRequest(SentKind.SUBMIT, now, cid, spec, self._last_close.get(spec.symbol))
        )
        venue_order_id = VenueOrderId(f"{self._venue_id}-shadow-{len(self._orders) + 1}")
        ack = VenueAck(client_order_id=cid, accepted=True, ts_ns=now, venue_order_id=venue_order_id)
        self._orders[cid] = (
            ack,
            VenueOrder(spec, venue_order_id, OrderStatus.ACCEPTED, _ZERO, now),
        )
        self._report(ReportKind.ACCEPTED, spec, venue_order_id, now)
        return ack

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        """Record the cancel request and cancel the shadow order, if it is open."""
        now = self._clock.now_ns()
        known = self._orders.get(client_order_id)
        symbol = known[1].spec.symbol if known is not None else None
        reference = self._last_close.get(symbol) if symbol is not None else None
        self._sent.append(SentRequest(SentKind.CANCEL, now, client_order_id, None, reference))
        if known is None:
            return VenueAck(
                client_order_id=client_order_id,
                accepted=False,
                ts_ns=now,
                code=RejectCode.UNKNOWN_ORDER,
                reason=f"client_order_id={client_order_id!r} was never submitted to this shadow",
            )
        ack, order = known
        if not order.is_open:
            return VenueAck(
                client_order_id=client_order_id,
                accepted=False,
                ts_ns=now,
                venue_order_id=order.venue_order_id,
                code=RejectCode.ORDER_CLOSED,
                reason=f"order is {order.status.value}; nothing left to cancel",
            )
        canceled = VenueOrder(order.spec, order.venue_order_id, OrderStatus.CANCELED, _ZERO, now)
        self._orders[client_order_id] = (ack, canceled)
        self._report(ReportKind.CANCELED, order.spec, order.venue_order_id, now, None, "canceled")
        return VenueAck(
            client_order_id=client_order_id,
            accepted=True,
            ts_ns=now,
            venue_order_id=order.venue_order_id,
        )

    def restore(self, orders: Iterable[RestoredOrder]) -> None:
        """Take back the shadow orders still open when the process stopped (``restored_book``).

        They are not recorded as sent again: they were sent (and recorded) before the restart.
        """
        for restored in orders:
            spec = restored.spec
            view = VenueOrder(
                spec, restored.ack.venue_order_id, restored.status, _ZERO, restored.ts_ns
            )
            self._orders[spec.client_order_id] = (restored.ack, view)

    async def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        """Return the shadow order, or None for an id never submitted."""
        known = self._orders.get(client_order_id)
        return None if known is None else known[1]

    async def open_orders(self) -> list[VenueOrder]:
        """Return the shadow orders not canceled, in submission order."""
        return [order for _, order in self._orders.values() if order.is_open]

    async def fills_for(self, client_order_id: ClientOrderId) -> list[ExecutionReport]:
        """Return no fills: shadow mode never fills an order."""
        return []

    def drain_reports(self) -> list[ExecutionReport]:
        """Return and forget the reports so far (ACCEPTED, REJECTED, CANCELED), oldest first."""
        reports, self._reports = self._reports, []
        return reports

    def on_bar(self, bar: Bar) -> None:
        """Remember the bar's close as the symbol's reference price; nothing ever matches."""
        if bar.venue == self._venue_id:
            self._last_close[bar.symbol] = bar.close

    def on_funding(self, rate: FundingRate, mark: Decimal) -> None:
        """Do nothing: a shadow venue holds no positions, so no funding is due."""

    def _report(
        self,
        kind: ReportKind,
        spec: OrderSpec,
        venue_order_id: VenueOrderId | None,
        ts_ns: int,
        code: RejectCode | None = None,
        reason: str = "",
    ) -> None:
        """Append a report about ``spec``'s shadow order that carries no fill."""
        self._reports.append(
            order_report(
                kind, self._venue_id, spec, venue_order_id, ts_ns, code=code, reason=reason
            )
        )
