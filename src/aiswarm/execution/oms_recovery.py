"""Rebuild the OMS from its journal and settle open orders with the venue after a restart.

``OrderRecovery`` is the recovery half of ``OrderManager`` (``oms.py``), kept apart because it
runs once, at start-up, and reads like a procedure rather than a gate: replay the records,
then ask the venue about every order still open.
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from aiswarm.clock import Clock
from aiswarm.errors import InvalidTransition
from aiswarm.execution.order_events import OrderEvent
from aiswarm.execution.order_journal import (
    event_for_venue_status,
    event_from_payload,
    event_from_report,
    funding_report,
)
from aiswarm.execution.order_state import OrderState, apply
from aiswarm.execution.venue import ExecutionReport, Venue, fill_from_report
from aiswarm.risk import Approval
from aiswarm.types import (
    WORKING_ORDER_STATUSES,
    ClientOrderId,
    EventType,
    Fill,
    OrderSpec,
    OrderStatus,
    Symbol,
)

__all__ = ["Item", "OrderRecovery"]

_log = logging.getLogger(__name__)
_WORKING = WORKING_ORDER_STATUSES
Item = tuple[ClientOrderId, OrderEvent, Fill | None]
"""One order event to record: the order, the event, and its fill when it is one."""


class OrderRecovery:
    """Restore and reconcile; the state it works on belongs to ``OrderManager``."""

    _venue: Venue
    _clock: Clock
    _lock: asyncio.Lock
    _orders: dict[ClientOrderId, OrderState]
    _unsent: dict[ClientOrderId, None]
    _cancel_when_working: dict[ClientOrderId, str]
    _cancel_again: dict[ClientOrderId, str]
    _on_funding: Callable[[ExecutionReport], object] | None

    @abstractmethod
    def open_orders(self, symbol: Symbol | None = None) -> list[OrderState]:
        """Return the orders that are not in a terminal state (in ``symbol``), oldest first."""

    @abstractmethod
    def _hold(self, spec: OrderSpec, approval: Approval, now_ns: int, mark: Decimal | None) -> None:
        """Take a recorded order into the book."""

    @abstractmethod
    def _take_effect(
        self,
        client_order_id: ClientOrderId,
        event: OrderEvent,
        fill: Fill | None,
        after: OrderState,
    ) -> None:
        """Make a computed transition take effect."""

    @abstractmethod
    async def _record_events(self, items: Iterable[Item]) -> int:
        """Record a batch of events durably, then let them take effect."""

    @abstractmethod
    async def _retry(self, *, resend: bool = True) -> None:
        """Send again what the venue did not answer (held back without ``resend``)."""

    @abstractmethod
    async def _drain(self) -> int:
        """Record and apply the venue's reports."""

    def restore(
        self,
        records: Iterable[tuple[str, Mapping[str, Any]]],
        on_other: Callable[[str, Mapping[str, Any]], object] | None = None,
    ) -> None:
        """Rebuild orders, nonces, deadlines and fills from journal records, oldest first.

        Call once, on an empty OMS, before trading. Fills are passed to ``on_fill`` as they
        are replayed, so the portfolio is rebuilt by the same path as live; recorded funding
        goes to ``on_funding``; every other record goes to ``on_other`` in journal order (the
        runtime replays deposits and baselines there, interleaved exactly as they happened). A
        cancel recorded before the venue acknowledged its order is kept: ``reconcile`` then
        never sends that order again, and cancels it if the venue has it. So is a cancel the
        venue refused in a report (a CANCEL_REJECT that left the order working, with no cancel
        request after it): ``reconcile`` records and asks it again. An open market order
        counts toward exposure at the mark recorded with it (see ``OrderActivity``). A recorded
        event that no longer applies is logged and skipped rather than stopping the restart.
        """
        if self._orders:
            raise RuntimeError("restore runs once, before any order is submitted")
        for event_type, payload in records:
            if event_type == EventType.ORDER_SUBMITTED:
                spec = OrderSpec.model_validate(payload["spec"])
                approval = Approval.from_dict(payload["approval"])
                mark = payload.get("mark")  # absent from records written before it was kept
                self._hold(
                    spec,
                    approval,
                    int(payload.get("ts_ns", approval.issued_at_ns)),
                    None if mark is None else Decimal(mark),
                )
            elif event_type == EventType.ORDER_EVENT:
                client_order_id = ClientOrderId(payload["client_order_id"])
                before = self._orders.get(client_order_id)
                fill_data = payload.get("fill")
                fill = Fill.model_validate(fill_data) if fill_data is not None else None
                event = event_from_payload(payload)
                try:
                    after = apply(before, event) if before is not None else None
                except InvalidTransition as exc:
                    _log.error("recorded order event no longer applies; skipped: %s", exc)
                    continue
                if after is not None and after is not before:
                    self._take_effect(client_order_id, event, fill, after)
            elif event_type == EventType.ORDER_CANCEL_DEFERRED:
                client_order_id = ClientOrderId(payload["client_order_id"])
                held = self._orders.get(client_order_id)
                if held is not None and not held.is_terminal:
                    self._cancel_when_working[client_order_id] = str(payload["reason"])
            elif event_type == EventType.FUNDING:
                if self._on_funding is not None:
                    self._on_funding(funding_report(payload))
            elif on_other is not None:
                on_other(event_type, payload)

    async def reconcile(self, *, resend: bool = True) -> int:
        """Settle every open order with the venue after a restart; return how many changed.

        Without ``resend`` an order the venue never saw is held, not sent: the next pass
        (``process_reports``) sends it, once the caller's own checks have passed (a live start
        refuses before sending anything).

        An order the venue never saw (we stopped between recording and sending) is sent again
        only if no cancel of it was recorded, its approval is still valid and the gate still
        allows it — submit is idempotent by client order id, so this cannot create a second
        order — and is otherwise rejected here; one the venue has whose cancel was recorded
        before the acknowledgement, or refused by the venue, is cancelled now; a cancel asked
        before the restart is asked again while the venue still has the order working. Fills the
        venue made that the journal lacks are recorded now (deduplicated by trade id), and a
        status whose report was lost is taken from the venue's view.
        """
        async with self._lock:
            changed = 0
            for order in self.open_orders():
                client_order_id = order.client_order_id
                seen = await self._venue.query(client_order_id)
                if seen is None:
                    if order.status is OrderStatus.SUBMITTED:
                        self._unsent[client_order_id] = None
                        changed += 1
                    continue
                if order.status is OrderStatus.PENDING_CANCEL and seen.status in _WORKING:
                    # We asked to cancel, then stopped before the venue heard: ask again.
                    self._cancel_again[client_order_id] = "cancel requested before a restart"
                now_ns = self._clock.now_ns()
                fills = await self._venue.fills_for(client_order_id)
                items: list[Item] = [
                    (
                        client_order_id,
                        event_from_report(report),
                        fill_from_report(report, order.spec, received_ns=now_ns),
                    )
                    for report in fills
                ]
                changed += await self._record_events(items)
                changed += await self._settle_status(client_order_id, now_ns)
            await self._retry(resend=resend)
            return changed + await self._drain()

    async def _settle_status(self, client_order_id: ClientOrderId, now_ns: int) -> int:
        """Bring our status in line with the venue's view when a report was lost."""
        seen = await self._venue.query(client_order_id)
        ours = self._orders[client_order_id]
        if seen is None or seen.status is ours.status or ours.is_terminal:
            return 0
        if seen.status in _WORKING and ours.status is not OrderStatus.SUBMITTED:
            return 0
        event = event_for_venue_status(seen.status, now_ns)
        if event is None:
            return 0
        return await self._record_events([(client_order_id, event, None)])
