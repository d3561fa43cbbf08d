"""A cancel asked before the venue acknowledged the order survives a restart (issue 15, item 2).

Defect guarded against: the OMS kept such a cancel only in memory. The submit timed out, the
operator (or the order's deadline) cancelled, the process restarted, and recovery put the order
back in the resend queue: the venue received the cancelled order. Now the cancel is recorded
(``order.cancel_deferred``) before anything else happens; after a restart an order the venue
never received is never sent, and one it did receive is cancelled as soon as that is known.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.errors import TransientVenueError
from aiswarm.types import ClientOrderId, OrderSpec, OrderStatus, OrderType
from aiswarm.venues import PaperVenue
from kit.builders import SYMBOL, VENUE, instrument
from kit.spine import START, Desk, open_desk

pytestmark = pytest.mark.integration


class _TimeoutOnceVenue(PaperVenue):
    """The first submit times out; ``delivered`` says whether the venue got it all the same.

    It outlives the process, as a real exchange does, and counts every submit that reached it.
    """

    def __init__(self, clock: SimulatedClock, delivered: bool) -> None:
        super().__init__(VENUE, {SYMBOL: instrument()}, clock, max_participation_frac=None)
        self.clock = clock
        self.delivered = delivered
        self.timeouts = 1
        self.received: list[ClientOrderId] = []

    async def submit(self, spec: OrderSpec) -> Any:
        if self.timeouts:
            self.timeouts -= 1
            if self.delivered:
                self.received.append(spec.client_order_id)
                await super().submit(spec)
            raise TransientVenueError("timed out waiting for the venue")
        self.received.append(spec.client_order_id)
        return await super().submit(spec)


async def _resting_buy_that_timed_out(path: Path, venue: _TimeoutOnceVenue, **options: Any) -> Any:
    desk = await open_desk(path, venue=venue, clock=venue.clock, **options)
    placed = await desk.place(
        desk.intent("0.1", order_type=OrderType.LIMIT, limit_price=Decimal("49000"))
    )
    assert placed.is_live
    order = desk.spine.oms.orders[placed.spec.client_order_id]
    assert order.status is OrderStatus.SUBMITTED  # the venue did not answer
    return desk, placed.spec.client_order_id


async def _cancel_then_restart(path: Path, venue: _TimeoutOnceVenue) -> tuple[Desk, ClientOrderId]:
    """Time out a submit, let the operator cancel, die, restart, and trade one bar."""
    desk, cid = await _resting_buy_that_timed_out(path, venue)
    assert await desk.spine.oms.cancel(cid, "operator cancel")
    await desk.store.close()  # dies here: nothing after the cancel ran
    again = await open_desk(path, venue=venue, clock=venue.clock, fresh=False)
    await again.next_bar()
    return again, cid


async def test_restart_when_cancelled_before_ack_and_venue_never_got_it_then_never_sent(
    tmp_path: Path,
) -> None:
    # Arrange: the venue never gets the first submit
    venue = _TimeoutOnceVenue(SimulatedClock(START), delivered=False)

    # Act
    again, cid = await _cancel_then_restart(tmp_path / "c.db", venue)

    # Assert
    assert venue.received == []
    assert await venue.query(cid) is None
    assert again.spine.oms.orders[cid].status is OrderStatus.REJECTED
    assert again.spine.oms.open_orders() == []
    await again.store.close()


async def test_restart_when_cancelled_before_ack_and_venue_got_it_then_cancelled_there(
    tmp_path: Path,
) -> None:
    # Arrange: the venue gets the first submit; only its answer is lost
    venue = _TimeoutOnceVenue(SimulatedClock(START), delivered=True)

    # Act
    again, cid = await _cancel_then_restart(tmp_path / "c.db", venue)

    # Assert: sent once (the first time), cancelled at the venue and here
    assert venue.received == [cid]
    seen = await venue.query(cid)
    assert seen is not None
    assert seen.status is OrderStatus.CANCELED
    assert again.spine.oms.orders[cid].status is OrderStatus.CANCELED
    await again.store.close()


async def test_restart_when_deadline_cancelled_before_ack_then_never_sent(
    tmp_path: Path,
) -> None:
    # Arrange: a 60 s time to live passes while the venue has not answered; crash
    venue = _TimeoutOnceVenue(SimulatedClock(START), delivered=False)
    path = tmp_path / "t.db"
    desk, cid = await _resting_buy_that_timed_out(path, venue, approval_ttl_s=3600, order_ttl_s=60)
    desk.clock.advance(61)
    assert await desk.spine.oms.expire_due() == 1

    # Act
    await desk.store.close()
    again = await open_desk(
        path, venue=venue, clock=desk.clock, fresh=False, approval_ttl_s=3600, order_ttl_s=60
    )
    await again.next_bar()

    # Assert
    assert venue.received == []
    assert again.spine.oms.orders[cid].status is OrderStatus.REJECTED
    await again.store.close()


async def test_cancel_when_before_ack_then_recorded_before_anything_else(tmp_path: Path) -> None:
    # Arrange
    venue = _TimeoutOnceVenue(SimulatedClock(START), delivered=False)
    desk, cid = await _resting_buy_that_timed_out(tmp_path / "r.db", venue)
    before = [event.seq async for event in desk.store.replay()]

    # Act
    asked = await desk.spine.oms.cancel(cid, "operator cancel")

    # Assert: one record, the cancel, and the OMS says a cancel is asked
    after = [event async for event in desk.store.replay() if event.seq > max(before)]
    assert asked
    assert [(event.type, event.payload["client_order_id"]) for event in after] == [
        ("order.cancel_deferred", cid)
    ]
    assert desk.spine.oms.is_cancel_asked(cid)
    await desk.store.close()
