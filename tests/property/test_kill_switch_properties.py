"""Kill-switch changes under any interleaving: serialised, replayable, and a trip always wins.

Operators (ENABLE, REDUCE, TRIP, RESET) and the loop (its check, on a breached or a calm book)
act concurrently, and the journal takes a drawn number of event-loop turns for each append, so
every ordering of propose, append and apply between them comes up. Whatever the ordering: the
loop's check never fails, a breached check leaves the switch HALTED and latched, a refused
command writes nothing, and the journal replays strictly (each change from the state the one
before left) to the live state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from decimal import Decimal
from itertools import cycle
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock
from aiswarm.errors import InvalidTransition
from aiswarm.risk import Authorisation, KillSwitch, KillSwitchChange, KillTrigger
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import EventType, TradingState
from kit.builders import ACCOUNT
from kit.guards import account
from kit.spine import OPERATOR, START, memory_desk

BREACHED = account(nav=Decimal("97000"), daily_pnl=Decimal("-3000"))  # -3 % on a 2 % limit
CALM = account()
OPERATOR_TRIGGERS = st.sampled_from(
    [KillTrigger.ENABLE, KillTrigger.REDUCE, KillTrigger.TRIP, KillTrigger.RESET]
)


class _SlowJournal:
    """Record into ``inner`` after yielding to the event loop a drawn number of times.

    Stands in for the store's latency: while one append waits, other tasks run.
    """

    def __init__(self, inner: MemoryJournal, turns: Iterator[int]) -> None:
        self.inner = inner
        self._turns = turns

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> None:
        for _ in range(next(self._turns)):
            await asyncio.sleep(0)
        await self.inner.append(event_type, payload)

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        for _ in range(next(self._turns)):
            await asyncio.sleep(0)
        await self.inner.append_many(items)


async def _interleave(
    operators: list[list[KillTrigger]], checks: list[bool], turns: list[int]
) -> None:
    # Arrange: a funded desk, trading, whose journal yields between appends
    clock = SimulatedClock(START)
    memory = MemoryJournal(clock, ACCOUNT)
    desk, _ = await memory_desk(_SlowJournal(memory, cycle(turns or [0])), clock=clock)
    control = desk.spine.kill_switch
    switch = control.switch
    breached_after: list[tuple[TradingState, bool]] = []
    made: list[KillSwitchChange] = []  # every change a command or a check reported made

    async def operator(triggers: list[KillTrigger]) -> None:
        for trigger in triggers:
            authorisation = (
                Authorisation(OPERATOR, "reviewed") if trigger is KillTrigger.RESET else None
            )
            with suppress(InvalidTransition):  # refused: must write nothing (checked below)
                made.append(await control.command(trigger, f"operator {trigger}", authorisation))

    async def loop() -> None:
        for breached in checks:
            change, _ = await control.check(BREACHED if breached else CALM)
            if change is not None:
                made.append(change)
            if breached:
                breached_after.append((switch.state, switch.is_latched()))

    # Act
    await asyncio.gather(loop(), *(operator(triggers) for triggers in operators))
    changes = [
        KillSwitchChange.model_validate(event.payload)
        for event in memory.events([EventType.KILL_SWITCH_CHANGED])
    ]
    strict = KillSwitch((OPERATOR,))
    for change in changes:
        strict.apply(change)  # raises on any change that does not follow from the one before

    # Assert
    assert set(breached_after) <= {(TradingState.HALTED, True)}
    # The start's ENABLE, then exactly the changes reported made: a refusal wrote nothing
    assert sorted(map(repr, changes[1:])) == sorted(map(repr, made))
    assert (strict.state, strict.is_latched()) == (switch.state, switch.is_latched())
    assert (KillSwitch.from_changes(changes, (OPERATOR,)).state) == switch.state


@settings(max_examples=300)
@given(
    operators=st.lists(st.lists(OPERATOR_TRIGGERS, max_size=6), min_size=1, max_size=2),
    checks=st.lists(st.booleans(), max_size=6),
    turns=st.lists(st.integers(0, 3), max_size=8),
)
def test_changes_when_operators_and_loop_interleave_then_replay_and_breach_never_active(
    operators: list[list[KillTrigger]], checks: list[bool], turns: list[int]
) -> None:
    asyncio.run(_interleave(operators, checks, turns))
