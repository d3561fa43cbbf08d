"""Read routes: readiness, portfolio, balances, orders with history, fills, cycles, refusals.

Each is one call to the service facade, behind the operator credential (see ``app.py``). The
scope each needs is its ``principal`` parameter's (``auth.require_scope``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from aiswarm.runtime.service import TradingService

from .errors import answers
from .operator_routes import Reader
from .presentation import present, present_all
from .read_models import Balance, Cycle, FillOut, OrderWithHistory, Portfolio, Readiness, Refusals

__all__ = ["MAX_I64", "read_router"]

MAX_I64 = 2**63 - 1

AfterSeq = Annotated[int, Query(ge=0, le=MAX_I64, description="Only records after this seq.")]


def read_router(service: TradingService) -> APIRouter:
    """Return the read routes over ``service``."""
    router = APIRouter()

    @router.get(
        "/ready",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A check failed; see its detail."}},
    )
    async def ready(principal: Reader) -> JSONResponse:
        """Answer 200 when the store, the venue and the loop are healthy, else 503."""
        answer = Readiness.model_validate(await service.readiness())
        return JSONResponse(answer.model_dump(), status_code=200 if answer.ready else 503)

    @router.get("/portfolio", response_model=Portfolio)
    async def portfolio(principal: Reader) -> Portfolio:
        return Portfolio.model_validate(present(service.portfolio()))

    @router.get("/balances", response_model=list[Balance])
    async def balances(principal: Reader) -> list[Balance]:
        return [Balance.model_validate(row) for row in present_all(service.balances())]

    @router.get("/orders/history", response_model=list[OrderWithHistory], responses=answers(422))
    async def orders_history(
        principal: Reader,
        open_only: Annotated[bool, Query(alias="open", description="Only working orders.")] = False,
    ) -> list[OrderWithHistory]:
        rows = present_all(await service.orders_with_history(open_only=open_only))
        return [OrderWithHistory.model_validate(row) for row in rows]

    @router.get("/fills", response_model=list[FillOut], responses=answers(422))
    async def fills(
        principal: Reader,
        after_seq: AfterSeq = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[FillOut]:
        rows = present_all(await service.fills(after_seq, limit))
        return [FillOut.model_validate(row) for row in rows]

    @router.get("/cycles", response_model=list[Cycle], responses=answers(422))
    async def cycles(
        principal: Reader,
        last: Annotated[int, Query(ge=1, le=500, description="How many recent cycles.")] = 10,
    ) -> list[Cycle]:
        rows = present_all(await service.cycles(last))
        return [Cycle.model_validate(row) for row in rows]

    @router.get("/risk/refusals", response_model=Refusals)
    async def refusals(principal: Reader) -> Refusals:
        return Refusals.model_validate(await service.refusals())

    return router
