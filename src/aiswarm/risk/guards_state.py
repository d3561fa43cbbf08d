"""Guard the trading modes: kill switch, trading state, reduce-only and close-only. Pure.

Each guard returns None to pass or a ``Refusal`` with the numbers that decided it. No I/O, no
clock, no logging, no mutation.

"Shrinks the position" means the order makes the position smaller without flipping its sign,
judged against the position held now (resting orders are not netted in; venues enforce the
reduce-only flag again at fill time). HALTED and a latched kill switch let through only the
kill switch's own flattening: a reduce-only order that shrinks a position, and only when
``flatten_on_trip`` is configured. Every other order is refused.
"""

from __future__ import annotations

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.refusals import Reason, Refusal
from aiswarm.types import TradingState
from aiswarm.types.money import plain

__all__ = [
    "check_close_only",
    "check_kill_switch",
    "check_reduce_only",
    "check_trading_state",
]

_ACTIVE = TradingState.ACTIVE
_REDUCING = TradingState.REDUCING


def _order_detail(ctx: GuardContext) -> str:
    """Return ``side=... quantity=... position=... reduce_only=...`` for a mode refusal."""
    return (
        f"side={ctx.side} quantity={plain(ctx.quantity)} "
        f"position={plain(ctx.position_quantity)} reduce_only={str(ctx.reduce_only).lower()}"
    )


def check_kill_switch(ctx: GuardContext) -> Refusal | None:
    """Refuse every order while the kill switch is latched, except its own flattening."""
    if not ctx.kill_switch_latched:
        return None
    if ctx.risk_reducing and ctx.thresholds.flatten_on_trip:
        return None
    return Refusal(
        Reason.KILL_SWITCH_TRIPPED,
        f"latched=true flatten_on_trip={str(ctx.thresholds.flatten_on_trip).lower()} "
        + _order_detail(ctx),
    )


def check_trading_state(ctx: GuardContext) -> Refusal | None:
    """Pass ACTIVE; in REDUCING pass only reduce-only orders that shrink; refuse in HALTED.

    REDUCING wants the reduce-only flag as well as a shrinking order, so the venue enforces
    it again at fill time and the OMS's own state check (which sees no positions) agrees.
    Any state this guard does not know is treated as HALTED (fail closed).
    """
    state = ctx.trading_state
    if state is _ACTIVE:
        return None
    if state is _REDUCING:
        if ctx.risk_reducing:
            return None
        return Refusal(Reason.TRADING_REDUCING_ONLY, f"state={state} " + _order_detail(ctx))
    if ctx.risk_reducing and ctx.thresholds.flatten_on_trip:
        return None
    return Refusal(Reason.TRADING_HALTED, f"state={state} " + _order_detail(ctx))


def check_reduce_only(ctx: GuardContext) -> Refusal | None:
    """Refuse a reduce-only order that would not shrink the position (or would flip it)."""
    if not ctx.reduce_only or ctx.shrinks_position:
        return None
    return Refusal(Reason.REDUCE_ONLY_VIOLATION, _order_detail(ctx))


def check_close_only(ctx: GuardContext) -> Refusal | None:
    """In close-only mode (whole account or this symbol), pass only orders that shrink."""
    thresholds = ctx.thresholds
    if thresholds.close_only:
        scope = "account"
    elif ctx.symbol in thresholds.close_only_symbols:
        scope = "symbol"
    else:
        return None
    if ctx.shrinks_position:
        return None
    return Refusal(Reason.CLOSE_ONLY, f"scope={scope} symbol={ctx.symbol} " + _order_detail(ctx))
