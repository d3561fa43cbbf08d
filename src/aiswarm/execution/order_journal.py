"""Turn order happenings into event-store payloads and back, so replay rebuilds the same orders.

Event types the OMS writes (``aiswarm.types.EventType`` members; each appended before it takes
effect):

* ``order.submitted`` — ``{"spec": <OrderSpec JSON>, "approval": <Approval dict>, "ts_ns",
  "mark"}``: the approved order and the nonce it consumed, recorded before the venue sees
  anything; ``mark`` (or null) values a market order's exposure again after a restart.
* ``order.refused`` — ``{"client_order_id", "code", "detail"}``: the OMS said no.
* ``order.event`` — ``{"client_order_id", "trigger", "ts_ns", …}``: one ``OrderEvent``; a fill
  also carries ``"fill"``, the ``Fill`` for portfolio accounting.
* ``order.anomaly`` — a venue report the state table refused (recorded, never applied).
* ``order.cancel_deferred`` — ``{"client_order_id", "reason", "ts_ns"}``: a cancel asked before
  the venue acknowledged the order. The state table has no such move, so it is its own record:
  replay keeps it, the order is never sent again, and it is cancelled once acknowledged.
* ``funding`` — ``{"venue", "account", "symbol", "amount", "ts_ns"}``: a funding payment the
  venue reported for a position, recorded before the portfolio books it (or holds it aside).

Decimals travel as strings, so a replayed order equals the live one to the last digit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.execution.venue import ExecutionReport, ReportKind
from aiswarm.types import ClientOrderId, Fill, OrderStatus, TradeId, VenueId, VenueOrderId

__all__ = [
    "anomaly_payload",
    "deferred_cancel_payload",
    "event_for_venue_status",
    "event_from_payload",
    "event_from_report",
    "event_payload",
    "funding_payload",
    "funding_report",
]

_TRIGGER_BY_KIND = {
    ReportKind.ACCEPTED: Trigger.ACCEPT,
    ReportKind.REJECTED: Trigger.REJECT,
    ReportKind.FILL: Trigger.FILL,
    ReportKind.CANCELED: Trigger.CANCEL_ACK,
    ReportKind.CANCEL_REJECTED: Trigger.CANCEL_REJECT,
    ReportKind.EXPIRED: Trigger.EXPIRE,
}


def event_from_report(report: ExecutionReport) -> OrderEvent:
    """Return the order event a venue report stands for (FUNDING reports are not order events)."""
    trigger = _TRIGGER_BY_KIND.get(report.kind)
    if trigger is None:
        raise ValueError(f"a {report.kind.name} report does not change an order")
    reason = report.reason or (report.code.value if report.code is not None else None)
    if trigger is Trigger.FILL:
        return OrderEvent(
            Trigger.FILL,
            report.ts_ns,
            fill_quantity=report.quantity,
            fill_price=report.price,
            trade_id=report.trade_id,
            venue_order_id=report.venue_order_id,
        )
    return OrderEvent(trigger, report.ts_ns, venue_order_id=report.venue_order_id, reason=reason)


def event_payload(client_order_id: str, event: OrderEvent, fill: Fill | None) -> dict[str, Any]:
    """Return the ``order.event`` payload for ``event`` (and its ``Fill`` when it is one)."""
    payload: dict[str, Any] = {
        "client_order_id": client_order_id,
        "trigger": event.trigger.value,
        "ts_ns": event.ts_ns,
    }
    if event.venue_order_id is not None:
        payload["venue_order_id"] = event.venue_order_id
    if event.reason is not None:
        payload["reason"] = event.reason
    if event.trigger is Trigger.FILL:
        payload["fill_quantity"] = str(event.fill_quantity)
        payload["fill_price"] = str(event.fill_price)
        payload["trade_id"] = event.trade_id
    if fill is not None:
        payload["fill"] = fill.model_dump(mode="json")
    return payload


def event_from_payload(payload: Mapping[str, Any]) -> OrderEvent:
    """Return the ``OrderEvent`` an ``order.event`` payload recorded."""
    trigger = Trigger(payload["trigger"])
    venue_order_id = payload.get("venue_order_id")
    vid = VenueOrderId(venue_order_id) if venue_order_id is not None else None
    if trigger is Trigger.FILL:
        return OrderEvent(
            trigger,
            int(payload["ts_ns"]),
            fill_quantity=Decimal(payload["fill_quantity"]),
            fill_price=Decimal(payload["fill_price"]),
            trade_id=TradeId(payload["trade_id"]),
            venue_order_id=vid,
        )
    return OrderEvent(
        trigger, int(payload["ts_ns"]), venue_order_id=vid, reason=payload.get("reason")
    )


def anomaly_payload(client_order_id: ClientOrderId, event: OrderEvent, why: str) -> dict[str, Any]:
    """Return the ``order.anomaly`` payload: the refused event and why it was refused."""
    payload = event_payload(client_order_id, event, None)
    payload["refused_because"] = why
    return payload


def deferred_cancel_payload(
    client_order_id: ClientOrderId, reason: str, ts_ns: int
) -> dict[str, Any]:
    """Return the ``order.cancel_deferred`` payload: the order, why, and when it was asked."""
    return {"client_order_id": client_order_id, "reason": reason, "ts_ns": ts_ns}


def funding_report(payload: Mapping[str, Any]) -> ExecutionReport:
    """Return the FUNDING report a ``funding`` record holds (for replay after a restart)."""
    return ExecutionReport(
        kind=ReportKind.FUNDING,
        venue=VenueId(payload["venue"]),
        ts_ns=int(payload["ts_ns"]),
        account=payload["account"],
        symbol=payload["symbol"],
        amount=Decimal(payload["amount"]),
    )


def funding_payload(report: ExecutionReport) -> dict[str, Any]:
    """Return the ``funding`` payload of a venue's funding report."""
    return {
        "venue": report.venue,
        "account": report.account,
        "symbol": report.symbol,
        "amount": str(report.amount),
        "ts_ns": report.ts_ns,
    }


_STATUS_EVENTS: dict[OrderStatus, Callable[[int], OrderEvent]] = {
    OrderStatus.ACCEPTED: OrderEvent.accepted,
    OrderStatus.PARTIALLY_FILLED: OrderEvent.accepted,
    OrderStatus.CANCELED: lambda ts: OrderEvent.canceled(ts, "venue reports it canceled"),
    OrderStatus.EXPIRED: lambda ts: OrderEvent.expired(ts, "venue reports it expired"),
    OrderStatus.REJECTED: lambda ts: OrderEvent.rejected(ts, "venue reports it rejected"),
}


def event_for_venue_status(status: OrderStatus, ts_ns: int) -> OrderEvent | None:
    """Return the event that moves our order to the venue's ``status`` (reconciliation)."""
    make = _STATUS_EVENTS.get(status)
    return None if make is None else make(ts_ns)
