"""``/events/stream``: orders, fills, risk events, alerts and state changes as server-sent events.

Each event's SSE ``id`` is its event-store seq, so a client that reconnects with the standard
``Last-Event-ID`` header (or ``after_seq``) gets exactly the events after the last one it saw,
none twice and none lost, across a server restart too: the store is the source. ``limit`` ends
the stream after that many events (for scripts and tests); without it the stream follows until
the client goes. A comment line is sent every 15 s so proxies keep the connection open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from aiswarm.runtime.service import TradingService

from .errors import answers
from .presentation import present
from .read_models import StreamedEvent
from .read_routes import MAX_I64

__all__ = ["ROUTE_SCOPES", "stream_router"]

ROUTE_SCOPES: Mapping[tuple[str, str], str] = {("GET", "/events/stream"): "read"}
"""The scope (read, trade or admin) each route here needs."""

_STREAM = {
    "description": "Server-sent events; each `data` is a StreamedEvent as JSON.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def stream_router(service: TradingService) -> APIRouter:
    """Return the event stream route over ``service``."""
    router = APIRouter()

    @router.get(
        "/events/stream",
        response_class=EventSourceResponse,
        responses={200: _STREAM, **answers(422)},
    )
    async def stream(
        last_event_id: Annotated[
            int | None,
            Header(ge=0, le=MAX_I64, description="The seq of the last event received."),
        ] = None,
        after_seq: Annotated[
            int, Query(ge=0, le=MAX_I64, description="Start after this seq (no Last-Event-ID).")
        ] = 0,
        limit: Annotated[
            int | None, Query(ge=1, le=100_000, description="End after this many events.")
        ] = None,
    ) -> EventSourceResponse:
        start = after_seq if last_event_id is None else last_event_id
        return EventSourceResponse(_events(service, start, limit), ping=15)

    return router


async def _events(
    service: TradingService, after_seq: int, limit: int | None
) -> AsyncIterator[ServerSentEvent]:
    async for row in service.stream(after_seq, limit):
        data: Any = present(row, verbatim="payload")
        StreamedEvent.model_validate(data)
        yield ServerSentEvent(
            data=orjson.dumps(data).decode(), id=str(row["seq"]), event=str(row["type"])
        )
