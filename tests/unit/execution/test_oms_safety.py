"""The OMS under the awkward timings a review found: restarts, races, lost answers, deadlines."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from aiswarm.clock import SimulatedClock
from aiswarm.errors import TransientVenueError
from aiswarm.risk import KillTrigger, TripCause
from aiswarm.types import ClientOrderId, OrderSpec, OrderStatus, OrderType, TradingState
from aiswarm.venues import PaperVenue
from kit.builders import SYMBOL, T0, VENUE, instrument, order_spec
from kit.oms import ListJournal, approve, bar, oms, switch_in


def _resting(**overrides: Any) -> OrderSpec:
    return order_spec(order_type=OrderType.LIMIT, limit_price=Decimal("40000"), **overrides)


class _LostAnswerVenue(PaperVenue):
    """Takes the order, then the answer is lost (a timeout) — once."""

    def __init__(self, *args: Any, deliver: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deliver = deliver
        self.failures = 1

    async def submit(self, spec: OrderSpec) -> Any:
        if self.failures:
            self.failures -= 1
            if self.deliver:
                await super().submit(spec)
            raise TransientVenueError("timed out waiting for the venue")
        return await super().submit(spec)


async def test_reconcile_when_unsent_order_approval_expired_then_rejected_not_sent() -> None:
    # Arrange: an order was recorded, then the process died before sending; restart 2 days on
    clock = SimulatedClock(T0)
    first, _ = oms(PaperVenue(VENUE, {SYMBOL: instrument()}, clock), clock)
    spec = _resting()
    approved = approve(spec, clock)
    records = [
        (
            "order.submitted",
            {
                "spec": spec.model_dump(mode="json"),
                "approval": approved.approval.to_dict(),
                "ts_ns": clock.now_ns(),
            },
        )
    ]
    clock.advance(2 * 86_400)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    restarted, restarted_journal = oms(venue, clock)
    restarted.restore(records)

    # Act
    await restarted.reconcile()

    # Assert
    assert restarted.orders[spec.client_order_id].status is OrderStatus.REJECTED
    assert await venue.open_orders() == []
    reasons = [p.get("reason", "") for t, p in restarted_journal.events if t == "order.event"]
    assert any("approval expired" in reason for reason in reasons)
    assert first.orders == {}


async def test_reconcile_when_kill_switch_latched_then_unsent_order_not_sent() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    spec = _resting()
    approved = approve(spec, clock, ttl_s=3600)
    records = [
        (
            "order.submitted",
            {
                "spec": spec.model_dump(mode="json"),
                "approval": approved.approval.to_dict(),
                "ts_ns": clock.now_ns(),
            },
        )
    ]
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    restarted, _ = oms(venue, clock, switch=switch_in(TradingState.ACTIVE, latched=True))
    restarted.restore(records)

    # Act
    await restarted.reconcile()

    # Assert
    assert restarted.orders[spec.client_order_id].status is OrderStatus.REJECTED
    assert await venue.open_orders() == []


async def test_submit_when_switch_trips_while_recording_then_order_never_sent() -> None:
    # Arrange: the trip lands while order.submitted is being written
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    switch = switch_in(TradingState.ACTIVE)

    class TrippingJournal(ListJournal):
        async def append(self, event_type: str, payload: Any) -> None:
            await super().append(event_type, payload)
            if event_type == "order.submitted":
                switch.apply(
                    switch.propose(KillTrigger.TRIP, reason="x", ts_ns=0, cause=TripCause.MANUAL)
                )

    manager, _ = oms(venue, clock, journal=TrippingJournal(), switch=switch)

    # Act
    result = await manager.submit(approve(_resting(), clock))

    # Assert
    assert not result.accepted
    assert result.code == "KILL_SWITCH_TRIPPED"
    assert await venue.open_orders() == []
    assert manager.open_orders() == []


async def test_cancel_all_when_racing_report_processing_then_journal_replays_cleanly() -> None:
    # Arrange: resting orders, a journal that yields on every write to invite interleaving
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock, max_participation_frac=None)
    manager, journal = oms(venue, clock, journal=ListJournal(yield_each=True))
    for number in range(4):
        spec = order_spec(
            client_order_id=f"c-{number}",
            order_type=OrderType.LIMIT,
            limit_price=Decimal(49990 + number * 10),
        )
        await manager.submit(approve(spec, clock))
    clock.advance(60)
    venue.on_bar(bar(clock, "49995"))  # fills some of them

    # Act
    await asyncio.gather(manager.process_reports(), manager.cancel_all("kill switch"))
    await manager.process_reports()
    rebuilt, _ = oms(PaperVenue(VENUE, {SYMBOL: instrument()}, clock), clock)
    rebuilt.restore(journal.events)

    # Assert
    assert {k: v.status for k, v in rebuilt.orders.items()} == {
        k: v.status for k, v in manager.orders.items()
    }
    assert all(order.is_terminal for order in manager.orders.values())


async def test_cancel_when_venue_took_order_but_answer_was_lost_then_cancelled_after_ack() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = _LostAnswerVenue(VENUE, {SYMBOL: instrument()}, clock)
    manager, _ = oms(venue, clock)
    spec = _resting()
    await manager.submit(approve(spec, clock))
    assert manager.orders[spec.client_order_id].status is OrderStatus.SUBMITTED

    # Act: the kill switch cancels everything; the next pass learns the venue has it
    asked = await manager.cancel_all("kill switch")
    await manager.process_reports()

    # Assert
    assert asked == 1
    assert manager.orders[spec.client_order_id].status is OrderStatus.CANCELED
    assert await venue.open_orders() == []


async def test_submit_when_answer_lost_and_venue_never_got_it_then_sent_again_next_pass() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = _LostAnswerVenue(VENUE, {SYMBOL: instrument()}, clock, deliver=False)
    manager, _ = oms(venue, clock)
    spec = _resting()

    # Act
    first = await manager.submit(approve(spec, clock, ttl_s=60))
    await manager.process_reports()

    # Assert
    assert first.accepted
    assert manager.orders[spec.client_order_id].status is OrderStatus.ACCEPTED
    assert len(await venue.open_orders()) == 1


async def test_restore_when_order_had_time_to_live_then_deadline_still_cancels_it() -> None:
    # Arrange: an order sent with a 60 s time to live; the process restarts
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    manager, journal = oms(venue, clock, order_ttl_s=60)
    spec = _resting()
    await manager.submit(approve(spec, clock))
    restarted, _ = oms(venue, clock, order_ttl_s=60)
    restarted.restore(journal.events)

    # Act
    clock.advance(120)
    await restarted.process_reports()

    # Assert
    assert restarted.orders[spec.client_order_id].status is OrderStatus.CANCELED


async def test_gate_when_latched_and_flatten_off_then_reduce_only_refused() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    latched = switch_in(TradingState.ACTIVE, latched=True)
    without, _ = oms(venue, clock, switch=latched)
    with_flatten, _ = oms(venue, clock, switch=latched, flatten_on_trip=True)
    spec = order_spec(reduce_only=True)

    # Act
    refused = await without.submit(approve(spec, clock))
    allowed = await with_flatten.submit(
        approve(spec.model_copy(update={"client_order_id": "c-2"}), clock)
    )

    # Assert
    assert refused.code == "KILL_SWITCH_TRIPPED"
    assert allowed.code != "KILL_SWITCH_TRIPPED"


def _market(cid: str, quantity: str = "0.2") -> OrderSpec:
    return order_spec(
        client_order_id=ClientOrderId(cid),
        order_type=OrderType.MARKET,
        limit_price=None,
        quantity=Decimal(quantity),
    )


async def test_restore_when_market_order_has_no_mark_then_counted_at_latest_fill_price() -> None:
    # Arrange: a limit buy fills at 50,000; then a market order is sent with no mark given
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    manager, journal = oms(venue, clock)
    await manager.submit(approve(order_spec(), clock))
    clock.advance(60)
    venue.on_bar(bar(clock))
    await manager.process_reports()
    await manager.submit(approve(_market("m-1"), clock))
    restarted, _ = oms(venue, clock)

    # Act
    restarted.restore(journal.events)

    # Assert: live and restored agree, at 0.2 x 50,000
    assert manager.activity.open_order_notional_usd(SYMBOL) == Decimal("10000.0")
    assert restarted.activity.open_order_notional_usd(SYMBOL) == Decimal("10000.0")


async def test_restore_when_market_order_has_no_price_at_all_then_counted_at_the_cap() -> None:
    # Arrange: the record of a market order from before marks were recorded, nothing filled
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    manager, journal = oms(venue, clock)
    await manager.submit(approve(_market("m-1"), clock), mark=Decimal("50000"))
    records = [
        (kind, {k: v for k, v in payload.items() if k != "mark"})
        for kind, payload in journal.events
    ]
    restarted, _ = oms(venue, clock, unpriced_order_notional_usd=Decimal("30000"))

    # Act
    restarted.restore(records)

    # Assert: fail closed, never zero
    assert restarted.activity.open_order_notional_usd(SYMBOL) == Decimal("30000")
