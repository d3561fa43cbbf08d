"""The order management system: the one gate between an approval and a venue.

``OrderManager.submit`` accepts only ``Approved[OrderSpec]`` (an unapproved order does not fit
its signature) and still verifies it, because the type stops mistakes and only the signature
stops tampering. In order, it refuses: a client order id already used for a different order;
an approval that fails verification (key, signature, expiry, every field); a nonce seen before;
a tripped kill switch or a trading state that forbids the order; an order for another venue.
Each refusal is recorded as ``order.refused``. Resubmitting an order it already holds returns
that order: no second order is ever created for one client order id.

Write ahead: ``order.submitted`` (the spec and its approval, hence the nonce) is durably in the
journal before the venue sees the order, and every venue report is recorded before it changes
an order or the portfolio. So ``restore`` rebuilds orders, nonces and fills from the journal
alone, and ``reconcile`` then asks the venue about every order still open, resubmitting
(idempotently, by client order id) what never reached it and recording fills it missed.

While the trading state is not ACTIVE, or the kill switch is latched, only reduce-only orders
pass here; the guard chain has already checked that such an order really shrinks a position
and that flattening is enabled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from aiswarm.clock import Clock
from aiswarm.errors import InvalidTransition, TransientVenueError
from aiswarm.execution.activity import OrderActivity
from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.execution.order_journal import (
    ORDER_ANOMALY,
    ORDER_EVENT,
    ORDER_REFUSED,
    ORDER_SUBMITTED,
    event_from_payload,
    event_from_report,
    event_payload,
)
from aiswarm.execution.order_state import OrderState, apply, new_order
from aiswarm.execution.timers import Deadline, due
from aiswarm.execution.venue import ExecutionReport, ReportKind, Venue, fill_from_report
from aiswarm.risk import (
    Approval,
    ApprovalRefusal,
    ApprovalRejected,
    ApprovalVerifier,
    Approved,
    NonceLedger,
    order_fields,
)
from aiswarm.types import ClientOrderId, Fill, OrderSpec, OrderStatus, OrderType, TradingState

__all__ = [
    "EventJournal",
    "OmsRefusal",
    "OrderManager",
    "SubmitResult",
    "TradingGate",
]

_log = logging.getLogger(__name__)

FUNDING = "funding"


class EventJournal(Protocol):
    """Where the OMS records what happens, durably, before it takes effect (the event store)."""

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> object:
        """Return once the event is durably recorded."""
        ...

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> object:
        """Return once every event is durably recorded, in order."""
        ...


class TradingGate(Protocol):
    """What the OMS reads from the kill switch: the trading state and the latch."""

    @property
    def state(self) -> TradingState:
        """Return ACTIVE, REDUCING or HALTED."""
        ...

    def is_latched(self) -> bool:
        """Return True while a trip has not been reset by an authorised operator."""
        ...


class OmsRefusal(StrEnum):
    """Why the OMS refused an order, besides an approval that did not verify."""

    CLIENT_ORDER_ID_CONFLICT = "CLIENT_ORDER_ID_CONFLICT"
    KILL_SWITCH_TRIPPED = "KILL_SWITCH_TRIPPED"
    TRADING_HALTED = "TRADING_HALTED"
    TRADING_REDUCING_ONLY = "TRADING_REDUCING_ONLY"
    WRONG_VENUE = "WRONG_VENUE"


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The OMS's answer: accepted (with the order) or refused (with a code and the detail).

    ``duplicate`` is True when the order was already held and nothing new was created.
    """

    client_order_id: ClientOrderId
    accepted: bool
    order: OrderState | None
    code: str | None = None
    detail: str = ""
    duplicate: bool = False


class OrderManager:
    """Verify, record and route approved orders; keep their state from venue reports."""

    def __init__(
        self,
        *,
        venue: Venue,
        verifier: ApprovalVerifier,
        nonces: NonceLedger,
        journal: EventJournal,
        clock: Clock,
        gate: TradingGate,
        on_fill: Callable[[Fill], object] | None = None,
        on_funding: Callable[[ExecutionReport], object] | None = None,
        order_ttl_s: float | None = None,
    ) -> None:
        self._venue = venue
        self._verifier = verifier
        self._nonces = nonces
        self._journal = journal
        self._clock = clock
        self._gate = gate
        self._on_fill = on_fill
        self._on_funding = on_funding
        self._orders: dict[ClientOrderId, OrderState] = {}
        self._open: dict[ClientOrderId, None] = {}  # insertion-ordered set of live orders
        # Resting orders (anything but MARKET) are cancelled when their deadline passes.
        self._ttl_ns = None if order_ttl_s is None else round(order_ttl_s * 1_000_000_000)
        self._deadlines: dict[ClientOrderId, Deadline] = {}
        self._expiring = False
        self.activity = OrderActivity()

    @property
    def orders(self) -> Mapping[ClientOrderId, OrderState]:
        """Return every order this OMS holds, by client order id."""
        return self._orders

    def is_nonce_used(self, nonce: str) -> bool:
        """Return True when an approval with ``nonce`` was already consumed (survives restarts)."""
        return self._nonces.is_used(nonce)

    def open_orders(self) -> list[OrderState]:
        """Return the orders that are not in a terminal state, oldest first."""
        orders = self._orders
        return [orders[client_order_id] for client_order_id in self._open]

    # ----------------------------------------------------------------- submit

    async def submit(
        self, approved: Approved[OrderSpec], mark: Decimal | None = None
    ) -> SubmitResult:
        """Verify ``approved`` and send it to the venue; see the module docstring.

        ``mark`` values a market order's notional for the activity record.
        """
        spec = approved.item
        client_order_id = spec.client_order_id
        held = self._orders.get(client_order_id)
        if held is not None:
            if order_fields(held.spec) == order_fields(spec):
                return SubmitResult(client_order_id, True, held, duplicate=True)
            return await self._refuse(
                spec,
                OmsRefusal.CLIENT_ORDER_ID_CONFLICT,
                f"client_order_id={client_order_id} already names a different order",
            )
        now_ns = self._clock.now_ns()
        approval = approved.approval
        try:
            self._verifier.verify(approved, now_ns)
        except ApprovalRejected as refusal:
            return await self._refuse(spec, refusal.code, refusal.detail)
        if self._nonces.is_used(approval.nonce):
            return await self._refuse(
                spec, ApprovalRefusal.NONCE_REUSED, f"nonce={approval.nonce} was already used"
            )
        gate_refusal = self._gate_refusal(spec)
        if gate_refusal is not None:
            return await self._refuse(spec, *gate_refusal)
        if spec.venue != self._venue.venue_id:
            return await self._refuse(
                spec, OmsRefusal.WRONG_VENUE, f"venue={spec.venue} routed={self._venue.venue_id}"
            )

        await self._journal.append(
            ORDER_SUBMITTED,
            {"spec": spec.model_dump(mode="json"), "approval": approval.to_dict()},
        )
        self._nonces.mark_used(approval.nonce)
        self._orders[client_order_id] = apply(new_order(spec, now_ns), OrderEvent.submitted(now_ns))
        self._open[client_order_id] = None
        if self._ttl_ns is not None and spec.order_type is not OrderType.MARKET:
            self._deadlines[client_order_id] = Deadline(client_order_id, now_ns + self._ttl_ns)
        self.activity.record_sent(spec, now_ns, mark)
        return await self._send(spec)

    async def _send(self, spec: OrderSpec) -> SubmitResult:
        client_order_id = spec.client_order_id
        try:
            ack = await self._venue.submit(spec)
        except TransientVenueError as exc:
            _log.warning("venue did not answer submit", extra={"client_order_id": client_order_id})
            order = self._orders[client_order_id]
            return SubmitResult(client_order_id, True, order, detail=f"awaiting venue: {exc}")
        await self.process_reports()
        order = self._orders[client_order_id]
        if not ack.accepted and order.status is OrderStatus.SUBMITTED:
            # The venue refused the request without a report (e.g. an id it holds for another
            # order): record the refusal so the order does not hang in SUBMITTED.
            reason = f"{ack.code} {ack.reason}".strip()
            await self._record_events(
                [(client_order_id, OrderEvent.rejected(ack.ts_ns, reason), None)]
            )
            order = self._orders[client_order_id]
        return SubmitResult(client_order_id, order.status is not OrderStatus.REJECTED, order)

    def _gate_refusal(self, spec: OrderSpec) -> tuple[OmsRefusal, str] | None:
        if spec.reduce_only:
            return None
        state = self._gate.state
        if self._gate.is_latched():
            return OmsRefusal.KILL_SWITCH_TRIPPED, f"state={state} latched=true reduce_only=false"
        if state is TradingState.HALTED:
            return OmsRefusal.TRADING_HALTED, "state=HALTED reduce_only=false"
        if state is TradingState.REDUCING:
            return OmsRefusal.TRADING_REDUCING_ONLY, "state=REDUCING reduce_only=false"
        return None

    async def _refuse(self, spec: OrderSpec, code: StrEnum, detail: str) -> SubmitResult:
        await self._journal.append(
            ORDER_REFUSED,
            {"client_order_id": spec.client_order_id, "code": code.value, "detail": detail},
        )
        return SubmitResult(spec.client_order_id, False, None, code=code.value, detail=detail)

    # ----------------------------------------------------------------- cancel

    async def cancel(self, client_order_id: ClientOrderId, reason: str) -> bool:
        """Ask the venue to cancel an open order; return False when it cannot be asked now.

        An order still awaiting the venue's acknowledgement cannot be canceled yet (the state
        table has no such row); ask again after `process_reports`.
        """
        order = self._orders.get(client_order_id)
        if order is None or order.is_terminal or order.status is OrderStatus.SUBMITTED:
            return False
        if order.status is OrderStatus.PENDING_CANCEL:
            return True
        event = OrderEvent.cancel_requested(self._clock.now_ns(), reason)
        await self._record_events([(client_order_id, event, None)])
        if order.status is not OrderStatus.PENDING:
            await self._venue.cancel(client_order_id)
            await self.process_reports()
        return True

    async def cancel_all(self, reason: str) -> int:
        """Ask to cancel every open order (the kill switch's first step); return how many."""
        asked = 0
        for order in self.open_orders():
            asked += await self.cancel(order.client_order_id, reason)
        return asked

    # ----------------------------------------------------------------- venue reports

    async def expire_due(self) -> int:
        """Cancel every resting order whose deadline (submit time + ``order_ttl_s``) has passed."""
        if not self._deadlines or self._expiring:
            return 0
        self._expiring = True
        try:
            fired = due(self._deadlines.values(), self._clock.now_ns())
            for fire in fired:
                deadline = fire.timer
                assert isinstance(deadline, Deadline)  # only deadlines are kept here
                client_order_id = deadline.client_order_id
                del self._deadlines[client_order_id]
                asked = await self.cancel(client_order_id, "deadline passed: order_ttl_s elapsed")
                order = self._orders[client_order_id]
                if not asked and not order.is_terminal:
                    # Not cancellable yet (awaiting the venue's ack): try again next pass.
                    self._deadlines[client_order_id] = deadline
            return len(fired)
        finally:
            self._expiring = False

    async def process_reports(self) -> int:
        """Record and apply everything the venue reported since the last call; return the count.

        Deadlines are checked first, so an order past its time is cancelled in the same pass.
        """
        await self.expire_due()
        reports = self._venue.drain_reports()
        if not reports:
            return 0
        items: list[tuple[ClientOrderId, OrderEvent, Fill | None]] = []
        for report in reports:
            if report.kind is ReportKind.FUNDING:
                await self._journal.append(FUNDING, _funding_payload(report))
                if self._on_funding is not None:
                    self._on_funding(report)
                continue
            assert report.client_order_id is not None  # every non-funding report names one
            order = self._orders.get(report.client_order_id)
            fill = None
            if order is not None and report.kind is ReportKind.FILL:
                fill = fill_from_report(report, order.spec, received_ns=self._clock.now_ns())
            items.append((report.client_order_id, event_from_report(report), fill))
        return await self._record_events(items)

    async def _record_events(
        self, items: Iterable[tuple[ClientOrderId, OrderEvent, Fill | None]]
    ) -> int:
        """Compute each transition, record the batch durably, then let it take effect."""
        working: dict[ClientOrderId, OrderState] = {}
        journal: list[tuple[str, Mapping[str, Any]]] = []
        effects: list[tuple[ClientOrderId, OrderEvent, Fill | None, OrderState, OrderState]] = []
        for client_order_id, event, fill in items:
            before = working.get(client_order_id) or self._orders.get(client_order_id)
            if before is None:
                journal.append((ORDER_ANOMALY, _anomaly(client_order_id, event, "unknown order")))
                continue
            try:
                after = apply(before, event)
            except InvalidTransition as exc:
                _log.warning("venue report refused by the order table: %s", exc)
                journal.append((ORDER_ANOMALY, _anomaly(client_order_id, event, str(exc))))
                continue
            if after is before:
                continue  # a resent fill: already counted
            working[client_order_id] = after
            journal.append((ORDER_EVENT, event_payload(client_order_id, event, fill)))
            effects.append((client_order_id, event, fill, before, after))
        if journal:
            await self._journal.append_many(journal)
        for client_order_id, event, fill, before, after in effects:
            # ``after`` was computed from ``before``; if the order is still in that state (no
            # other task moved it while the batch was recorded), it is the same result.
            held = self._orders[client_order_id]
            self._take_effect(client_order_id, event, fill, after if held is before else None)
        return len(effects)

    def _take_effect(
        self,
        client_order_id: ClientOrderId,
        event: OrderEvent,
        fill: Fill | None,
        after: OrderState | None = None,
    ) -> None:
        """Apply ``event`` to the order (``after``: the result, when already computed)."""
        if after is None:
            after = apply(self._orders[client_order_id], event)
        self._orders[client_order_id] = after
        trigger = event.trigger
        if trigger is Trigger.ACCEPT:
            self.activity.record_accepted()
        elif trigger is Trigger.REJECT:
            self.activity.record_rejected(event.ts_ns)
        if after.is_terminal:
            self._open.pop(client_order_id, None)
            self._deadlines.pop(client_order_id, None)
            self.activity.record_closed(client_order_id)
        elif fill is not None:
            price = after.spec.limit_price or fill.price
            self.activity.record_remaining(client_order_id, after.remaining_quantity * price)
        if fill is not None and self._on_fill is not None:
            self._on_fill(fill)

    # ----------------------------------------------------------------- recovery

    def restore(self, records: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Rebuild orders, used nonces and fills from journal records, oldest first.

        Call once, on an empty OMS, before trading. Fills are passed to ``on_fill`` as they
        are replayed, so the portfolio is rebuilt by the same path as live.
        """
        if self._orders:
            raise RuntimeError("restore runs once, before any order is submitted")
        for event_type, payload in records:
            if event_type == ORDER_SUBMITTED:
                spec = OrderSpec.model_validate(payload["spec"])
                approval = Approval.from_dict(payload["approval"])
                if not self._nonces.is_used(approval.nonce):
                    self._nonces.mark_used(approval.nonce)
                ts_ns = approval.issued_at_ns
                order = apply(new_order(spec, ts_ns), OrderEvent.submitted(ts_ns))
                self._orders[spec.client_order_id] = order
                self._open[spec.client_order_id] = None
                self.activity.record_sent(spec, ts_ns, None)
            elif event_type == ORDER_EVENT:
                client_order_id = ClientOrderId(payload["client_order_id"])
                fill_data = payload.get("fill")
                fill = Fill.model_validate(fill_data) if fill_data is not None else None
                self._take_effect(client_order_id, event_from_payload(payload), fill)

    async def reconcile(self) -> int:
        """Settle every open order with the venue after a restart; return how many changed.

        An order the venue never saw (we stopped between recording and sending) is sent again:
        submit is idempotent by client order id, so this cannot create a second order. Fills
        the venue made that the journal lacks are recorded now (deduplicated by trade id).
        """
        changed = 0
        for order in self.open_orders():
            client_order_id = order.client_order_id
            if await self._venue.query(client_order_id) is None:
                if order.status is OrderStatus.SUBMITTED:
                    await self._send(order.spec)
                    changed += 1
                continue
            fills = await self._venue.fills_for(client_order_id)
            now_ns = self._clock.now_ns()
            items = [
                (
                    client_order_id,
                    event_from_report(report),
                    fill_from_report(report, order.spec, received_ns=now_ns),
                )
                for report in fills
            ]
            changed += await self._record_events(items)
            changed += await self._settle_status(client_order_id, now_ns)
        return changed + await self.process_reports()

    async def _settle_status(self, client_order_id: ClientOrderId, now_ns: int) -> int:
        """Bring our status in line with the venue's view when a report was lost."""
        seen = await self._venue.query(client_order_id)
        ours = self._orders[client_order_id]
        if seen is None or seen.status is ours.status or ours.is_terminal:
            return 0
        event = _STATUS_EVENTS.get(seen.status)
        if event is None or (
            seen.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
            and ours.status is not OrderStatus.SUBMITTED
        ):
            return 0
        return await self._record_events([(client_order_id, event(now_ns), None)])


_STATUS_EVENTS: dict[OrderStatus, Callable[[int], OrderEvent]] = {
    OrderStatus.ACCEPTED: OrderEvent.accepted,
    OrderStatus.PARTIALLY_FILLED: OrderEvent.accepted,
    OrderStatus.CANCELED: lambda ts: OrderEvent.canceled(ts, "venue reports it canceled"),
    OrderStatus.EXPIRED: lambda ts: OrderEvent.expired(ts, "venue reports it expired"),
    OrderStatus.REJECTED: lambda ts: OrderEvent.rejected(ts, "venue reports it rejected"),
}
"""Venue status -> the event that moves our order there, for reconciliation."""


def _anomaly(client_order_id: ClientOrderId, event: OrderEvent, why: str) -> dict[str, Any]:
    payload = event_payload(client_order_id, event, None)
    payload["refused_because"] = why
    return payload


def _funding_payload(report: ExecutionReport) -> dict[str, Any]:
    return {
        "venue": report.venue,
        "account": report.account,
        "symbol": report.symbol,
        "amount": str(report.amount),
        "ts_ns": report.ts_ns,
    }
