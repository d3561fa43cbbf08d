"""A kill-switch cancel the venue refuses while the order is still open is never asked again.

Defect: ``OrderManager._ask_venue_to_cancel`` retries a cancel only when ``venue.cancel`` raises
``VenueError``. A cancel the venue refuses in its ack (``VenueAck.accepted=False``: rate limit,
"unknown order" because the submit has not reached the matching engine yet) leaves our order in
PENDING_CANCEL, which ``_cancel`` treats as done, and a CANCEL_REJECTED report moves it back to
ACCEPTED (the state table's own "unknown to the matching engine yet" row) with nothing asking
again. After a trip the resting order keeps working at the venue while the switch is latched
(until a restart, whose ``cancel_all`` asks again).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.execution.venue import ExecutionReport, RejectCode, ReportKind, VenueAck
from aiswarm.risk import KillTrigger
from aiswarm.types import ClientOrderId, OrderStatus, OrderType
from aiswarm.venues import PaperVenue
from aiswarm.venues.fill_models import FeeModel
from kit.builders import SYMBOL, VENUE, instrument
from kit.spine import START, memory_desk

pytestmark = pytest.mark.integration


class _RefusesFirstCancel(PaperVenue):
    """Refuses the first cancel of each order: in the ack alone, or with a CANCEL_REJECTED."""

    def __init__(self, clock: SimulatedClock, how: str) -> None:
        super().__init__(
            VENUE,
            {SYMBOL: instrument()},
            clock,
            fee_model=FeeModel(maker_fee_frac=Decimal("0"), taker_fee_frac=Decimal("0")),
            max_participation_frac=Decimal("1"),
        )
        self._how = how
        self._refused: set[ClientOrderId] = set()
        self._extra: list[ExecutionReport] = []
        self.cancels = 0

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        self.cancels += 1
        if client_order_id not in self._refused:
            self._refused.add(client_order_id)
            seen = await self.query(client_order_id)
            assert seen is not None
            now = self._clock.now_ns()
            if self._how == "report":
                self._extra.append(
                    ExecutionReport(
                        kind=ReportKind.CANCEL_REJECTED,
                        venue=VENUE,
                        ts_ns=now,
                        client_order_id=client_order_id,
                        venue_order_id=seen.venue_order_id,
                        symbol=SYMBOL,
                        code=RejectCode.UNKNOWN_ORDER,
                        reason="unknown to the matching engine yet",
                    )
                )
                return VenueAck(client_order_id=client_order_id, accepted=True, ts_ns=now)
            return VenueAck(
                client_order_id=client_order_id,
                accepted=False,
                ts_ns=now,
                code=RejectCode.VENUE_ERROR,
                reason="rate limited: try again",
            )
        return await super().cancel(client_order_id)

    def drain_reports(self) -> list[ExecutionReport]:
        extra, self._extra = self._extra, []
        return super().drain_reports() + extra


@pytest.mark.parametrize("how", ["ack", "report"])
async def test_trip_cancel_refused_by_venue_is_asked_again_until_cancelled(how: str) -> None:
    # Arrange: a resting limit buy working at the venue
    clock = SimulatedClock(START)
    venue = _RefusesFirstCancel(clock, how)
    desk, _ = await memory_desk(venue=venue, clock=clock)
    placement = await desk.place(
        desk.intent("0.1", order_type=OrderType.LIMIT, limit_price=Decimal("49900"))
    )
    assert placement.is_live, placement
    cid = placement.spec.client_order_id
    assert desk.spine.oms.orders[cid].status is OrderStatus.ACCEPTED

    # Act: an operator trips the switch (cancel every resting order); the loop runs on
    await desk.spine.kill_switch.command(KillTrigger.TRIP, "operator stop")
    for _ in range(5):
        await desk.next_bar()

    # Assert: the order no longer works at the venue
    seen = await venue.query(cid)
    assert seen is not None
    assert seen.status is OrderStatus.CANCELED, (
        f"latched, yet the order still {seen.status} at the venue; ours is "
        f"{desk.spine.oms.orders[cid].status}; cancels asked={venue.cancels}"
    )
