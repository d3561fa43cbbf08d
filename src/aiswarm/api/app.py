"""The control-plane HTTP API: a public health probe and authenticated operator routes.

Routes call the runtime only. `/health` is public and says nothing sensitive; everything else
sits on the operator router, which requires the bearer key at inclusion.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query

from aiswarm import __version__
from aiswarm.runtime import Platform

from .auth import bearer_key_guard
from .operator_routes import operator_router

__all__ = ["create_app"]


def create_app(platform: Platform, api_key: str) -> FastAPI:
    """Build the API over a started platform."""
    app = FastAPI(title="aiswarm control plane", version=__version__)
    public = APIRouter()
    operator = APIRouter()

    @public.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": platform.config.mode.value}

    @operator.get("/status")
    async def status() -> dict[str, Any]:
        return await platform.status()

    @operator.get("/events/verify")
    async def verify_events() -> dict[str, Any]:
        return asdict(await platform.store.verify())

    @operator.get("/events")
    async def recent_events(
        event_type: str | None = Query(default=None, alias="type"),
        after_seq: int = Query(default=0, ge=0),
        limit: int = Query(default=100, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        types = [event_type] if event_type else None
        rows: list[dict[str, Any]] = []
        async with aclosing(platform.store.replay(types=types, after_seq=after_seq)) as events:
            async for event in events:
                rows.append(
                    {
                        "seq": event.seq,
                        "ts_ns": event.ts_ns,
                        "type": event.type,
                        "payload": event.payload,
                    }
                )
                if len(rows) >= limit:
                    break
        return rows

    guard = [Depends(bearer_key_guard(api_key))]
    app.include_router(public)
    app.include_router(operator, dependencies=guard)
    app.include_router(operator_router(platform), dependencies=guard)
    return app
