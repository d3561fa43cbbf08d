"""Guard spot holdings: a spot account cannot sell what it does not hold. Pure.

A spot venue has no short sale: an order to sell more than the account holds is either refused
by the venue or, worse, filled against a balance our books do not know about, and that fill
cannot be booked (see ``portfolio.errors.AccountingBreak``). So a spot sell passes only when it
fits in the holding beside every sell already working in that market (at that venue): those
may all fill first. A reduce-only sell is not exempt: a close cannot sell more than is held
either. Perpetuals are not limited here; the exposure guards bound them.

No I/O, no clock, no logging, no mutation.
"""

from __future__ import annotations

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.refusals import Reason, Refusal
from aiswarm.types import InstrumentKind, Side
from aiswarm.types.money import plain

__all__ = ["check_spot_holding"]

_SELL = Side.SELL
_SPOT = InstrumentKind.SPOT


def check_spot_holding(ctx: GuardContext) -> Refusal | None:
    """Refuse a spot sell when it and the working sells together exceed the holding.

    Passes buys, perpetuals and an unknown instrument (UNKNOWN_INSTRUMENT refuses that).
    """
    instrument = ctx.instrument
    if ctx.side is not _SELL or instrument is None or instrument.kind is not _SPOT:
        return None
    held = ctx.position_quantity
    working = ctx.working_sell_quantity
    if working + ctx.quantity <= held:
        return None
    return Refusal(
        Reason.SPOT_SELL_ABOVE_HOLDING,
        f"symbol={ctx.symbol} venue={ctx.venue} holding={plain(held)} "
        f"working_sells={plain(working)} order={plain(ctx.quantity)}",
    )
