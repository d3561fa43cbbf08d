"""The control-plane HTTP API: a public health probe, everything else behind a scoped key.

Routes call the service facade only (``runtime.service``): they never reach into an engine.
`/health` is public and says nothing sensitive (the docs pages too with ``api.docs_public``);
every other route takes its principal from
``auth.require_scope`` (``check_guarded`` refuses to build an app with an unguarded route).
Every answer carries security headers; CORS is closed unless ``api.cors_origins`` lists
origins (``security_headers``). The docs pages (`/docs`, `/redoc`) load their scripts from this
server, not from a CDN, so they work offline; `/docs` has an Authorize button for the key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from aiswarm import __version__
from aiswarm.runtime.service import TradingService

from .auth import Gatekeeper, KeyGate, check_guarded, mark_scopes
from .bus_admin_routes import bus_admin_router
from .errors import answers, install_error_handlers
from .key_routes import key_router
from .monitoring_routes import monitoring_router
from .operator_routes import operator_router
from .read_routes import read_router
from .reconcile_routes import reconcile_router
from .security_headers import install_security_headers
from .stream_routes import stream_router
from .tracing import TraceRequests
from .trading_state_routes import trading_state_router

__all__ = ["DOCS_PATHS", "PUBLIC_PATHS", "create_app"]

PUBLIC_PATHS = ("/health",)
"""The route that always answers without a credential: liveness (it says nothing sensitive)."""
DOCS_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
"""The API's description: public only with ``api.docs_public`` (a browser cannot send a key
before it has loaded /docs), else behind a key of any scope like every other route."""
_DOCS_ASSETS = ("/static-offline-docs/",)
"""The docs pages' bundled scripts and styles (served by ``FastAPIOffline``)."""


def create_app(service: TradingService) -> FastAPI:
    """Build the API over a running host's service facade, with its config's ``api`` section."""
    api = service.api_settings
    public = (
        PUBLIC_PATHS
        + (("/metrics",) if api.metrics_public else ())
        + (DOCS_PATHS if api.docs_public else ())
    )
    # The docs routes have no require_scope (FastAPI adds them): the key gate alone guards them.
    unscoped = PUBLIC_PATHS + DOCS_PATHS + (("/metrics",) if api.metrics_public else ())
    app = FastAPIOffline(title="aiswarm control plane", version=__version__)
    gatekeeper = app.state.gatekeeper = Gatekeeper(service, api.rate_limit)
    install_error_handlers(app)
    # Innermost first: the key gate, then CORS (a browser's preflight carries no key), then
    # the headers, which thus go on every answer, the gate's 401 included.
    assets = _DOCS_ASSETS if api.docs_public else ()
    app.add_middleware(KeyGate, gatekeeper=gatekeeper, public=public, public_prefixes=assets)
    install_security_headers(app, api.cors_origins)
    app.add_middleware(TraceRequests)  # outermost: every request's log lines share its trace id
    liveness = APIRouter()

    @liveness.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": service.mode}

    app.include_router(liveness)
    for router in (
        operator_router(service),
        key_router(service),
        monitoring_router(service, metrics_public=api.metrics_public),
        read_router(service),
        trading_state_router(service),
        reconcile_router(service),
        stream_router(service),
        bus_admin_router(service.streams),
    ):
        app.include_router(mark_scopes(router), responses=answers(401, 403, 429))
    check_guarded(app, unscoped)
    return app
