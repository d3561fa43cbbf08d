"""A cancel the venue refuses: which refusals are asked again, and how a restart keeps asking."""

from __future__ import annotations

from decimal import Decimal

from aiswarm.clock import SimulatedClock
from aiswarm.types import OrderStatus, OrderType
from kit.builders import T0, order_spec
from kit.oms import ScriptedCancelVenue, approve, oms

SPEC = order_spec(order_type=OrderType.LIMIT, limit_price=Decimal("40000"))  # rests at 50,000
CID = SPEC.client_order_id


async def test_cancel_when_venue_says_order_closed_then_not_asked_again() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = ScriptedCancelVenue(clock, ["closed"])
    manager, _ = oms(venue, clock)
    await manager.submit(approve(SPEC, clock))

    # Act: the venue says the order is over; its closing report is still on the way
    await manager.cancel(CID, "operator cancel")
    for _ in range(3):
        clock.advance(60)
        await manager.process_reports()

    # Assert
    assert venue.asked == 1
    assert manager.orders[CID].status is OrderStatus.PENDING_CANCEL


async def test_cancel_when_venue_refuses_in_ack_then_asked_once_each_pass_until_taken() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = ScriptedCancelVenue(clock, ["unknown", "refused", "unknown"])
    manager, _ = oms(venue, clock)
    await manager.submit(approve(SPEC, clock))

    # Act
    await manager.cancel(CID, "operator cancel")
    asked_per_pass = []
    for _ in range(4):
        before = venue.asked
        clock.advance(60)
        await manager.process_reports()
        asked_per_pass.append(venue.asked - before)

    # Assert
    assert asked_per_pass == [1, 1, 1, 0]
    assert manager.orders[CID].status is OrderStatus.CANCELED


async def test_restart_when_cancel_was_refused_back_to_working_then_recorded_and_asked_again() -> (
    None
):
    # Arrange: the venue refused the cancel in a report; the process stops before the next pass
    clock = SimulatedClock(T0)
    venue = ScriptedCancelVenue(clock, ["rejected_report"])
    manager, journal = oms(venue, clock)
    await manager.submit(approve(SPEC, clock))
    await manager.cancel(CID, "operator cancel")
    assert manager.orders[CID].status is OrderStatus.ACCEPTED
    recorded = len(journal.events)

    # Act: restart over the same journal
    restarted, _ = oms(venue, clock, journal=journal)
    restarted.restore(list(journal.events))
    asked_at_restore = restarted.is_cancel_asked(CID)
    await restarted.reconcile()
    clock.advance(60)
    await restarted.process_reports()

    # Assert: the intent came back from the log; a new request was recorded before the ask
    assert asked_at_restore
    triggers = [p.get("trigger") for t, p in journal.events[recorded:] if t == "order.event"]
    assert triggers[0] == "cancel_request"
    assert venue.asked == 2
    assert restarted.orders[CID].status is OrderStatus.CANCELED
