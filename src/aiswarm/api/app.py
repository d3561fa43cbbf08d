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
from .errors import answers, install_error_handlers
from .operator_routes import operator_router
from .stream_routes import stream_router

__all__ = ["create_app"]


def create_app(service: TradingService, api_key: str) -> FastAPI:
    """Build the API over a running host's service facade."""
    app = FastAPIOffline(title="aiswarm control plane", version=__version__)
    install_error_handlers(app)
    public = APIRouter()

    @public.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": service.mode}

    app.include_router(public)
    app.include_router(
        operator_router(service),
        dependencies=[Depends(bearer_key_guard(api_key))],
        responses=answers(401),
    )
    app.include_router(
        stream_router(service.streams),
        dependencies=[Depends(bearer_key_guard(api_key))],
        responses=answers(401),
    )
    return app
