"""Follow every strategy's lifecycle (``strategy_state``) and record each move before it counts.

One strategy per (mandate, symbol): every symbol a mandate lists that the engine trades. Each
step the engine calls ``observe`` with what it sees (the mandates in force, whether each may
trade now, the position and the working orders per symbol); the tracker applies the moves the
table calls for, appending a ``strategy.state_changed`` record of each (mandate, symbol, from,
to, trigger, time) to the journal first. After a crash, ``restore`` takes the last recorded
state per strategy back from the journal; the next ``observe`` then moves on from there, so the
log never skips a move and never repeats one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiswarm.execution import EventJournal
from aiswarm.orchestration.strategy_state import StrategyState, apply, next_trigger
from aiswarm.types import EventType, Mandate, MandateId, Symbol

__all__ = ["STRATEGY_STATE_CHANGED", "StrategyTracker"]

STRATEGY_STATE_CHANGED = EventType.STRATEGY_STATE_CHANGED
_MOVES_PER_STEP = 4  # the longest settling chain: EXITED -> LOOKING -> ENTERED -> MANAGING

Key = tuple[MandateId, Symbol]


class StrategyTracker:
    """The lifecycle state of each (mandate, symbol); see the module docstring."""

    def __init__(self, journal: EventJournal) -> None:
        self._journal = journal
        self._states: dict[Key, StrategyState] = {}
        self._seen: dict[Key, tuple[bool, bool, bool]] = {}

    def states(self) -> dict[Key, StrategyState]:
        """Return every tracked strategy's state (a copy)."""
        return dict(self._states)

    def restore(self, records: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Take the last recorded state of each strategy back from the journal (oldest first)."""
        for kind, payload in records:
            if kind == STRATEGY_STATE_CHANGED:
                key = (MandateId(payload["mandate_id"]), Symbol(payload["symbol"]))
                self._states[key] = StrategyState(payload["to"])

    async def observe(
        self,
        now_ns: int,
        mandates: Iterable[Mandate],
        traded: Iterable[Symbol],
        holding: Callable[[Symbol], bool],
        working: Callable[[MandateId, Symbol], bool],
    ) -> int:
        """Apply and record the moves the facts at ``now_ns`` call for; return how many."""
        symbols = frozenset(traded)
        moves = 0
        for mandate in mandates:
            tradable = mandate.is_tradable(now_ns)
            for symbol in mandate.symbols:
                if symbol not in symbols:
                    continue
                key = (mandate.mandate_id, symbol)
                facts = (tradable, holding(symbol), working(mandate.mandate_id, symbol))
                if self._seen.get(key) == facts:
                    continue  # the same facts settle in the same state: nothing can move
                moves += await self._settle(key, facts, now_ns)
                self._seen[key] = facts
        return moves

    async def _settle(self, key: Key, facts: tuple[bool, bool, bool], now_ns: int) -> int:
        """Apply moves for ``key`` until the state stands; record each before it takes effect."""
        tradable, held, works = facts
        state = self._states.get(key, StrategyState.IDLE)
        moves = 0
        for _ in range(_MOVES_PER_STEP):
            trigger = next_trigger(state, tradable=tradable, holding=held, working=works)
            if trigger is None:
                break
            target = apply(state, trigger)
            await self._journal.append(
                STRATEGY_STATE_CHANGED,
                {
                    "mandate_id": key[0],
                    "symbol": key[1],
                    "from": state.value,
                    "to": target.value,
                    "trigger": trigger.value,
                    "ts_ns": now_ns,
                },
            )
            self._states[key] = state = target
            moves += 1
        return moves
