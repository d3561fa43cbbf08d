"""``/events/stream``: orders, fills, risk events, alerts and state changes as server-sent events.

Each event's SSE ``id`` is its event-store seq, so a client that reconnects with the standard
``Last-Event-ID`` header (or ``after_seq``) gets exactly the events after the last one it saw,
none twice and none lost, across a server restart too: the store is the source. ``limit`` ends
the stream after that many events (for scripts and tests); without it the stream follows until
the client goes. While nothing happens a ``heartbeat`` event (no id, so it never moves the
resume point; its data is ``{}``) is sent every ``HEARTBEAT_S`` seconds: clients and proxies see
the connection is alive, and a client reading a fixed number of events is never left waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from aiswarm.runtime.service import TradingService

from .errors import answers
from .operator_routes import Reader
from .presentation import present
from .read_models import StreamedEvent
from .read_routes import MAX_I64

__all__ = ["stream_router"]

HEARTBEAT_S = 2.0

_EVENT = {
    "type": "object",
    "description": "One server-sent event: `id` the seq, `event` the type, `data` JSON.",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "event": {"type": "string"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {
                "anyOf": [
                    StreamedEvent.model_json_schema(),
                    {"type": "object", "maxProperties": 0, "description": "A heartbeat."},
                ]
            },
        },
    },
    "required": ["data"],
}
_STREAM = {
    "description": "Server-sent events; each event's `data` is a StreamedEvent as JSON.",
    "content": {"text/event-stream": {"schema": _EVENT}},
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
        principal: Reader,
        last_event_id: Annotated[
            str,
            Header(
                pattern=r"^([0-9]{1,18})?$",
                description="The seq of the last event received (digits; empty: none).",
            ),
        ] = "",
        after_seq: Annotated[
            int, Query(ge=0, le=MAX_I64, description="Start after this seq (no Last-Event-ID).")
        ] = 0,
        limit: Annotated[
            int | None, Query(ge=1, le=100_000, description="End after this many events.")
        ] = None,
    ) -> EventSourceResponse:
        start = int(last_event_id) if last_event_id else after_seq
        return EventSourceResponse(_events(service, start, limit))

    return router


async def _events(
    service: TradingService, after_seq: int, limit: int | None
) -> AsyncIterator[ServerSentEvent]:
    async for row in service.stream(after_seq, limit, idle_s=HEARTBEAT_S):
        if row is None:
            yield ServerSentEvent(data="{}", event="heartbeat")
            continue
        data: Any = present(row, verbatim="payload")
        StreamedEvent.model_validate(data)
        yield ServerSentEvent(
            data=orjson.dumps(data).decode(), id=str(row["seq"]), event=str(row["type"])
        )
