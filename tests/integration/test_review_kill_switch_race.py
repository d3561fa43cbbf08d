"""Kill-switch changes that race are serialised, and every journal the system wrote replays.

Defect guarded against: ``KillSwitchControl.record`` proposed a change, awaited its journal
append, then applied it, with no lock. An operator's ENABLE racing the loop's automatic TRIP
left trading ACTIVE and unlatched while the daily-loss limit was breached (the TRIP was
journaled, then refused as stale); two TRIPs racing were both journaled, and every later
restart raised ``InvalidTransition``, so the desk never opened again. Now changes are proposed,
recorded and applied under one lock, a trip always wins over an enable, and a journal written
by the old code (a duplicate TRIP, a refused ENABLE after a TRIP) still replays.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.risk import Authorisation, KillSwitchChange, KillTrigger, TripCause
from aiswarm.types import EventType, OrderStatus, OrderType, Side, TradingState
from kit.spine import OPERATOR, Desk, open_desk

pytestmark = pytest.mark.integration


async def _breached(desk: Desk) -> None:
    """Hold 1 BTC bought at 50,000 and let it fall to 47,000: -3 % on a 2 % daily limit."""
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    await desk.next_bar(Decimal("47000"))


async def _reset(desk: Desk) -> None:
    """Trip by hand, then reset with authority: HALTED and not latched."""
    control = desk.spine.kill_switch
    await control.command(KillTrigger.TRIP, "operator stop")
    await control.command(
        KillTrigger.RESET, "reviewed", Authorisation(OPERATOR, "reviewed, resuming")
    )


async def _recorded_triggers(desk: Desk) -> list[str]:
    return [
        event.payload["trigger"]
        async for event in desk.store.replay(types=[EventType.KILL_SWITCH_CHANGED])
    ]


async def _reopen(desk: Desk, path: Path) -> Desk:
    await desk.store.close()
    return await open_desk(path, venue=desk.venue, clock=desk.clock, fresh=False)


async def test_enable_when_racing_automatic_trip_then_trip_wins_and_journal_replays(
    tmp_path: Path,
) -> None:
    # Arrange: the daily-loss limit is breached; after a reset an operator enables, rests a
    # closing limit order (exempt from the loss limits) and asks for REDUCING
    path = tmp_path / "spine.db"
    desk = await open_desk(path)
    await _breached(desk)
    await _reset(desk)
    await desk.spine.kill_switch.command(KillTrigger.ENABLE, "resume")
    resting = await desk.place(
        desk.intent(
            "0.01",
            Side.SELL,
            order_type=OrderType.LIMIT,
            limit_price=Decimal("49000"),
            reduce_only=True,
        )
    )
    assert resting.is_live, resting
    await desk.spine.kill_switch.command(KillTrigger.REDUCE, "reduce first")
    control = desk.spine.kill_switch
    snapshot = desk.spine.portfolio.snapshot(desk.clock.now())

    # Act: the operator's ENABLE and the loop's check start together
    enabled, checked = await asyncio.gather(
        control.command(KillTrigger.ENABLE, "operator resumes"),
        control.check(snapshot),
        return_exceptions=True,
    )
    live = (control.switch.state, control.switch.is_latched())
    order = desk.spine.oms.orders[resting.spec.client_order_id]
    reopened = await _reopen(desk, path)

    # Assert: the trip won, the resting order was cancelled, and the journal replays
    assert not isinstance(checked, BaseException), checked
    assert checked[0] is not None
    assert not isinstance(enabled, BaseException)
    assert live == (TradingState.HALTED, True)
    assert order.is_terminal or order.status is OrderStatus.PENDING_CANCEL
    assert reopened.spine.kill_switch.switch.state is TradingState.HALTED
    assert reopened.spine.kill_switch.switch.is_latched()
    await reopened.store.close()


async def test_trip_when_operator_and_loop_trip_together_then_one_recorded_and_restart_opens(
    tmp_path: Path,
) -> None:
    # Arrange
    path = tmp_path / "spine.db"
    desk = await open_desk(path)
    await _breached(desk)
    control = desk.spine.kill_switch
    snapshot = desk.spine.portfolio.snapshot(desk.clock.now())

    # Act: an operator's stop and the loop's automatic trip start together
    results = await asyncio.gather(
        control.command(KillTrigger.TRIP, "operator stop"),
        control.check(snapshot),
        return_exceptions=True,
    )
    triggers = await _recorded_triggers(desk)
    reopened = await _reopen(desk, path)

    # Assert: neither raised, one trip is recorded, and the desk opens again, latched
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert triggers == ["enable", "trip"]
    assert reopened.spine.kill_switch.switch.is_latched()
    await reopened.store.close()


def _change(
    from_state: TradingState, to_state: TradingState, trigger: KillTrigger, latched: bool
) -> dict[str, object]:
    cause = TripCause.DAILY_LOSS if trigger is KillTrigger.TRIP else None
    return KillSwitchChange(
        from_state=from_state,
        to_state=to_state,
        trigger=trigger,
        latched=latched,
        cause=cause,
        reason="written by the old, unserialised code",
        ts_ns=1,
    ).model_dump(mode="json")


_ACTIVE, _HALTED = TradingState.ACTIVE, TradingState.HALTED


@pytest.mark.parametrize(
    ("stale", "state"),
    [
        # Two racing TRIPs, both proposed from ACTIVE: the second was refused when applied.
        (_change(_ACTIVE, _HALTED, KillTrigger.TRIP, True), (_HALTED, True)),
        # An ENABLE proposed before a racing TRIP was applied, then refused as stale.
        (_change(_HALTED, _ACTIVE, KillTrigger.ENABLE, False), (_HALTED, True)),
    ],
    ids=["duplicate-trip", "enable-after-trip"],
)
async def test_restart_when_old_journal_holds_a_refused_change_then_skipped_with_warning(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    stale: dict[str, object],
    state: tuple[TradingState, bool],
) -> None:
    # Arrange: ENABLE, TRIP, then the change the old code journaled and then refused
    path = tmp_path / "spine.db"
    desk = await open_desk(path)
    await desk.spine.kill_switch.command(KillTrigger.TRIP, "operator stop")
    await desk.spine.journal.append(EventType.KILL_SWITCH_CHANGED, stale)

    # Act
    with caplog.at_level(logging.WARNING):
        reopened = await _reopen(desk, path)

    # Assert
    switch = reopened.spine.kill_switch.switch
    assert (switch.state, switch.is_latched()) == state
    warned = [r for r in caplog.records if r.name == "aiswarm.risk.kill_switch"]
    assert [r.levelno for r in warned] == [logging.WARNING]
    await reopened.store.close()


async def test_restart_when_old_journal_holds_trip_refused_after_enable_then_trip_wins(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Arrange: HALTED after a reset; the old code journaled an ENABLE and a racing TRIP, both
    # proposed from HALTED, applied the ENABLE and refused the TRIP: trading went on, ACTIVE
    path = tmp_path / "spine.db"
    desk = await open_desk(path)
    await _reset(desk)
    journal = desk.spine.journal
    await journal.append(
        EventType.KILL_SWITCH_CHANGED, _change(_HALTED, _ACTIVE, KillTrigger.ENABLE, False)
    )
    await journal.append(
        EventType.KILL_SWITCH_CHANGED, _change(_HALTED, _HALTED, KillTrigger.TRIP, True)
    )

    # Act
    with caplog.at_level(logging.WARNING):
        reopened = await _reopen(desk, path)

    # Assert: the recorded trip takes effect after all (fail closed)
    switch = reopened.spine.kill_switch.switch
    assert (switch.state, switch.is_latched()) == (_HALTED, True)
    warned = [r for r in caplog.records if r.name == "aiswarm.risk.kill_switch"]
    assert "latched" in warned[-1].getMessage()
    await reopened.store.close()
