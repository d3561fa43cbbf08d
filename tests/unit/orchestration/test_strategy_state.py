"""Specs for the strategy lifecycle table and its tracker: every row, every illegal move, the
moves the facts call for, each recorded before it counts, and restored after a restart."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.errors import InvalidTransition
from aiswarm.orchestration.strategy_state import (
    TRANSITIONS,
    StrategyState,
    StrategyTrigger,
    apply,
    next_trigger,
)
from aiswarm.orchestration.strategy_tracker import STRATEGY_STATE_CHANGED, StrategyTracker
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import MandateId, MandateStatus, Symbol
from kit.builders import SYMBOL, T0, mandate

NOW_NS = to_ns(T0) + 3_600 * 1_000_000_000
FACTS = list(itertools.product([False, True], repeat=3))  # (tradable, holding, working)


@pytest.mark.parametrize(("move", "target"), list(TRANSITIONS.items()), ids=str)
def test_apply_when_row_in_table_then_moves_to_its_target(
    move: tuple[StrategyState, StrategyTrigger], target: StrategyState
) -> None:
    # Act / Assert
    assert apply(*move) is target


ILLEGAL = [
    (state, trigger)
    for state in StrategyState
    for trigger in StrategyTrigger
    if (state, trigger) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "trigger"), ILLEGAL, ids=str)
def test_apply_when_pair_not_in_table_then_invalid_transition(
    state: StrategyState, trigger: StrategyTrigger
) -> None:
    # Act / Assert
    with pytest.raises(InvalidTransition, match=f"{state.name} -> {trigger.name}"):
        apply(state, trigger)


@pytest.mark.parametrize("state", list(StrategyState))
@pytest.mark.parametrize("facts", FACTS, ids=str)
def test_next_trigger_when_any_state_and_facts_then_legal_and_settles_in_four_moves(
    state: StrategyState, facts: tuple[bool, bool, bool]
) -> None:
    # Arrange
    tradable, holding, working = facts

    # Act: apply what the facts call for until it stands
    moves = 0
    while trigger := next_trigger(state, tradable=tradable, holding=holding, working=working):
        state = apply(state, trigger)  # raises on an illegal move
        moves += 1
        assert moves <= 4

    # Assert: the state that stands agrees with the facts. A closed mandate's strategy stays
    # idle whatever the account holds (another mandate's, or the kill switch's, business).
    if not holding and not working:
        assert state is (StrategyState.LOOKING if tradable else StrategyState.IDLE)
    elif state is not StrategyState.IDLE or tradable:
        # A working order alone is an entry, or the exit of what was managed.
        expected = (
            {StrategyState.MANAGING} if holding else {StrategyState.ENTERED, StrategyState.MANAGING}
        )
        assert state in expected


def test_lifecycle_when_round_trip_then_idle_looking_entered_managing_exited_looking() -> None:
    # Arrange
    steps = [
        ((False, False, False), StrategyState.IDLE),
        ((True, False, False), StrategyState.LOOKING),
        ((True, False, True), StrategyState.ENTERED),
        ((True, True, False), StrategyState.MANAGING),
        ((False, True, False), StrategyState.MANAGING),  # closed mandate: still managing
        ((True, False, False), StrategyState.LOOKING),  # flat: exited, then looking again
    ]
    state = StrategyState.IDLE

    # Act / Assert
    for (tradable, holding, working), expected in steps:
        while trigger := next_trigger(state, tradable=tradable, holding=holding, working=working):
            state = apply(state, trigger)
        assert state is expected


def _tracker() -> tuple[StrategyTracker, MemoryJournal]:
    journal = MemoryJournal(SimulatedClock(T0), "acct-1")
    return StrategyTracker(journal), journal


def test_tracker_when_facts_change_then_each_move_recorded_in_order() -> None:
    # Arrange
    tracker, journal = _tracker()
    active = mandate()
    key = (active.mandate_id, SYMBOL)

    async def run() -> None:
        await tracker.observe(NOW_NS, [active], [SYMBOL], lambda s: False, lambda m, s: True)
        await tracker.observe(NOW_NS + 1, [active], [SYMBOL], lambda s: True, lambda m, s: False)
        await tracker.observe(NOW_NS + 2, [active], [SYMBOL], lambda s: True, lambda m, s: False)
        await tracker.observe(NOW_NS + 3, [active], [SYMBOL], lambda s: False, lambda m, s: False)

    # Act
    asyncio.run(run())

    # Assert
    moves = [
        (event.payload["from"], event.payload["to"], event.payload["trigger"])
        for event in journal.events([STRATEGY_STATE_CHANGED])
    ]
    assert moves == [
        ("idle", "looking", "arm"),
        ("looking", "entered", "entry"),
        ("entered", "managing", "filled"),
        ("managing", "exited", "flat"),
        ("exited", "looking", "arm"),
    ]
    assert tracker.states() == {key: StrategyState.LOOKING}


def test_tracker_when_restored_then_resumes_without_repeating_a_move() -> None:
    # Arrange: a strategy recorded as managing, its position still held after the restart
    tracker, journal = _tracker()
    active = mandate()
    records = [
        (
            STRATEGY_STATE_CHANGED,
            {"mandate_id": active.mandate_id, "symbol": SYMBOL, "from": "entered",
             "to": "managing", "trigger": "filled", "ts_ns": NOW_NS},
        ),
    ]  # fmt: skip

    # Act
    tracker.restore(records)
    moved = asyncio.run(
        tracker.observe(NOW_NS + 1, [active], [SYMBOL], lambda s: True, lambda m, s: False)
    )

    # Assert
    assert moved == 0
    assert journal.events([STRATEGY_STATE_CHANGED]) == []
    assert tracker.states() == {(active.mandate_id, SYMBOL): StrategyState.MANAGING}


def test_tracker_when_mandate_expired_or_symbol_not_traded_then_idle_or_untracked() -> None:
    # Arrange
    tracker, _ = _tracker()
    expired = mandate(status=MandateStatus.EXPIRED)
    other = mandate(mandate_id=MandateId("other"), symbols=(Symbol("ETH/USDT"),))

    # Act
    asyncio.run(
        tracker.observe(NOW_NS, [expired, other], [SYMBOL], lambda s: False, lambda m, s: False)
    )

    # Assert: nothing moved out of IDLE, and ETH/USDT (not traded here) is not tracked
    assert tracker.states() == {}


@given(
    script=st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), max_size=30),
)
def test_tracker_when_any_facts_then_recorded_moves_chain_and_end_in_current_state(
    script: list[tuple[bool, bool, bool]],
) -> None:
    # Arrange
    tracker, journal = _tracker()
    active = mandate(valid_until=datetime(2030, 1, 1, tzinfo=UTC))
    paused = active.model_copy(update={"status": MandateStatus.PAUSED})

    async def run() -> None:
        for step, (tradable, holding, working) in enumerate(script):
            await tracker.observe(
                NOW_NS + step,
                [active if tradable else paused],
                [SYMBOL],
                lambda s, held=holding: held,
                lambda m, s, works=working: works,
            )

    # Act
    asyncio.run(run())

    # Assert: each recorded move starts where the last ended, is a row of the table, and the
    # last one is the state the tracker holds
    moves = [event.payload for event in journal.events([STRATEGY_STATE_CHANGED])]
    state = StrategyState.IDLE
    for move in moves:
        assert move["from"] == state.value
        state = apply(state, StrategyTrigger(move["trigger"]))
        assert move["to"] == state.value
    assert tracker.states().get((active.mandate_id, SYMBOL), StrategyState.IDLE) is state
