"""Turn order happenings into event-store payloads and back, so replay rebuilds the same orders.

Event types the OMS writes (each appended before it takes effect):

* ``order.submitted`` — ``{"spec": <OrderSpec JSON>, "approval": <Approval dict>}``: the
  approved order and the nonce it consumed, recorded before the venue sees anything.
* ``order.refused`` — ``{"client_order_id", "code", "detail"}``: the OMS said no.
* ``order.event`` — ``{"client_order_id", "trigger", "ts_ns", …}``: one ``OrderEvent``; a fill
  also carries ``"fill"``, the ``Fill`` for portfolio accounting.
* ``order.anomaly`` — a venue report the state table refused (recorded, never applied).

Decimals travel as strings, so a replayed order equals the live one to the last digit.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.execution.venue import ExecutionReport, ReportKind
from aiswarm.types import Fill, TradeId, VenueOrderId

__all__ = [
    "ORDER_ANOMALY",
    "ORDER_EVENT",
    "ORDER_REFUSED",
    "ORDER_SUBMITTED",
    "event_from_payload",
    "event_from_report",
    "event_payload",
]

ORDER_SUBMITTED = "order.submitted"
ORDER_REFUSED = "order.refused"
ORDER_EVENT = "order.event"
ORDER_ANOMALY = "order.anomaly"

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
