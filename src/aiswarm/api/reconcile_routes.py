"""Reconciliation reports: the recorded ones, and a round run now (docs/reconciliation.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Query

from aiswarm.runtime.service import TradingService

from .errors import answers
from .presentation import present, present_all
from .read_models import ReconciliationOut

__all__ = ["ROUTE_SCOPES", "reconcile_router"]

ROUTE_SCOPES: Mapping[tuple[str, str], str] = {
    ("GET", "/reconciliation/reports"): "read",
    ("POST", "/reconciliation/run"): "trade",  # may trip the kill switch past its thresholds
}
"""The scope (read, trade or admin) each route here needs."""


def reconcile_router(service: TradingService) -> APIRouter:
    """Return the reconciliation routes over ``service``."""
    router = APIRouter()

    @router.get(
        "/reconciliation/reports", response_model=list[ReconciliationOut], responses=answers(422)
    )
    async def reports(
        last: Annotated[int, Query(ge=1, le=500, description="How many recent reports.")] = 10,
    ) -> list[ReconciliationOut]:
        rows = present_all(await service.reconciliations(last), verbatim="sections")
        return [ReconciliationOut.model_validate(row) for row in rows]

    @router.post("/reconciliation/run", response_model=ReconciliationOut)
    async def run() -> ReconciliationOut:
        """Reconcile now: the report is recorded and acted on like a scheduled one."""
        return ReconciliationOut.model_validate(present(await service.reconcile()))

    return router
