"""Monitoring routes: the Prometheus scrape, the alerts firing, an operator's acknowledgement.

Each route needs its scope (``auth.require_scope``): ``/metrics`` read (Prometheus sends a key
from a credentials file, see prometheus/prometheus.yml; or ``api.metrics_public``), an
acknowledgement trade. Each route is one call to the service facade. An acknowledgement creates
an Alertmanager silence for the alert on this account and records the principal who
acknowledged it (``alert.acknowledged``). No Alertmanager configured answers 409; Alertmanager
not answering, 503. Nothing is recorded then.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response
from pydantic import Field

from aiswarm.runtime.service import RefusedError, TradingService, UnavailableError

from .errors import answers
from .operator_routes import Command, Reader, Trader

__all__ = ["monitoring_router"]

AlertName = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        description="The alert's name, as GET /alerts lists it.",
        examples=["KillSwitchTripped"],
    ),
]


class Acknowledgement(Command):
    """Why the alert is acknowledged, and for how long it is silenced."""

    duration_s: float = Field(
        default=3600.0,
        ge=60,
        le=7 * 86_400,
        description="Seconds the Alertmanager silence lasts (1 minute to 7 days).",
    )


def monitoring_router(service: TradingService, *, metrics_public: bool = False) -> APIRouter:
    """Return the monitoring routes over ``service``, each guarded by its scope.

    ``/metrics`` needs ``read`` unless ``metrics_public`` (config ``api.metrics_public``), for a
    Prometheus that scrapes without a key; it holds no secrets either way.
    """
    router = APIRouter(responses=answers(401, 403, 429))
    metrics_page: dict[int | str, dict[str, Any]] = {
        200: {"content": {"text/plain": {}}, "description": "Prometheus text."}
    }

    def exposition() -> Response:
        body, content_type = service.metrics()
        return Response(content=body, media_type=content_type)

    if metrics_public:

        @router.get("/metrics", response_class=Response, responses=metrics_page)
        async def public_metrics() -> Response:
            return exposition()

    else:

        @router.get("/metrics", response_class=Response, responses=metrics_page)
        async def metrics(principal: Reader) -> Response:
            return exposition()

    @router.get("/alerts")
    async def alerts(principal: Reader) -> list[dict[str, Any]]:
        return service.alerts()

    @router.post("/alerts/{alertname}/acknowledge", responses=answers(400, 409, 422, 503))
    async def acknowledge(
        principal: Trader, alertname: AlertName, body: Acknowledgement
    ) -> dict[str, Any]:
        try:
            return await service.acknowledge_alert(
                alertname, principal.name, body.reason, body.duration_s
            )
        except RefusedError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        except UnavailableError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    return router
