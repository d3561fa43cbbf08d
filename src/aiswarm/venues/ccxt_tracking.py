"""Turn what a ccxt venue answers about our orders into the report stream, in order, once each.

A REST venue answers questions; the OMS wants a stream of facts. ``OrderTracker`` keeps, per
client order id, what has been reported already (acceptance, each trade id, the end), and
turns a fresh view of the order and its trades into the reports that are new:

* trades are reported in venue trade order (time, then id), each trade id once, whatever
  order the venue lists them in and however often it lists them again;
* an order's end (canceled, expired, rejected) is reported only once every trade the venue
  counts in its executed quantity has been reported: a venue that shows the cancel before
  the last fill's trade (trade history lags the order) gets the fill first, the cancel after;
  a filled order ends with its last FILL (``leaves_quantity`` 0), as the state table expects.

No I/O: the adapter asks, this module decides. Its state is rebuilt after a restart from the
OMS's open orders (``adopt``); trades already in the log are reported again at most once and
the OMS drops them by trade id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiswarm.execution.venue import (
    ExecutionReport,
    RejectCode,
    ReportKind,
    VenueOrder,
    order_report,
)
from aiswarm.types import ClientOrderId, OrderSpec, OrderStatus, TradeId, VenueId, VenueOrderId
from aiswarm.venues.ccxt_markets import exact

__all__ = ["OrderTracker", "TrackedOrder", "venue_status"]

_MS = 1_000_000
_ENDS = {
    OrderStatus.CANCELED: ReportKind.CANCELED,
    OrderStatus.EXPIRED: ReportKind.EXPIRED,
    OrderStatus.REJECTED: ReportKind.REJECTED,
}


def venue_status(order: dict[str, Any]) -> OrderStatus:
    """Return our status for a ccxt unified order."""
    status = order.get("status")
    filled = exact(order.get("filled") or 0)
    if status == "closed":
        return OrderStatus.FILLED
    if status == "canceled":
        return OrderStatus.CANCELED
    if status == "expired":
        return OrderStatus.EXPIRED
    if status == "rejected":
        return OrderStatus.REJECTED
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED


@dataclass
class TrackedOrder:
    """What we sent and what has been reported about it."""

    spec: OrderSpec
    venue_symbol: str
    venue_order_id: VenueOrderId | None = None
    accepted: bool = False
    ended: bool = False
    trade_ids: set[str] = field(default_factory=set)
    filled: Decimal = Decimal(0)
    ts_ns: int = 0
    refusal: tuple[RejectCode, str] | None = None


class OrderTracker:
    """Our orders at one venue and the reports still owed; see the module docstring."""

    def __init__(self, venue: VenueId) -> None:
        self.venue = venue
        self.orders: dict[ClientOrderId, TrackedOrder] = {}
        self.by_venue_id: dict[str, ClientOrderId] = {}
        self.reports: list[ExecutionReport] = []

    def track(self, spec: OrderSpec, venue_symbol: str) -> TrackedOrder:
        """Start tracking an order about to be sent (or adopted after a restart)."""
        held = self.orders.get(spec.client_order_id)
        if held is None:
            held = self.orders[spec.client_order_id] = TrackedOrder(spec, venue_symbol)
        return held

    def adopt(
        self, spec: OrderSpec, venue_symbol: str, venue_order_id: VenueOrderId | None
    ) -> None:
        """Take back an order the log says is open: accepted already if it has a venue id."""
        held = self.track(spec, venue_symbol)
        if venue_order_id is not None:
            held.venue_order_id = venue_order_id
            held.accepted = True
            self.by_venue_id[venue_order_id] = spec.client_order_id

    def open(self) -> list[TrackedOrder]:
        """Return the tracked orders whose end has not been reported, oldest first."""
        return [order for order in self.orders.values() if not order.ended]

    def view(self, order: TrackedOrder, seen: dict[str, Any]) -> VenueOrder:
        """Return the venue's view of ``order`` as our ``VenueOrder``."""
        return VenueOrder(
            order.spec,
            VenueOrderId(str(seen["id"])),
            venue_status(seen),
            exact(seen.get("filled") or 0),
            int(seen.get("lastUpdateTimestamp") or seen.get("timestamp") or 0) * _MS,
        )

    def observe(
        self, order: TrackedOrder, seen: dict[str, Any], trades: list[dict[str, Any]]
    ) -> None:
        """Report what is new in ``seen`` (the order) and ``trades`` (its trades so far)."""
        ts_ns = int(seen.get("lastUpdateTimestamp") or seen.get("timestamp") or 0) * _MS
        order.ts_ns = max(order.ts_ns, ts_ns)
        if order.venue_order_id is None:
            order.venue_order_id = VenueOrderId(str(seen["id"]))
            self.by_venue_id[order.venue_order_id] = order.spec.client_order_id
        status = venue_status(seen)
        if not order.accepted and status is not OrderStatus.REJECTED:
            order.accepted = True
            self.reports.append(self._report(ReportKind.ACCEPTED, order, ts_ns))
        for trade in sorted(trades, key=lambda t: (int(t.get("timestamp") or 0), str(t["id"]))):
            self._fill(order, trade)
        executed = exact(seen.get("filled") or 0)
        end = _ENDS.get(status)
        if end is not None and not order.ended and order.filled >= executed:
            order.ended = True
            code = RejectCode.VENUE_ERROR if end is ReportKind.REJECTED else None
            reason = "" if end is not ReportKind.EXPIRED else "venue expired the order"
            code = RejectCode.TIME_IN_FORCE if end is ReportKind.EXPIRED else code
            self.reports.append(self._report(end, order, ts_ns, code=code, reason=reason))
        if status is OrderStatus.FILLED and order.filled >= order.spec.quantity:
            order.ended = True

    def refuse(self, order: TrackedOrder, ts_ns: int, code: RejectCode, reason: str) -> None:
        """Report the venue's (or our precision check's) refusal of a new order."""
        order.ended = True
        order.refusal = (code, reason)
        self.reports.append(
            self._report(ReportKind.REJECTED, order, ts_ns, code=code, reason=reason)
        )

    def fill_report(
        self, order: TrackedOrder, trade: dict[str, Any], leaves: Decimal
    ) -> ExecutionReport:
        """Return the FILL report of one ccxt trade of ``order``."""
        fee = trade.get("fee") or {}
        assert order.venue_order_id is not None  # a trade names its order
        return ExecutionReport(
            kind=ReportKind.FILL,
            venue=self.venue,
            ts_ns=int(trade.get("timestamp") or 0) * _MS,
            client_order_id=order.spec.client_order_id,
            venue_order_id=order.venue_order_id,
            symbol=order.spec.symbol,
            trade_id=TradeId(f"{self.venue}-{trade['id']}"),
            side=order.spec.side,
            quantity=exact(trade["amount"]),
            price=exact(trade["price"]),
            fee=exact(fee.get("cost") or 0),
            fee_currency=str(fee.get("currency") or order.spec.symbol.split("/")[-1]),
            is_maker=trade.get("takerOrMaker") == "maker",
            leaves_quantity=leaves,
        )

    def _fill(self, order: TrackedOrder, trade: dict[str, Any]) -> None:
        trade_id = str(trade["id"])
        if trade_id in order.trade_ids:
            return
        order.trade_ids.add(trade_id)
        order.filled += exact(trade["amount"])
        leaves = max(Decimal(0), order.spec.quantity - order.filled)
        self.reports.append(self.fill_report(order, trade, leaves))

    def _report(
        self,
        kind: ReportKind,
        order: TrackedOrder,
        ts_ns: int,
        *,
        code: RejectCode | None = None,
        reason: str = "",
    ) -> ExecutionReport:
        return order_report(
            kind, self.venue, order.spec, order.venue_order_id, ts_ns, code=code, reason=reason
        )

    def drain(self) -> list[ExecutionReport]:
        """Return and forget the reports owed, oldest first."""
        reports, self.reports = self.reports, []
        return reports
