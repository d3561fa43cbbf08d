"""Decide whether the trading state lets an order through the OMS. Pure.

The kill switch provides the ``TradingGate``. While it is latched or trading is HALTED only the
kill switch's own flattening passes (a reduce-only order, and only when flattening on a trip is
enabled); in REDUCING only reduce-only orders pass. The guard chain applies the same rules with
the positions in view; this is the OMS's independent check, which needs no positions.

An operator's pause (``SessionPause``) is checked here too, so it stops orders at the gate the
moment it is recorded, including those of a cycle already under way: every new submit is
refused with ``SESSION_PAUSED``, except the kill switch's own flattening (a trip while paused
still closes positions when ``flatten_on_trip`` is set). Cancels never pass through the gate.
"""

from __future__ import annotations

from typing import Protocol

from aiswarm.execution.oms_contracts import OmsRefusal
from aiswarm.types import OrderSpec, TradingState

__all__ = ["SessionPause", "TradingGate", "gate_refusal"]


class TradingGate(Protocol):
    """What the OMS reads from the kill switch: the trading state and the latch."""

    @property
    def state(self) -> TradingState:
        """Return ACTIVE, REDUCING or HALTED."""
        ...

    def is_latched(self) -> bool:
        """Return True while a trip has not been reset by an authorised operator."""
        ...


class SessionPause:
    """Whether the operator has paused trading: set only after the pause is recorded."""

    __slots__ = ("paused", "reason")

    def __init__(self) -> None:
        self.paused = False
        self.reason = ""


def gate_refusal(
    spec: OrderSpec,
    gate: TradingGate,
    flatten_on_trip: bool,
    pause: SessionPause | None = None,
) -> tuple[OmsRefusal, str] | None:
    """Return why the trading state refuses ``spec`` (code, numbers), or None to let it pass."""
    state = gate.state
    latched = gate.is_latched()
    flag = str(spec.reduce_only).lower()
    if latched or state is TradingState.HALTED:
        if spec.reduce_only and flatten_on_trip:
            return None  # the kill switch's own flattening
        code = OmsRefusal.KILL_SWITCH_TRIPPED if latched else OmsRefusal.TRADING_HALTED
        return code, (
            f"state={state} latched={str(latched).lower()} reduce_only={flag} "
            f"flatten_on_trip={str(flatten_on_trip).lower()}"
        )
    if pause is not None and pause.paused:
        return OmsRefusal.SESSION_PAUSED, f"session paused: {pause.reason}"
    if state is TradingState.REDUCING and not spec.reduce_only:
        return OmsRefusal.TRADING_REDUCING_ONLY, f"state={state} reduce_only={flag}"
    return None
