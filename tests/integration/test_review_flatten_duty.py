"""A trip's flatten is a standing duty: split to fit the caps, retried every step until flat.

Defect guarded against: the closing order was tried once, at the moment of the trip. Guards
that do not exempt a risk-reducing order refused it (the per-order notional cap, since the
close was never split; the circuit breaker, always open right after a trip caused by venue
rejections; the liquidity guard), and a latched switch never proposes again, so nothing retried
it: ``FLATTEN: sell 1.0 refused: ORDER_NOTIONAL_LIMIT notional=44000 limit=30000``, and the
account sat HALTED holding the whole position. Now every check while latched carries the duty
on, each attempt is a ``kill_switch.flatten`` event, and the duty comes back from the log after
a restart.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.errors import InvalidTransition
from aiswarm.orchestration.flatten_duty import MAX_BACKOFF_STEPS
from aiswarm.risk import Authorisation, KillTrigger, Reason
from aiswarm.types import EventType, Side
from kit.builders import instrument
from kit.spine import OPERATOR, START, Desk, memory_desk, open_desk, paper_venue

pytestmark = pytest.mark.integration

CAP = Decimal("30000")


async def _holding_one_btc(path: Path, **limits: Any) -> Desk:
    """Return a desk holding 1 BTC bought at 50,000 in two halves, flattening on a trip."""
    desk = await open_desk(path, flatten_on_trip=True, **limits)
    for _ in range(2):
        assert (await desk.place(desk.intent("0.5"))).is_live
        await desk.next_bar()
    assert desk.held() == Decimal("1")
    return desk


async def _attempts(desk: Desk) -> list[dict[str, Any]]:
    return [
        event.payload async for event in desk.store.replay(types=[EventType.KILL_SWITCH_FLATTEN])
    ]


async def _closing_specs(desk: Desk) -> list[dict[str, Any]]:
    return [
        event.payload["spec"]
        async for event in desk.store.replay(types=[EventType.RISK_DECISION])
        if event.payload["spec"]["reduce_only"]
    ]


async def _steps_until_flat(desk: Desk, steps: int, **market: Any) -> int:
    """Run up to ``steps`` steps (a bar, then the check); return how many it took to be flat."""
    for taken in range(1, steps + 1):
        await desk.check(**market)
        await desk.next_bar()
        if desk.held() == 0:
            return taken
    return steps + 1


async def test_flatten_when_position_above_order_notional_cap_then_split_and_flat(
    tmp_path: Path,
) -> None:
    # Arrange: 1 BTC held, a 30,000 USDT order cap, and the price falls to 44,000 (-6 %)
    desk = await _holding_one_btc(tmp_path / "spine.db", max_order_notional_usd=CAP)
    await desk.next_bar(Decimal("44000"))

    # Act: the trip, then step after step
    tripped, _ = await desk.check()
    await desk.next_bar()
    steps = await _steps_until_flat(desk, 5)

    # Assert: flat within three slices, each within the cap, none refused
    specs = await _closing_specs(desk)
    decisions = [e.payload async for e in desk.store.replay(types=[EventType.RISK_DECISION])]
    assert tripped is not None
    assert desk.held() == 0
    assert steps <= 3
    assert all(Decimal(spec["quantity"]) * Decimal("44000") <= CAP for spec in specs)
    assert sum(Decimal(spec["quantity"]) for spec in specs) == Decimal("1")
    assert all(d["approved"] for d in decisions if d["spec"]["reduce_only"])
    assert {attempt["outcome"] for attempt in await _attempts(desk)} == {"placed"}
    await desk.store.close()


async def test_flatten_when_trip_caused_by_rejections_then_open_breaker_does_not_hold_it(
    tmp_path: Path,
) -> None:
    # Arrange: the venue asks a 100 USDT minimum the guard chain does not know, so small
    # orders are approved, then rejected; three rejections trip the switch, two open the breaker
    clock = SimulatedClock(START)
    desk = await open_desk(
        tmp_path / "spine.db",
        venue=paper_venue(clock, min_notional=Decimal(100)),
        clock=clock,
        flatten_on_trip=True,
        circuit_breaker_rejections=2,
        kill_switch_rejections=3,
    )
    assert (await desk.place(desk.intent("0.5"))).is_live
    await desk.next_bar()
    for quantity in ("0.0002", "0.0003"):
        rejected = await desk.place(desk.intent(quantity))
        assert rejected.submitted is not None
        assert not rejected.submitted.accepted
    desk.clock.advance(61)  # past the breaker's cooldown: half-open lets one more through
    assert not (await desk.place(desk.intent("0.0004"))).is_live

    rejections = desk.spine.oms.activity.consecutive_rejections

    # Act
    tripped, placements = await desk.check()
    await desk.next_bar()

    # Assert: the breaker was open (3 rejections, the last just now), and the close went
    # through it
    assert rejections == 3
    assert tripped is not None
    assert tripped.cause == "circuit_breaker"
    assert [p.is_live for p in placements] == [True]
    assert desk.held() == 0
    await desk.store.close()


async def test_flatten_when_refused_then_retried_with_backoff_until_placed(
    tmp_path: Path,
) -> None:
    # Arrange: tripped, and the market data the close is judged on is stale
    desk = await _holding_one_btc(tmp_path / "spine.db")
    await desk.next_bar(Decimal("47000"))
    stale = {"updated_ns": desk.clock.now_ns() - 3_600 * 10**9}

    # Act: eight steps on stale data, then fresh data
    for _ in range(8):
        await desk.check(**stale)
        await desk.next_bar()
    refused = await _attempts(desk)
    steps = await _steps_until_flat(desk, 10)

    # Assert: tried at steps 1, 2, 4 and 8 (1, 2, 4 steps apart), each refusal recorded with
    # its reason and the wait; then placed once the data is fresh, and flat
    assert [a["outcome"] for a in refused] == ["refused"] * 4
    assert [a["retry_in_steps"] for a in refused] == [1, 2, 4, 8]
    assert all(Reason.STALE_MARKET_DATA in a["detail"] for a in refused)
    assert steps <= 8
    assert desk.held() == 0
    assert (await _attempts(desk))[-1]["outcome"] == "placed"
    await desk.store.close()


async def test_flatten_when_a_close_still_works_then_only_the_rest_is_placed(
    tmp_path: Path,
) -> None:
    # Arrange: tripped with 1 BTC and a 30,000 USDT cap; the first slice is working (no bar)
    desk = await _holding_one_btc(tmp_path / "spine.db", max_order_notional_usd=CAP)
    await desk.next_bar(Decimal("44000"))
    _, first = await desk.check()

    # Act: two more checks, seconds apart, before the venue sees a bar
    desk.clock.advance(2)
    _, second = await desk.check()
    desk.clock.advance(2)
    _, third = await desk.check()

    # Assert: never more working on the closing side than is held
    working = [o for o in desk.spine.oms.open_orders() if o.spec.reduce_only]
    assert [p.is_live for p in first + second] == [True, True]
    assert first[0].spec.client_order_id != second[0].spec.client_order_id
    assert third == []
    assert all(o.spec.side is Side.SELL for o in working)
    assert sum(o.remaining_quantity for o in working) == desk.held() == Decimal("1")
    await desk.store.close()


async def test_flatten_when_restarted_mid_duty_then_carried_on_from_the_log(
    tmp_path: Path,
) -> None:
    # Arrange: tripped; the first slice filled; then the process restarts
    path = tmp_path / "spine.db"
    desk = await _holding_one_btc(path, max_order_notional_usd=CAP)
    await desk.next_bar(Decimal("44000"))
    await desk.check()
    await desk.next_bar()
    partly = desk.held()
    await desk.store.close()
    reopened = await open_desk(
        path,
        venue=desk.venue,
        clock=desk.clock,
        fresh=False,
        flatten_on_trip=True,
        max_order_notional_usd=CAP,
    )
    reopened.mark = desk.mark

    # Act
    steps = await _steps_until_flat(reopened, 3)

    # Assert
    assert 0 < partly < 1
    assert steps == 1
    assert reopened.held() == 0
    await reopened.store.close()


async def test_flatten_when_operator_stops_it_then_no_attempt_until_next_trip_even_after_restart(
    tmp_path: Path,
) -> None:
    # Arrange: tripped with a stale market, so the first close is refused
    path = tmp_path / "spine.db"
    desk = await _holding_one_btc(path)
    await desk.next_bar(Decimal("47000"))
    await desk.check(updated_ns=0)
    control = desk.spine.kill_switch

    # Act 1: an unauthorised stop is refused; an authorised one holds, across a restart
    with pytest.raises(InvalidTransition, match="may not"):
        await control.stop_flatten(Authorisation("mallory", "hold it"))
    await control.stop_flatten(Authorisation(OPERATOR, "hold the position, market too thin"))
    await desk.store.close()
    desk = await open_desk(
        path, venue=desk.venue, clock=desk.clock, fresh=False, flatten_on_trip=True
    )
    desk.mark = Decimal("47000")
    stopped_after_restart = not desk.spine.kill_switch.flatten_owed()
    attempts_before = len(await _attempts(desk))
    await _steps_until_flat(desk, 3)
    attempts_while_stopped = len(await _attempts(desk)) - attempts_before

    # Act 2: a new trip owes a flatten again
    await desk.spine.kill_switch.command(KillTrigger.TRIP, "operator trips again")
    steps = await _steps_until_flat(desk, 3)

    # Assert
    assert stopped_after_restart
    assert attempts_while_stopped == 0
    assert steps == 1
    assert desk.held() == 0
    await desk.store.close()


async def test_stop_flatten_when_nothing_owed_then_refused(tmp_path: Path) -> None:
    # Arrange: trading, not tripped
    desk = await open_desk(tmp_path / "spine.db", flatten_on_trip=True)

    # Act / Assert
    with pytest.raises(InvalidTransition, match="no flatten to stop"):
        await desk.spine.kill_switch.stop_flatten(Authorisation(OPERATOR, "hold"))
    await desk.store.close()


async def test_flatten_when_refused_for_long_then_waits_at_most_the_longest_backoff() -> None:
    # Arrange: tripped, and the market data stays stale
    desk, journal = await memory_desk(flatten_on_trip=True)
    assert (await desk.place(desk.intent("0.5"))).is_live
    await desk.next_bar()
    await desk.spine.kill_switch.command(KillTrigger.TRIP, "operator stop")

    # Act: a hundred steps
    for _ in range(100):
        await desk.check(updated_ns=0)
        await desk.next_bar()

    # Assert: tried at steps 1, 2, 4, 8, 16, 32, 64 and 96
    waits = [e.payload["retry_in_steps"] for e in journal.events([EventType.KILL_SWITCH_FLATTEN])]
    assert waits == [1, 2, 4, 8, 16, 32, 32, 32]
    assert MAX_BACKOFF_STEPS == 32


async def test_flatten_when_rest_below_venue_minimum_then_recorded_once_as_dust() -> None:
    # Arrange: tripped holding 0.5 BTC (25,000 USDT) where the venue's minimum order is larger
    desk, journal = await memory_desk(flatten_on_trip=True)
    assert (await desk.place(desk.intent("0.5"))).is_live
    await desk.next_bar()
    await desk.spine.kill_switch.command(KillTrigger.TRIP, "operator stop")
    rules = instrument(min_notional=Decimal(30_000))

    # Act
    for _ in range(3):
        await desk.check(rules)
        await desk.next_bar()

    # Assert: no order, one record, the position left for an operator
    attempts = [e.payload for e in journal.events([EventType.KILL_SWITCH_FLATTEN])]
    assert [(a["outcome"], a["quantity"]) for a in attempts] == [("dust", "0.5")]
    assert desk.held() == Decimal("0.5")


async def test_flatten_when_operator_resets_then_no_longer_owed() -> None:
    # Arrange
    desk, _ = await memory_desk(flatten_on_trip=True)
    control = desk.spine.kill_switch
    await control.command(KillTrigger.TRIP, "operator stop")
    owed = control.flatten_owed()

    # Act
    await control.command(KillTrigger.RESET, "reviewed", Authorisation(OPERATOR, "reviewed"))

    # Assert
    assert owed
    assert not control.flatten_owed()
