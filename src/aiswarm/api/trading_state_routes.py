"""Trading state and daily PnL: read the state, move it to REDUCING, read the day's PnL.

The kill switch's trip, enable and reset stay in ``operator_routes``; REDUCING (only orders that
shrink positions) is the one move of the trading-state table they lacked. ``/pnl/status`` reads
every UTC day's PnL from the event store, so it is the same after a restart.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from aiswarm.risk import KillTrigger
from aiswarm.runtime.service import RefusedError, TradingService

from .errors import answers
from .operator_routes import Command, Reader, Trader
from .presentation import present
from .read_models import PnlStatus, TradingStateOut

__all__ = ["trading_state_router"]


def trading_state_router(service: TradingService) -> APIRouter:
    """Return the trading-state and PnL routes over ``service``."""
    router = APIRouter()

    @router.get("/trading-state", response_model=TradingStateOut)
    async def trading_state(principal: Reader) -> TradingStateOut:
        return TradingStateOut.model_validate(service.trading_state())

    @router.post(
        "/trading-state/reduce", response_model=TradingStateOut, responses=answers(400, 409, 422)
    )
    async def reduce(principal: Trader, command: Command) -> TradingStateOut:
        """Move ACTIVE (or an unlatched HALTED) to REDUCING; 409 when the table refuses."""
        try:
            await service.command_kill_switch(KillTrigger.REDUCE, command.reason, principal.name)
        except RefusedError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        return TradingStateOut.model_validate(service.trading_state())

    @router.get("/pnl/status", response_model=PnlStatus)
    async def pnl_status(principal: Reader) -> PnlStatus:
        return PnlStatus.model_validate(present(await service.pnl_status()))

    return router
