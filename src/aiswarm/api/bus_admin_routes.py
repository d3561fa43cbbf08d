"""Admin routes over the bus: pending deliveries, dead letters, and requeue of a dead letter.

Each route is one call to the stream facade (``runtime.stream_admin``). They sit behind the
operator key like the operator routes (``app.py``); they are meant for the ``admin`` scope. A
requeue names the dead letter and the reason, which the event store records with the result;
an id that is no dead letter answers 404 naming the field, an unreachable Redis 503.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from aiswarm.runtime.stream_admin import BusError, StreamAdmin, UnknownDeadLetterError

from .errors import FieldRefused, answers
from .operator_routes import _PRINTABLE as PRINTABLE
from .operator_routes import Admin
from .presentation import present, present_all

__all__ = ["bus_admin_router"]

Limit = Annotated[int, Query(ge=1, le=1_000, description="At most this many entries.")]
Topic = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=256,
        pattern=PRINTABLE,
        description="Only this topic, e.g. md.coinbase.BTC/USD.1m; all topics when absent.",
    ),
]


class Requeue(BaseModel):
    """Which dead letter to put back on its topic, and why."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9]{1,20}-[0-9]{1,20}$",
        description="The dead letter's id, as GET /admin/streams/dlq lists it.",
        examples=["1764612000000-0"],
    )
    reason: str = Field(
        min_length=1,
        max_length=500,
        pattern=PRINTABLE,
        description="Recorded with the requeue.",
        examples=["consumer upgraded to read version 2"],
    )


def bus_admin_router(streams: StreamAdmin) -> APIRouter:
    """Return the bus admin routes over ``streams`` (include them behind the operator key)."""
    router = APIRouter(prefix="/admin/streams", tags=["admin"])

    @router.get("/pending", responses=answers(422, 503))
    async def pending(
        principal: Admin, topic: Topic = None, limit: Limit = 100
    ) -> list[dict[str, Any]]:
        try:
            return present_all(await streams.pending(topic, limit))
        except BusError as exc:
            raise _unavailable(exc) from None

    @router.get("/dlq", responses=answers(422, 503))
    async def dead_letters(principal: Admin, limit: Limit = 100) -> list[dict[str, Any]]:
        try:
            return present_all(await streams.dead_letters(limit))
        except BusError as exc:
            raise _unavailable(exc) from None

    @router.post("/dlq/requeue", responses=answers(400, 404, 422, 503))
    async def requeue(principal: Admin, command: Requeue) -> dict[str, Any]:
        try:
            return present(await streams.requeue(command.id, command.reason))
        except UnknownDeadLetterError as exc:
            raise FieldRefused(404, "body", "id", str(exc)) from None
        except BusError as exc:
            raise _unavailable(exc) from None

    return router


def _unavailable(exc: BusError) -> HTTPException:
    return HTTPException(status_code=503, detail=str(exc))
