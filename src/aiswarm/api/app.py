"""The control-plane HTTP API: a public health probe and authenticated operator routes.

Routes call the service facade only (``runtime.service``): they never reach into an engine.
`/health` is public and says nothing sensitive; everything else sits behind the bearer key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from aiswarm import __version__
from aiswarm.runtime.service import TradingService, UnknownAccountError, UnknownFeedError

from .auth import bearer_key_guard
from .operator_routes import operator_router

__all__ = ["create_app"]

_MAX_I64 = 2**63 - 1


def create_app(service: TradingService, api_key: str) -> FastAPI:
    """Build the API over a running host's service facade."""
    app = FastAPI(title="aiswarm control plane", version=__version__)
    public = APIRouter()
    operator = APIRouter()

    @public.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": service.mode}

    @operator.get("/status")
    async def status() -> dict[str, Any]:
        return await service.status()

    @operator.get("/events/verify")
    async def verify_events() -> dict[str, Any]:
        return await service.verify_events()

    @operator.get("/events")
    async def recent_events(
        event_type: str | None = Query(default=None, alias="type"),
        after_seq: int = Query(default=0, ge=0, le=_MAX_I64),
        limit: int = Query(default=100, ge=1, le=1000),
        account: str | None = Query(default=None, min_length=1, max_length=128),
    ) -> list[dict[str, Any]]:
        types = [event_type] if event_type else None
        return await service.events(types, after_seq, limit, account)

    @app.exception_handler(UnknownAccountError)
    @app.exception_handler(UnknownFeedError)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    guard = [Depends(bearer_key_guard(api_key))]
    app.include_router(public)
    app.include_router(operator, dependencies=guard)
    app.include_router(operator_router(service), dependencies=guard)
    return app
