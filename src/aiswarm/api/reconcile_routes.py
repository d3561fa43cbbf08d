"""Reconciliation reports: the recorded ones, and a round run now (docs/reconciliation.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from aiswarm.runtime.service import TradingService

from .errors import answers
from .operator_routes import Reader, Trader
from .presentation import present, present_all
from .read_models import ReconciliationOut

__all__ = ["reconcile_router"]


def reconcile_router(service: TradingService) -> APIRouter:
    """Return the reconciliation routes over ``service``."""
    router = APIRouter()

    @router.get(
        "/reconciliation/reports", response_model=list[ReconciliationOut], responses=answers(422)
    )
    async def reports(
        principal: Reader,
        last: Annotated[int, Query(ge=1, le=500, description="How many recent reports.")] = 10,
    ) -> list[ReconciliationOut]:
        rows = present_all(await service.reconciliations(last), verbatim="sections")
        return [ReconciliationOut.model_validate(row) for row in rows]

    @router.post("/reconciliation/run", response_model=ReconciliationOut)
    async def run(principal: Trader) -> ReconciliationOut:
        """Reconcile now: the report is recorded and acted on like a scheduled one."""
        return ReconciliationOut.model_validate(present(await service.reconcile()))

    return router
