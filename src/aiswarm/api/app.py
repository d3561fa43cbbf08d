"""The control-plane HTTP API: a public health probe and authenticated operator routes.

Routes call the service facade only (``runtime.service``): they never reach into an engine.
`/health` is public and says nothing sensitive; everything else sits behind the bearer key.
The docs pages (`/docs`, `/redoc`) load their scripts from this server, not from a CDN, so they
work offline; `/docs` has an Authorize button for the key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi_offline import FastAPIOffline

from aiswarm import __version__
from aiswarm.runtime.service import TradingService

from .auth import bearer_key_guard
from .bus_admin_routes import bus_admin_router
from .errors import answers, install_error_handlers
from .monitoring_routes import monitoring_router
from .operator_routes import operator_router
from .read_routes import read_router
from .reconcile_routes import reconcile_router
from .stream_routes import stream_router
from .tracing import TraceRequests
from .trading_state_routes import trading_state_router

__all__ = ["create_app"]


def create_app(service: TradingService, api_key: str) -> FastAPI:
    """Build the API over a running host's service facade."""
    app = FastAPIOffline(title="aiswarm control plane", version=__version__)
    install_error_handlers(app)
    app.add_middleware(TraceRequests)
    public = APIRouter()

    @public.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": service.mode}

    app.include_router(public)
    guard = [Depends(bearer_key_guard(api_key))]
    for router in (
        operator_router(service),
        bus_admin_router(service.streams),
        monitoring_router(service),
        read_router(service),
        trading_state_router(service),
        reconcile_router(service),
        stream_router(service),
    ):
        app.include_router(router, dependencies=guard, responses=answers(401))
    return app
