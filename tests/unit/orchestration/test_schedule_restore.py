"""Order schedule after a restart: what ``restore`` rebuilds from the journal, and what follows.

Each test runs a schedule over the real pipeline, OMS and paper venue in memory (``kit.schedule``),
stops it (drops every object, or kills it on an append), starts a fresh one over the same log
and venue, and checks that every slice owed is placed exactly once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.execution import Trigger
from aiswarm.execution.timers import Deadline, Heartbeat, Interval
from aiswarm.orchestration.order_schedule import REQUOTE, SLICE, WATCH
from aiswarm.orchestration.schedule_journal import recover
from aiswarm.portfolio import AllocatorConfig
from aiswarm.types import EventType, OrderIntent, OrderStatus, OrderType
from kit.builders import SYMBOL, order_intent
from kit.schedule import START, CountingVenue, Log, Process, ProcessKilledError, start_process

NS = 1_000_000_000
START_NS = to_ns(START)
TWAP = AllocatorConfig(slices=4, slice_interval_s=60)
REQUOTING = AllocatorConfig(order_type=OrderType.LIMIT, limit_offset_ticks=10, requote_every_s=60)


def _market(quantity: str = "0.04") -> OrderIntent:
    return order_intent(
        order_type=OrderType.MARKET, quantity=Decimal(quantity), limit_price=None, ts_event=START
    )


def _limit() -> OrderIntent:
    return order_intent(quantity=Decimal("0.02"), limit_price=Decimal("49999.90"), ts_event=START)


async def _first(config: AllocatorConfig) -> tuple[Log, CountingVenue, Process]:
    clock = SimulatedClock(START)
    log, venue = Log(), CountingVenue(clock)
    return log, venue, await start_process(log, venue, clock, config)


async def _again(before: Process, config: AllocatorConfig) -> Process:
    """Start a fresh process over the log, venue and market ``before`` leaves behind."""
    process = await start_process(before.log, before.venue, before.clock, config)
    process.mark = before.mark
    return process


async def _until_done(process: Process, cycles: int = 10) -> None:
    for _ in range(cycles):
        if not process.schedule.timers:
            return
        await process.cycle()


def _records(log: Log, event_type: str, **match: Any) -> list[Any]:
    return [
        payload
        for payload in log.payloads(event_type)
        if all(payload.get(key) == value for key, value in match.items())
    ]


# ----------------------------------------------------------------- TWAP


async def test_restore_when_stopped_after_2_of_4_slices_then_rest_placed_once_on_the_grid() -> None:
    # Arrange: slices 1 and 2 placed, then the process stops
    log, venue, first = await _first(TWAP)
    await first.start(_market())
    await first.cycle()

    # Act
    again = await _again(first, TWAP)
    restored = dict(again.schedule.timers)
    await _until_done(again)

    # Assert: slices 3 and 4 owed from +120 s, then placed once each at +120 s and +180 s
    assert restored == {SYMBOL: Interval(SYMBOL, 60 * NS, START_NS + 120 * NS, 2)}
    assert log.submitted_slices() == [1, 2, 3, 4]
    specs = log.submitted()
    assert sum(spec.quantity for spec in specs) == Decimal("0.04")
    assert [to_ns(spec.created_at) - START_NS for spec in specs] == [0, 60 * NS, 120 * NS, 180 * NS]
    assert len(venue.received) == 4
    assert "slice 3/4 of 0.04" in _records(log, SLICE, slice=3)[0]["order"]["reason"]
    assert not again.schedule.timers


async def test_restore_when_killed_between_slice_record_and_submit_then_slice_placed_once() -> None:
    # Arrange: slice 2 is recorded and approved; the process dies before the OMS records it
    log, venue, first = await _first(TWAP)
    await first.start(_market())
    log.die_on(EventType.ORDER_SUBMITTED)
    with pytest.raises(ProcessKilledError):
        await first.cycle()
    lost = _records(log, SLICE, slice=2)[0]["client_order_id"]
    assert [d["approved"] for d in log.payloads(EventType.RISK_DECISION)] == [True, True]

    # Act
    again = await _again(first, TWAP)
    restored = dict(again.schedule.timers)
    await _until_done(again)

    # Assert: slice 2 owed again, due at once, and placed once under a new decision time
    assert restored == {SYMBOL: Interval(SYMBOL, 60 * NS, START_NS + 60 * NS, 3)}
    assert [p["slice"] for p in _records(log, SLICE, action="place")] == [1, 2, 2, 3, 4]
    assert log.submitted_slices() == [1, 2, 3, 4]
    assert lost not in venue.received
    assert len(venue.received) == 4
    assert sum(spec.quantity for spec in log.submitted()) == Decimal("0.04")


async def test_restore_when_killed_after_submit_recorded_then_slice_not_placed_again() -> None:
    # Arrange: slice 2's order.submitted is kept and the venue took it; its ack is not recorded
    log, venue, first = await _first(TWAP)
    await first.start(_market())
    log.die_on(EventType.ORDER_EVENT, lambda payload: payload["trigger"] == Trigger.ACCEPT.value)
    with pytest.raises(ProcessKilledError):
        await first.cycle()
    assert len(venue.received) == 2

    # Act
    again = await _again(first, TWAP)
    restored = dict(again.schedule.timers)
    await _until_done(again)

    # Assert: the slice counts as placed; the OMS settles it with the venue
    assert restored == {SYMBOL: Interval(SYMBOL, 60 * NS, START_NS + 120 * NS, 2)}
    assert [p["slice"] for p in _records(log, SLICE, action="place")] == [1, 2, 3, 4]
    assert log.submitted_slices() == [1, 2, 3, 4]
    assert len(venue.received) == 4


async def test_restore_when_slice_refused_before_stop_then_not_tried_again() -> None:
    # Arrange: slice 2 meets no market, so the guard chain refuses it (the schedule moves on)
    log, _, first = await _first(TWAP)
    await first.start(_market())
    await first.cycle(market=False)

    # Act
    again = await _again(first, TWAP)
    restored = dict(again.schedule.timers)
    await _until_done(again)

    # Assert
    assert restored == {SYMBOL: Interval(SYMBOL, 60 * NS, START_NS + 120 * NS, 2)}
    assert [d["approved"] for d in log.payloads(EventType.RISK_DECISION)] == [
        True,
        False,
        True,
        True,
    ]
    assert log.submitted_slices() == [1, 3, 4]


async def test_restore_when_slices_dropped_by_new_decision_then_nothing_owed() -> None:
    # Arrange
    _, _, first = await _first(TWAP)
    await first.start(_market())
    await first.schedule.replace(SYMBOL, "new decision: LONG")

    # Act
    again = await _again(first, TWAP)

    # Assert
    assert again.schedule.timers == {}


async def test_restore_when_twap_finished_then_nothing_restored() -> None:
    # Arrange
    log, _, first = await _first(TWAP)
    await first.start(_market())
    await _until_done(first)

    # Act
    again = await _again(first, TWAP)
    await again.cycle()

    # Assert
    assert again.schedule.timers == {}
    assert log.submitted_slices() == [1, 2, 3, 4]
    assert again.placements == []


async def test_restore_when_config_changed_then_plan_resumes_as_recorded() -> None:
    # Arrange: the plan was 4 slices every 60 s; the restart's config says 2 every 300 s
    log, _, first = await _first(TWAP)
    await first.start(_market())
    changed = AllocatorConfig(slices=2, slice_interval_s=300)

    # Act
    again = await _again(first, changed)
    await _until_done(again)

    # Assert
    assert log.submitted_slices() == [1, 2, 3, 4]
    assert [to_ns(s.created_at) - START_NS for s in log.submitted()] == [
        0,
        60 * NS,
        120 * NS,
        180 * NS,
    ]


# ----------------------------------------------------------------- re-quotes


async def test_restore_when_watched_order_rests_then_requoted_on_its_old_heartbeat() -> None:
    # Arrange: a resting limit buy, watched every 60 s from START; the process stops at +30 s
    log, venue, first = await _first(REQUOTING)
    placed = await first.start(_limit())
    watched = placed.spec.client_order_id
    await first.cycle(30)

    # Act: the restart, then the mark moves and the beat at +60 s comes due
    again = await _again(first, REQUOTING)
    restored = dict(again.schedule.timers)
    early = await again.cycle(20, price=Decimal("50100"))
    due = await again.cycle(10)

    # Assert
    assert restored == {watched: Heartbeat(watched, 60 * NS, START_NS)}
    assert early == []
    assert [p.spec.limit_price for p in due] == [Decimal("50099.90")]
    assert again.oms.orders[watched].status is OrderStatus.CANCELED
    assert [r["action"] for r in log.payloads(REQUOTE)] == ["cancel", "place"]
    assert len(venue.received) == 2


async def test_restore_when_requote_cancel_never_asked_then_cancelled_and_replaced_once() -> None:
    # Arrange: the beat records its cancel; the process dies before the OMS records asking
    log, venue, first = await _first(REQUOTING)
    placed = await first.start(_limit())
    old = placed.spec.client_order_id
    log.die_on(EventType.ORDER_EVENT)
    with pytest.raises(ProcessKilledError):
        await first.cycle(60, price=Decimal("50100"))
    seen = await venue.query(old)
    assert seen is not None
    assert seen.status is OrderStatus.ACCEPTED

    # Act
    again = await _again(first, REQUOTING)
    restored = dict(again.schedule.timers)
    replaced = await again.cycle()

    # Assert: asked again, cancelled, and replaced by one order at the new mark
    assert restored == {old: Deadline(old, START_NS + 60 * NS)}
    assert again.oms.orders[old].status is OrderStatus.CANCELED
    assert [p.spec.limit_price for p in replaced] == [Decimal("50099.90")]
    assert replaced[0].is_live
    assert len(venue.received) == 2
    assert len(_records(log, REQUOTE, action="place", replaces=old)) == 1
    assert again.schedule.timers == {
        replaced[0].spec.client_order_id: Heartbeat(
            replaced[0].spec.client_order_id, 60 * NS, START_NS + 120 * NS
        )
    }


async def test_restore_when_replacement_recorded_but_not_placed_then_placed_once() -> None:
    # Arrange: the old order is cancelled and its replacement recorded; the process dies
    # before the guard chain's decision is recorded
    log, venue, first = await _first(REQUOTING)
    placed = await first.start(_limit())
    old = placed.spec.client_order_id
    log.die_on(EventType.RISK_DECISION)
    with pytest.raises(ProcessKilledError):
        await first.cycle(60, price=Decimal("50100"))
    lost = _records(log, REQUOTE, action="place", replaces=old)[0]["client_order_id"]

    # Act
    again = await _again(first, REQUOTING)
    replaced = await again.cycle()
    await again.cycle()

    # Assert: recorded twice, placed once
    assert again.oms.orders[old].status is OrderStatus.CANCELED
    assert len(_records(log, REQUOTE, action="place", replaces=old)) == 2
    assert [p.spec.quantity for p in replaced] == [Decimal("0.02")]
    assert lost not in venue.received
    assert len(venue.received) == 2
    assert [s.client_order_id for s in log.submitted()] == [old, replaced[0].spec.client_order_id]


async def test_restore_when_watched_order_filled_then_not_watched() -> None:
    # Arrange: the price trades through the limit and the order fills
    _, _, first = await _first(REQUOTING)
    placed = await first.start(_limit())
    await first.cycle(30, price=Decimal("49990"))
    assert first.oms.orders[placed.spec.client_order_id].status is OrderStatus.FILLED

    # Act
    again = await _again(first, REQUOTING)

    # Assert
    assert again.schedule.timers == {}


async def test_restore_when_limit_twap_with_requotes_then_slices_and_watches_come_back() -> None:
    # Arrange: two limit slices of three placed and watched; the first slice was re-quoted
    config = REQUOTING.model_copy(update={"slices": 3, "slice_interval_s": 90})
    log, _, first = await _first(config)
    await first.start(
        order_intent(quantity=Decimal("0.03"), limit_price=Decimal("49999.90"), ts_event=START)
    )
    await first.cycle(60, price=Decimal("50100"))  # slice 1 re-quoted
    await first.cycle(30)  # slice 2 due at +90 s

    # Act
    again = await _again(first, config)
    restored = dict(again.schedule.timers)
    await _until_done(again, cycles=3)

    # Assert: slice 3 owed at +180 s; both working orders watched on their own phase
    working = [order.client_order_id for order in first.oms.open_orders()]
    assert restored == {
        SYMBOL: Interval(SYMBOL, 90 * NS, START_NS + 180 * NS, 1),
        working[0]: Heartbeat(working[0], 60 * NS, START_NS + 60 * NS),
        working[1]: Heartbeat(working[1], 60 * NS, START_NS + 90 * NS),
    }
    assert log.submitted_slices() == [1, 2, 3]


def test_recover_when_twap_recorded_without_its_plan_then_not_resumed() -> None:
    # Arrange: a first slice recorded before plans were (no parent, no interval)
    old = {
        "action": "place",
        "symbol": SYMBOL,
        "slice": 1,
        "slices": 3,
        "quantities": ["0.01", "0.01", "0.01"],
        "next_ns": START_NS + 60 * NS,
        "order": _market("0.01").model_dump(mode="json"),
    }

    # Act
    recovered = recover(
        [
            (SLICE, old),
            (WATCH, {"client_order_id": "x", "symbol": SYMBOL, "every_ns": NS, "since_ns": 0}),
        ]
    )

    # Assert: nothing owed; a watch of an order never submitted is not kept either
    assert recovered.slices == {}
    assert recovered.timers == {}


async def test_restore_when_schedule_already_holds_timers_then_refused() -> None:
    # Arrange
    _, _, process = await _first(TWAP)
    await process.start(_market())

    # Act / Assert
    with pytest.raises(RuntimeError, match="restore runs once"):
        process.schedule.restore(process.log.events)
