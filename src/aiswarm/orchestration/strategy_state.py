"""A strategy's lifecycle on one symbol as one explicit table: look, enter, manage, exit.

A strategy here is what trades one symbol under one mandate. It is IDLE while its mandate may
not trade (not ACTIVE, expired, outside its window), LOOKING while it may and holds nothing,
ENTERED once an order of its mandate works in the symbol, MANAGING once a position is held, and
EXITED when the position is closed again; from EXITED it looks again (or goes idle). Nothing but
``apply`` assigns a state, and a move the table does not hold raises
``InvalidTransition("IDLE -> FILLED")``. ``next_trigger`` says which move the observed facts call
for; ``strategy_tracker`` records each move before it takes effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from aiswarm.errors import InvalidTransition

__all__ = ["TRANSITIONS", "StrategyState", "StrategyTrigger", "apply", "next_trigger"]


class StrategyState(StrEnum):
    """Where a strategy is on its symbol."""

    IDLE = "idle"
    LOOKING = "looking"
    ENTERED = "entered"
    MANAGING = "managing"
    EXITED = "exited"


class StrategyTrigger(StrEnum):
    """What moves a strategy: its mandate opening or closing, its orders and its position."""

    ARM = "arm"  # the mandate may trade
    DISARM = "disarm"  # the mandate may not trade
    ENTRY = "entry"  # an order of the mandate works in the symbol (or a position appeared)
    ENTRY_ENDED = "entry_ended"  # the entry order ended unfilled: cancelled, expired, rejected
    FILLED = "filled"  # a position is held
    FLAT = "flat"  # the position is closed and no order works


_S = StrategyState
_T = StrategyTrigger

TRANSITIONS: Mapping[tuple[StrategyState, StrategyTrigger], StrategyState] = MappingProxyType(
    {
        (_S.IDLE, _T.ARM): _S.LOOKING,
        (_S.LOOKING, _T.DISARM): _S.IDLE,
        (_S.LOOKING, _T.ENTRY): _S.ENTERED,
        (_S.ENTERED, _T.FILLED): _S.MANAGING,
        # The entry came to nothing: look again (or go idle at the next step if closed).
        (_S.ENTERED, _T.ENTRY_ENDED): _S.LOOKING,
        (_S.MANAGING, _T.FLAT): _S.EXITED,
        # A round is over: the next one starts when the mandate may trade.
        (_S.EXITED, _T.ARM): _S.LOOKING,
        (_S.EXITED, _T.DISARM): _S.IDLE,
    }
)
"""Every legal move, one row each. A mandate closing while an order works or a position is
held does not move the strategy: it keeps managing what it has (exits stay allowed)."""


def apply(state: StrategyState, trigger: StrategyTrigger) -> StrategyState:
    """Return the state ``trigger`` moves ``state`` to, or raise ``InvalidTransition``."""
    target = TRANSITIONS.get((state, trigger))
    if target is None:
        raise InvalidTransition(f"{state.name} -> {trigger.name}")
    return target


def next_trigger(
    state: StrategyState, *, tradable: bool, holding: bool, working: bool
) -> StrategyTrigger | None:
    """Return the move the facts call for in ``state``, or None when the state stands.

    ``tradable``: the mandate may trade now; ``holding``: a position is held in the symbol;
    ``working``: an order of the mandate works in it. Applied until None, the moves settle.
    """
    if state is _S.IDLE or state is _S.EXITED:
        if state is _S.IDLE and not tradable:
            return None
        return _T.ARM if tradable else _T.DISARM
    if state is _S.LOOKING:
        if holding or working:
            return _T.ENTRY
        return None if tradable else _T.DISARM
    if state is _S.ENTERED:
        if holding:
            return _T.FILLED
        return None if working else _T.ENTRY_ENDED
    return None if holding or working else _T.FLAT
