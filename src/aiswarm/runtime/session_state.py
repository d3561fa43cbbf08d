"""The trading session's lifecycle as one explicit table: start, pause, resume, stop.

A paused session keeps its loop and resting orders but runs no new cycles (agents are not
asked, nothing new is ordered); a stopping session finishes the cycle in progress, then
checkpoints and shuts down. Nothing but `apply` assigns the state, and a move the table does not
hold raises `InvalidTransition("STOPPED -> RESUME")`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from aiswarm.errors import InvalidTransition

__all__ = ["TRANSITIONS", "SessionState", "SessionTrigger", "apply"]


class SessionState(StrEnum):
    """Where a trading session is in its life."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    STOPPED = "stopped"


class SessionTrigger(StrEnum):
    """What moves a session: an operator's command, or the loop finishing."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    FINISHED = "finished"


_S = SessionState
_T = SessionTrigger

TRANSITIONS: Mapping[tuple[SessionState, SessionTrigger], SessionState] = MappingProxyType(
    {
        (_S.CREATED, _T.START): _S.RUNNING,
        # Stopping before the first cycle needs no drain.
        (_S.CREATED, _T.STOP): _S.STOPPED,
        (_S.RUNNING, _T.PAUSE): _S.PAUSED,
        (_S.RUNNING, _T.STOP): _S.STOPPING,
        # The data ran out (replay) or the cycle limit was reached.
        (_S.RUNNING, _T.FINISHED): _S.STOPPING,
        (_S.PAUSED, _T.RESUME): _S.RUNNING,
        (_S.PAUSED, _T.STOP): _S.STOPPING,
        # A second stop request (another SIGTERM) while draining changes nothing.
        (_S.STOPPING, _T.STOP): _S.STOPPING,
        (_S.STOPPING, _T.FINISHED): _S.STOPPED,
        # A restart of an account that was stopped cleanly: the same account trades on.
        (_S.STOPPED, _T.START): _S.RUNNING,
        # ... and of one that was paused when it stopped: the operator's pause holds.
        (_S.STOPPED, _T.PAUSE): _S.PAUSED,
    }
)


def apply(state: SessionState, trigger: SessionTrigger) -> SessionState:
    """Return the state ``trigger`` leads to from ``state``, or raise `InvalidTransition`."""
    target = TRANSITIONS.get((state, trigger))
    if target is None:
        raise InvalidTransition(f"{state.name} -> {trigger.name}")
    return target
