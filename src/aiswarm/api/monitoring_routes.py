"""Monitoring routes: the Prometheus scrape, the alerts firing, an operator's acknowledgement.

Behind the bearer key like every operator route (Prometheus sends it from a credentials file,
see prometheus/prometheus.yml); each route is one call to the service facade. An
acknowledgement creates an Alertmanager silence for the alert on this account and records who
acknowledged it (``alert.acknowledged``). An operator not in ``trading.operators``, or no
Alertmanager configured, answers 409; Alertmanager not answering, 503. Nothing is recorded then.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response
from pydantic import Field

from aiswarm.runtime.service import RefusedError, TradingService, UnavailableError

from .errors import answers
from .operator_routes import ResetCommand

__all__ = ["monitoring_router"]

AlertName = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        description="The alert's name, as GET /alerts lists it.",
        examples=["KillSwitchTripped"],
    ),
]


class Acknowledgement(ResetCommand):
    """Who acknowledges the alert, why, and for how long it is silenced."""

    duration_s: float = Field(
        default=3600.0,
        ge=60,
        le=7 * 86_400,
        description="Seconds the Alertmanager silence lasts (1 minute to 7 days).",
    )


def monitoring_router(service: TradingService) -> APIRouter:
    """Return the monitoring routes over ``service`` (include them behind the bearer key)."""
    router = APIRouter()

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text."}},
    )
    async def metrics() -> Response:
        body, content_type = service.metrics()
        return Response(content=body, media_type=content_type)

    @router.get("/alerts")
    async def alerts() -> list[dict[str, Any]]:
        return service.alerts()

    @router.post("/alerts/{alertname}/acknowledge", responses=answers(409, 422, 503))
    async def acknowledge(alertname: AlertName, body: Acknowledgement) -> dict[str, Any]:
        try:
            return await service.acknowledge_alert(
                alertname, body.operator_id, body.reason, body.duration_s
            )
        except RefusedError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        except UnavailableError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    return router
