"""The order management system: the one gate between an approval and a venue.

``OrderManager.submit`` accepts only ``Approved[OrderSpec]`` (an unapproved order does not fit
its signature) and still verifies it, because the type stops mistakes and only the signature
stops tampering. In order, it refuses: a client order id already used for a different order;
an approval that fails verification (key, signature, expiry, every field); an order for another
account than the one this OMS belongs to (an approval is valid for its own account only); a
nonce seen before; a tripped kill switch or a trading state that forbids the order; an order
for another venue. Each refusal is recorded as ``order.refused``. Resubmitting an order it
already holds returns that order: no second order is ever created for one client order id.

Write ahead: ``order.submitted`` (the spec, its approval and the time) is durably in the journal
before the venue sees the order, and every venue report is recorded before it changes an order
or the portfolio. So ``restore`` rebuilds orders, nonces, deadlines and fills from the journal,
and ``reconcile`` then settles every open order with the venue.

One at a time: every operation that changes orders (submit, cancel, reports, deadlines,
recovery) holds one lock, so a kill-switch cancel can never interleave with a submit or with
the recording of a fill. The gate is checked again after ``order.submitted`` is recorded: an
order whose trading state changed meanwhile is rejected here, never sent.

The gate (``trading_gate``): while the kill switch is latched or trading is HALTED only the
kill switch's own flattening passes; in REDUCING only reduce-only orders pass.

Retries: an order the venue did not answer (a ``TransientVenueError``) is sent again, by client
order id, on each later pass, unless its approval has expired or the gate now refuses it (then
it is rejected here). A cancel asked of an order the venue has not acknowledged yet is written
ahead (``order.cancel_deferred``) and carried out as soon as the acknowledgement arrives; if the
venue turns out never to have received the order, it is rejected here and never sent again, and
the same holds after a restart.

A cancel is asked until the venue takes it, at most once per order per pass: one the venue did
not answer (a ``VenueError``) or refused in its acknowledgement (rate limited, the order not in
its matching engine yet: any code but ORDER_CLOSED) is asked again on the next pass while the
order waits in PENDING_CANCEL. ORDER_CLOSED is not asked again: the order has ended, and the
report saying how follows. A cancel the venue refused in a CANCEL_REJECTED report returns the
order to working (the state table's row); the next pass asks again through ``cancel``, so the
request is recorded anew (``order.event`` CANCEL_REQUEST) before the venue hears it. Replay
derives the same intent from the journal: an order whose last cancel-related event is a
CANCEL_REJECT that left it working is cancelled again after a restart, and one left in
PENDING_CANCEL is asked again by ``reconcile``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from aiswarm.clock import Clock
from aiswarm.errors import InvalidTransition, TransientVenueError, VenueError
from aiswarm.execution.activity import OrderActivity
from aiswarm.execution.oms_contracts import EventJournal, OmsRefusal, SubmitResult
from aiswarm.execution.oms_recovery import Item, OrderRecovery
from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.execution.order_journal import (
    anomaly_payload,
    deferred_cancel_payload,
    event_from_report,
    event_payload,
    funding_payload,
)
from aiswarm.execution.order_state import OrderState, apply, new_order
from aiswarm.execution.timers import Deadline, due
from aiswarm.execution.trading_gate import SessionPause, TradingGate, gate_refusal
from aiswarm.execution.venue import (
    ExecutionReport,
    RejectCode,
    ReportKind,
    Venue,
    fill_from_report,
)
from aiswarm.risk import (
    Approval,
    ApprovalRefusal,
    ApprovalRejected,
    ApprovalVerifier,
    Approved,
    NonceLedger,
    order_fields,
)
from aiswarm.types import (
    WORKING_ORDER_STATUSES,
    AccountId,
    ClientOrderId,
    EventType,
    Fill,
    OrderSpec,
    OrderStatus,
    OrderType,
    Symbol,
)

__all__ = ["OrderManager"]

_log = logging.getLogger(__name__)
_WORKING = WORKING_ORDER_STATUSES


class OrderManager(OrderRecovery):
    """Verify, record and route one account's approved orders; keep their state from reports.

    ``unpriced_order_notional_usd`` is what an open market order counts toward exposure when no
    price at all is known for it (see ``OrderActivity``): pass the per-order notional cap.
    ``on_fill`` and ``on_funding`` must not raise: their record is already journaled, and the
    rest of the venue's batch would be lost to the OMS (the portfolio holds aside what it
    cannot book).
    """

    def __init__(
        self,
        *,
        account: AccountId,
        venue: Venue,
        verifier: ApprovalVerifier,
        nonces: NonceLedger,
        journal: EventJournal,
        clock: Clock,
        gate: TradingGate,
        unpriced_order_notional_usd: Decimal,
        on_fill: Callable[[Fill], object] | None = None,
        on_funding: Callable[[ExecutionReport], object] | None = None,
        order_ttl_s: float | None = None,
        flatten_on_trip: bool = False,
        max_skew_s: float = 1.0,
        pause: SessionPause | None = None,
    ) -> None:
        self._account = account
        self._venue = venue
        self._pause = pause
        self._verifier = verifier
        self._nonces = nonces
        self._journal = journal
        self._clock = clock
        self._gate = gate
        self._on_fill = on_fill
        self._on_funding = on_funding
        self._flatten_on_trip = flatten_on_trip
        self._skew_ns = round(max_skew_s * 1_000_000_000)
        self._lock = asyncio.Lock()
        self._orders: dict[ClientOrderId, OrderState] = {}
        self._open: dict[ClientOrderId, None] = {}  # insertion-ordered set of live orders
        # The same, per symbol: sizing asks for one symbol's orders, once per decision.
        self._open_by_symbol: dict[Symbol, dict[ClientOrderId, None]] = {}
        self._approvals: dict[ClientOrderId, Approval] = {}
        # Resting orders (anything but MARKET) are cancelled when their deadline passes.
        self._ttl_ns = None if order_ttl_s is None else round(order_ttl_s * 1_000_000_000)
        self._deadlines: dict[ClientOrderId, Deadline] = {}
        self._unsent: dict[ClientOrderId, None] = {}  # the venue did not answer the submit
        # Cancels asked before the venue acknowledged, each recorded (order.cancel_deferred).
        self._cancel_when_working: dict[ClientOrderId, str] = {}
        # Cancels to ask again next pass: the venue did not take them (the order waits in
        # PENDING_CANCEL), or refused them in a report and the order works again.
        self._cancel_again: dict[ClientOrderId, str] = {}
        self.activity = OrderActivity(unpriced_order_notional_usd=unpriced_order_notional_usd)
        # Why an order's mandate no longer lets it be resent (None: it may be), set by the
        # composition root from the mandates in force; unset, only approval and gate decide.
        self.resend_refusal: Callable[[OrderSpec, int], str | None] | None = None

    @property
    def orders(self) -> Mapping[ClientOrderId, OrderState]:
        """Return every order this OMS holds, by client order id."""
        return self._orders

    def is_nonce_used(self, nonce: str) -> bool:
        """Return True when an approval with ``nonce`` was already consumed (survives restarts)."""
        return self._nonces.is_used(nonce)

    def is_cancel_asked(self, client_order_id: ClientOrderId) -> bool:
        """Return whether a cancel of this open order is recorded and not yet settled.

        True while the venue has not answered our cancel, while a cancel asked before the
        venue acknowledged the order waits for that acknowledgement, and while a cancel the
        venue refused waits to be asked again.
        """
        order = self._orders.get(client_order_id)
        if order is None or order.is_terminal:
            return False
        return (
            order.status is OrderStatus.PENDING_CANCEL
            or client_order_id in self._cancel_when_working
            or client_order_id in self._cancel_again
        )

    def open_orders(self, symbol: Symbol | None = None) -> list[OrderState]:
        """Return the orders that are not in a terminal state (in ``symbol``), oldest first."""
        orders = self._orders
        if symbol is None:
            return [orders[client_order_id] for client_order_id in self._open]
        return [orders[client_order_id] for client_order_id in self._open_by_symbol.get(symbol, ())]

    # ----------------------------------------------------------------- submit

    async def submit(
        self, approved: Approved[OrderSpec], mark: Decimal | None = None
    ) -> SubmitResult:
        """Verify ``approved`` and send it to the venue; see the module docstring.

        ``mark`` values a market order's notional for the activity record.
        """
        async with self._lock:
            return await self._submit(approved, mark)

    async def _submit(self, approved: Approved[OrderSpec], mark: Decimal | None) -> SubmitResult:
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
        if spec.account != self._account:
            return await self._refuse(
                spec,
                OmsRefusal.WRONG_ACCOUNT,
                f"account={spec.account} oms_account={self._account}",
            )
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
            EventType.ORDER_SUBMITTED,
            {
                "spec": spec.model_dump(mode="json"),
                "approval": approval.to_dict(),
                "ts_ns": now_ns,
                # What the order counts toward exposure at after a restart, as it does now.
                "mark": None if mark is None else str(mark),
            },
        )
        self._hold(spec, approval, now_ns, mark)
        late_refusal = self._gate_refusal(spec)
        if late_refusal is not None:
            # The trading state changed while the order was being recorded: never send it.
            reason = f"{late_refusal[0].value} {late_refusal[1]} (changed before sending)"
            await self._record_events(
                [(client_order_id, OrderEvent.rejected(now_ns, reason), None)]
            )
            return SubmitResult(
                client_order_id, False, self._orders[client_order_id], late_refusal[0].value, reason
            )
        return await self._send(spec)

    def _hold(self, spec: OrderSpec, approval: Approval, now_ns: int, mark: Decimal | None) -> None:
        """Take a recorded order into the book: nonce, state, deadline, activity."""
        client_order_id = spec.client_order_id
        if not self._nonces.is_used(approval.nonce):
            self._nonces.mark_used(approval.nonce)
        self._orders[client_order_id] = apply(new_order(spec, now_ns), OrderEvent.submitted(now_ns))
        self._open[client_order_id] = None
        self._open_by_symbol.setdefault(spec.symbol, {})[client_order_id] = None
        self._approvals[client_order_id] = approval
        if self._ttl_ns is not None and spec.order_type is not OrderType.MARKET:
            self._deadlines[client_order_id] = Deadline(client_order_id, now_ns + self._ttl_ns)
        self.activity.record_sent(spec, now_ns, mark)

    async def _send(self, spec: OrderSpec) -> SubmitResult:
        client_order_id = spec.client_order_id
        try:
            ack = await self._venue.submit(spec)
        except TransientVenueError as exc:
            _log.warning("venue did not answer submit; will retry: %s", client_order_id)
            self._unsent[client_order_id] = None
            order = self._orders[client_order_id]
            return SubmitResult(client_order_id, True, order, detail=f"awaiting venue: {exc}")
        self._unsent.pop(client_order_id, None)
        _log.info(
            "order sent",
            extra={
                "client_order_id": client_order_id,
                "symbol": spec.symbol,
                "side": spec.side.value,
                "quantity": str(spec.quantity),
                "accepted": ack.accepted,
            },
        )
        await self._drain()
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
        return gate_refusal(spec, self._gate, self._flatten_on_trip, self._pause)

    async def _refuse(self, spec: OrderSpec, code: StrEnum, detail: str) -> SubmitResult:
        await self._journal.append(
            EventType.ORDER_REFUSED,
            {"client_order_id": spec.client_order_id, "code": code.value, "detail": detail},
        )
        return SubmitResult(spec.client_order_id, False, None, code=code.value, detail=detail)

    # ----------------------------------------------------------------- cancel

    async def cancel(self, client_order_id: ClientOrderId, reason: str) -> bool:
        """Ask to cancel an open order; return False when it is unknown or already over.

        An order the venue has not acknowledged yet is cancelled as soon as it is, or never
        sent again if the venue turns out not to have it; the cancel is recorded first, so a
        restart keeps it.
        """
        async with self._lock:
            return await self._cancel(client_order_id, reason)

    async def cancel_all(self, reason: str) -> int:
        """Ask to cancel every open order (the kill switch's first step); return how many."""
        async with self._lock:
            asked = 0
            for order in self.open_orders():
                asked += await self._cancel(order.client_order_id, reason)
            return asked

    async def _cancel(self, client_order_id: ClientOrderId, reason: str) -> bool:
        order = self._orders.get(client_order_id)
        if order is None or order.is_terminal:
            return False
        if order.status is OrderStatus.PENDING_CANCEL:
            return True
        if order.status is OrderStatus.SUBMITTED:
            if client_order_id not in self._cancel_when_working:
                # The state table has no cancel before the ack, so the intent is its own record.
                await self._journal.append(
                    EventType.ORDER_CANCEL_DEFERRED,
                    deferred_cancel_payload(client_order_id, reason, self._clock.now_ns()),
                )
                self._cancel_when_working[client_order_id] = reason
            return True
        event = OrderEvent.cancel_requested(self._clock.now_ns(), reason)
        await self._record_events([(client_order_id, event, None)])
        if order.status is not OrderStatus.PENDING:
            await self._ask_venue_to_cancel(client_order_id, reason)
            await self._drain()
        return True

    async def _ask_venue_to_cancel(self, client_order_id: ClientOrderId, reason: str) -> None:
        """Ask the venue to cancel an order in PENDING_CANCEL; keep it to ask again if refused.

        UNKNOWN_ORDER is asked again too: we hold the order as acknowledged, so the likeliest
        truth is that the matching engine has not got it yet; if it has in fact ended, its
        report (or a restart's reconcile) ends the order and the asking with it.
        """
        try:
            ack = await self._venue.cancel(client_order_id)
        except VenueError as exc:
            why = str(exc)
        else:
            if ack.accepted or ack.code is RejectCode.ORDER_CLOSED:
                self._cancel_again.pop(client_order_id, None)
                return
            why = f"{ack.code} {ack.reason}".strip()
        _log.warning("venue did not take a cancel; will ask again: %s (%s)", client_order_id, why)
        self._cancel_again[client_order_id] = reason

    # ----------------------------------------------------------------- passes

    async def expire_due(self) -> int:
        """Cancel every resting order whose deadline (submit time + ``order_ttl_s``) passed."""
        async with self._lock:
            return await self._expire()

    async def process_reports(self) -> int:
        """Run one pass: deadlines, retries, then every venue report; return reports applied."""
        async with self._lock:
            await self._expire()
            await self._retry()
            return await self._drain()

    async def _expire(self) -> int:
        if not self._deadlines:
            return 0
        fired = due(self._deadlines.values(), self._clock.now_ns())
        for fire in fired:
            deadline = fire.timer
            assert isinstance(deadline, Deadline)  # only deadlines are kept here
            self._deadlines.pop(deadline.client_order_id, None)
            await self._cancel(deadline.client_order_id, "deadline passed: order_ttl_s elapsed")
        return len(fired)

    async def _retry(self, *, resend: bool = True) -> None:
        """Send again what the venue did not answer; ask again for cancels it did not take.

        ``venue.query`` answers None only when the venue will not get the order any more (a
        live adapter raises ``VenueOutcomeUnknown`` while an unanswered request may still be
        in flight), so an order is sent again, or given up, only on a settled answer.
        Without ``resend`` the orders stay held for a later pass (a live start's checks).
        """
        now_ns = self._clock.now_ns()
        for client_order_id in list(self._unsent) if resend else ():
            order = self._orders[client_order_id]
            if order.status is not OrderStatus.SUBMITTED:
                self._unsent.pop(client_order_id, None)
                continue
            try:
                seen = await self._venue.query(client_order_id)
            except TransientVenueError:
                continue  # ask again next pass
            if seen is not None:
                # It did reach the venue; only the answer was lost. Take the venue's view.
                self._unsent.pop(client_order_id, None)
                await self._settle_status(client_order_id, now_ns)
                continue
            why_not = self._why_not_resend(order, now_ns)
            if why_not is not None:
                self._unsent.pop(client_order_id, None)
                await self._record_events(
                    [(client_order_id, OrderEvent.rejected(now_ns, why_not), None)]
                )
                continue
            await self._send(order.spec)
        # Once per order per pass: a cancel refused again now waits for the next pass.
        for client_order_id, reason in list(self._cancel_again.items()):
            if client_order_id not in self._cancel_again:
                continue  # an earlier cancel's reports ended the order meanwhile
            if self._orders[client_order_id].status is OrderStatus.PENDING_CANCEL:
                await self._ask_venue_to_cancel(client_order_id, reason)
            else:
                # Refused in a report, so working again: record a new request, then ask.
                await self._cancel(client_order_id, reason)

    def _why_not_resend(self, order: OrderState, now_ns: int) -> str | None:
        """Return why a recorded order must not be (re)sent now, or None when it may be."""
        if order.client_order_id in self._cancel_when_working:
            return "cancelled before the venue acknowledged it"
        approval = self._approvals.get(order.client_order_id)
        if approval is None or approval.is_expired(now_ns, self._skew_ns):
            return "not sent: its approval expired before the venue acknowledged it"
        refusal = self._gate_refusal(order.spec)
        if refusal is not None:
            return f"not sent: {refusal[0].value} {refusal[1]}"
        mandate_check = self.resend_refusal
        if mandate_check is not None and (why := mandate_check(order.spec, now_ns)) is not None:
            return f"not sent: {why}"
        return None

    async def _drain(self) -> int:
        """Record and apply the venue's reports, then carry out cancels waiting on an ack."""
        reports = self._venue.drain_reports()
        applied = 0
        if reports:
            items: list[Item] = []
            for report in reports:
                if report.kind is ReportKind.FUNDING:
                    # In venue order: the fills before it must be booked before it is.
                    applied += await self._record_events(items)
                    items = []
                    await self._journal.append(EventType.FUNDING, funding_payload(report))
                    if self._on_funding is not None:
                        self._on_funding(report)
                    continue
                assert report.client_order_id is not None  # every non-funding report names one
                order = self._orders.get(report.client_order_id)
                fill = None
                if order is not None and report.kind is ReportKind.FILL:
                    fill = fill_from_report(report, order.spec, received_ns=self._clock.now_ns())
                items.append((report.client_order_id, event_from_report(report), fill))
            applied += await self._record_events(items)
        # A deferred cancel leaves this map when its order ends or the cancel is recorded.
        for client_order_id, reason in list(self._cancel_when_working.items()):
            if self._orders[client_order_id].status in _WORKING:
                self._cancel_when_working.pop(client_order_id, None)
                await self._cancel(client_order_id, reason)
        return applied

    async def _record_events(self, items: Iterable[Item]) -> int:
        """Compute each transition, record the batch durably, then let it take effect."""
        working: dict[ClientOrderId, OrderState] = {}
        journal: list[tuple[str, Mapping[str, Any]]] = []
        effects: list[tuple[ClientOrderId, OrderEvent, Fill | None, OrderState]] = []
        for client_order_id, event, fill in items:
            before = working.get(client_order_id) or self._orders.get(client_order_id)
            if before is None:
                journal.append(
                    (
                        EventType.ORDER_ANOMALY,
                        anomaly_payload(client_order_id, event, "unknown order"),
                    )
                )
                continue
            try:
                after = apply(before, event)
            except InvalidTransition as exc:
                _log.warning("venue report refused by the order table: %s", exc)
                journal.append(
                    (EventType.ORDER_ANOMALY, anomaly_payload(client_order_id, event, str(exc)))
                )
                continue
            if after is before:
                continue  # a resent fill: already counted
            working[client_order_id] = after
            journal.append((EventType.ORDER_EVENT, event_payload(client_order_id, event, fill)))
            effects.append((client_order_id, event, fill, after))
        if journal:
            await self._journal.append_many(journal)
        # Nothing else changes orders while the lock is held, so each computed state stands.
        for client_order_id, event, fill, after in effects:
            self._take_effect(client_order_id, event, fill, after)
        return len(effects)

    def _take_effect(
        self,
        client_order_id: ClientOrderId,
        event: OrderEvent,
        fill: Fill | None,
        after: OrderState,
    ) -> None:
        self._orders[client_order_id] = after
        trigger = event.trigger
        if trigger is Trigger.ACCEPT:
            self.activity.record_accepted()
        elif trigger is Trigger.REJECT:
            self.activity.record_rejected(event.ts_ns)
        elif trigger is Trigger.CANCEL_REQUEST:
            # A cancel deferred until the ack, or refused before, is now asked (live, or replayed).
            self._cancel_when_working.pop(client_order_id, None)
            self._cancel_again.pop(client_order_id, None)
        elif trigger is Trigger.CANCEL_REJECT and after.status in _WORKING:
            # The venue refused our cancel and the order works again: the cancel is still wanted,
            # so the next pass asks anew. Replay derives the same from the journal.
            self._cancel_again[client_order_id] = (
                f"cancel asked again: the venue refused it ({event.reason or 'no reason given'})"
            )
        if after.is_terminal:
            self._open.pop(client_order_id, None)
            in_symbol = self._open_by_symbol.get(after.spec.symbol)
            if in_symbol is not None:
                in_symbol.pop(client_order_id, None)
                if not in_symbol:
                    del self._open_by_symbol[after.spec.symbol]
            self._deadlines.pop(client_order_id, None)
            self._unsent.pop(client_order_id, None)
            self._cancel_when_working.pop(client_order_id, None)
            self._cancel_again.pop(client_order_id, None)
            self.activity.record_closed(client_order_id)
        elif fill is not None:
            price = after.spec.limit_price or fill.price
            self.activity.record_remaining(client_order_id, after.remaining_quantity * price)
        if fill is not None:
            self.activity.record_price(fill.symbol, fill.price)
        if fill is not None and self._on_fill is not None:
            self._on_fill(fill)
