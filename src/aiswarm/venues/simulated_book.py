"""The order bookkeeping both simulated venues share, kept once.

The paper and shadow venues make the same promises about orders (docs/venues.md, "The
interface"): idempotent submit, the wrong-venue refusal, venue order ids from a counter, refused
cancels of unknown and closed orders, ``query``, ``open_orders`` and one report stream. Each
venue composes a ``SimulatedBook`` and keeps only what differs: paper its matching, shadow its
record of what would have been sent. The book never reads a clock: the venue passes ``now``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

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
    WORKING_ORDER_STATUSES,
    ClientOrderId,
    OrderSpec,
    OrderStatus,
    VenueId,
    VenueOrderId,
)
from aiswarm.venues.restored_book import RestoredOrder

__all__ = ["BookOrder", "Refusal", "SimulatedBook"]

Refusal = tuple[RejectCode, str]
"""Why a venue refuses an order: the code and a reason a person can act on."""

_ZERO = Decimal(0)
_OPEN = WORKING_ORDER_STATUSES


class BookOrder:
    """One order inside a simulated venue; mutable, never handed out (``VenueOrder`` is).

    ``eligible_ns``, ``arrived``, ``triggered`` and ``cancel_at_ns`` serve paper matching; the
    shadow venue leaves them alone. Slotted: a backtest reads them on every bar.
    """

    __slots__ = (
        "ack",
        "arrived",
        "cancel_at_ns",
        "eligible_ns",
        "filled",
        "spec",
        "status",
        "triggered",
        "ts_ns",
        "venue_order_id",
    )

    def __init__(
        self,
        spec: OrderSpec,
        ack: VenueAck,
        status: OrderStatus,
        eligible_ns: int,
    ) -> None:
        self.spec = spec
        self.ack = ack
        self.venue_order_id = ack.venue_order_id
        self.status = status
        self.eligible_ns = eligible_ns
        self.ts_ns = ack.ts_ns
        self.filled = _ZERO
        self.arrived = False
        self.triggered = False
        self.cancel_at_ns: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN

    def view(self) -> VenueOrder:
        return VenueOrder(self.spec, self.venue_order_id, self.status, self.filled, self.ts_ns)


class SimulatedBook:
    """Every order a simulated venue holds, by client order id, in submission order.

    The venue hands in what is its own, so that a submit or cancel is one call to the book:
    ``refuse`` says why it refuses a spec for this venue (None: it takes every one),
    ``on_accept`` hears of each new accepted order, ``on_cancel`` of each cancel of an open
    order (the book then acks it; the venue closes the order now or later). Venue order ids are
    ``id_prefix`` and a counter; an accepted order may match from ``delay_ns`` after its submit.

    ``reports`` is the report stream: the venue appends its own reports (fills, funding) to it,
    and ``drain`` empties it in place, so the venue may keep a reference to the same list.
    """

    __slots__ = (
        "_count",
        "_delay_ns",
        "_on_accept",
        "_on_cancel",
        "_orders",
        "_prefix",
        "_refuse",
        "_venue_id",
        "reports",
    )

    def __init__(
        self,
        venue_id: VenueId,
        id_prefix: str,
        *,
        on_accept: Callable[[BookOrder], None],
        on_cancel: Callable[[BookOrder, int], None],
        refuse: Callable[[OrderSpec], Refusal | None] | None = None,
        delay_ns: int = 0,
    ) -> None:
        self._venue_id = venue_id
        self._prefix = id_prefix
        self._on_accept = on_accept
        self._on_cancel = on_cancel
        self._refuse = refuse
        self._delay_ns = delay_ns
        self._orders: dict[ClientOrderId, BookOrder] = {}
        self._count = 0
        self.reports: list[ExecutionReport] = []

    def submit(self, spec: OrderSpec, now_ns: int) -> VenueAck:
        """Accept or refuse ``spec``; a repeat of a used client order id creates nothing.

        The same spec again gets the first ack, refusal included; a different spec under a
        used id gets ``reused_id_ack`` and no report. A refused order is remembered (REJECTED)
        so that its repeat is answered the same way.
        """
        cid = spec.client_order_id
        known = self._orders.get(cid)
        if known is not None:
            return known.ack if known.spec == spec else reused_id_ack(cid, now_ns)
        if spec.venue == self._venue_id:
            refused = None if self._refuse is None else self._refuse(spec)
        else:
            refused = _wrong_venue(spec, self._venue_id)
        if refused is not None:
            code, reason = refused
            ack = VenueAck(
                client_order_id=cid, accepted=False, ts_ns=now_ns, code=code, reason=reason
            )
            self._orders[cid] = BookOrder(spec, ack, OrderStatus.REJECTED, now_ns)
            self.report(ReportKind.REJECTED, spec, None, now_ns, code=code, reason=reason)
            return ack
        self._count += 1
        venue_order_id = VenueOrderId(f"{self._prefix}{self._count}")
        ack = VenueAck(
            client_order_id=cid, accepted=True, ts_ns=now_ns, venue_order_id=venue_order_id
        )
        order = BookOrder(spec, ack, OrderStatus.ACCEPTED, now_ns + self._delay_ns)
        self._orders[cid] = order
        self._on_accept(order)
        self.report(ReportKind.ACCEPTED, spec, venue_order_id, now_ns)
        return ack

    def cancel(self, client_order_id: ClientOrderId, now_ns: int) -> VenueAck:
        """Refuse a cancel of an order never accepted or already closed; else take it.

        A cancel of a FILLED order is also reported (CANCEL_REJECTED); one of an order canceled
        or expired is refused in the ack alone, as that order's own report already closed it.
        """
        order = self._orders.get(client_order_id)
        if order is None or order.venue_order_id is None:
            return VenueAck(
                client_order_id=client_order_id,
                accepted=False,
                ts_ns=now_ns,
                code=RejectCode.UNKNOWN_ORDER,
                reason=f"client_order_id={client_order_id!r} is not an order this venue holds",
            )
        venue_order_id = order.venue_order_id
        if not order.is_open:
            reason = f"order is {order.status.value}; nothing left to cancel"
            if order.status is OrderStatus.FILLED:
                self.report(
                    ReportKind.CANCEL_REJECTED,
                    order.spec,
                    venue_order_id,
                    now_ns,
                    code=RejectCode.ORDER_CLOSED,
                    reason=reason,
                )
            return VenueAck(
                client_order_id=client_order_id,
                accepted=False,
                ts_ns=now_ns,
                venue_order_id=venue_order_id,
                code=RejectCode.ORDER_CLOSED,
                reason=reason,
            )
        self._on_cancel(order, now_ns)
        return VenueAck(
            client_order_id=client_order_id,
            accepted=True,
            ts_ns=now_ns,
            venue_order_id=venue_order_id,
        )

    def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        """Return the venue's view of the order, or None for an id it never saw."""
        order = self._orders.get(client_order_id)
        return None if order is None else order.view()

    def open_orders(self) -> list[VenueOrder]:
        """Return the orders that can still fill, in submission order."""
        return [order.view() for order in self._orders.values() if order.is_open]

    def drain(self) -> list[ExecutionReport]:
        """Return and forget the reports so far, oldest first."""
        reports = self.reports.copy()
        self.reports.clear()
        return reports

    def restore(self, orders: Iterable[RestoredOrder], order_count: int) -> list[BookOrder]:
        """Take back the orders held when the process stopped (see ``restored_book``).

        New venue order ids are numbered after ``order_count``, the ids already handed out, so
        none is handed out twice. Returns the new records for the venue's own structures.
        """
        records: list[BookOrder] = []
        for restored in orders:
            order = BookOrder(restored.spec, restored.ack, restored.status, restored.ts_ns)
            order.filled = restored.filled
            order.ts_ns = restored.ts_ns
            self._orders[restored.spec.client_order_id] = order
            records.append(order)
        self._count = max(self._count, order_count)
        return records

    def close(
        self,
        order: BookOrder,
        status: OrderStatus,
        ts_ns: int,
        code: RejectCode | None,
        reason: str,
    ) -> None:
        """End ``order`` as CANCELED or EXPIRED at ``ts_ns`` and report it."""
        order.status = status
        order.ts_ns = ts_ns
        kind = ReportKind.CANCELED if status is OrderStatus.CANCELED else ReportKind.EXPIRED
        self.report(kind, order.spec, order.venue_order_id, ts_ns, code=code, reason=reason)

    def report(
        self,
        kind: ReportKind,
        spec: OrderSpec,
        venue_order_id: VenueOrderId | None,
        ts_ns: int,
        *,
        code: RejectCode | None = None,
        reason: str = "",
    ) -> None:
        """Append a report about ``spec``'s order that carries no fill."""
        self.reports.append(
            order_report(
                kind, self._venue_id, spec, venue_order_id, ts_ns, code=code, reason=reason
            )
        )


def _wrong_venue(spec: OrderSpec, venue_id: VenueId) -> Refusal:
    """Return the refusal of an order meant for another venue; the venue's rules do not apply."""
    return RejectCode.WRONG_VENUE, (
        f"venue={spec.venue} but this is {venue_id}: send it to its own venue"
    )
