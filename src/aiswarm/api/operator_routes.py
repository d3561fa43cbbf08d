"""Operator routes: status, session control, the kill switch, orders, positions, feeds, events.

Every route here takes its principal from ``require_scope`` (``auth.py``) and is one call to the
service facade: reading needs ``read``; pausing, resuming, tripping and enabling need
``trade``; a kill-switch reset and stopping a flatten need ``admin``. The principal is the
operator recorded on the change (``by`` on ``session.changed``, ``operator_id`` on
``kill_switch.changed`` and ``kill_switch.flatten_stopped``); a body never names one. Commands
go through the same recorded paths as everything else: a pause or a reset is an event in the
store before it takes effect, and an illegal move (say, RESUME while running) answers 409 with
the reason and changes nothing. Every input is bounded here (integers within int64, strings
short, printable and not blank), and a body field the route does not know (``operator_id``,
say) is refused with 422 naming it, never silently dropped.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from aiswarm.risk import KillTrigger
from aiswarm.runtime.access_keys import Principal, Scope
from aiswarm.runtime.service import RefusedError, TradingService, UnknownFeedError
from aiswarm.types import EventType

from .auth import require_scope
from .errors import FieldRefused, answers
from .presentation import present, present_all

__all__ = ["Admin", "Command", "Reader", "Trader", "operator_router"]

_MAX_I64 = 2**63 - 1
_PRINTABLE = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
"""Printable text with something besides spaces: a control character would end up in the log
(and PostgreSQL refuses NUL in text), a blank reason explains nothing."""

Ns = Annotated[int, Query(ge=0, le=_MAX_I64, description="Nanoseconds since the Unix epoch.")]
FeedId = Annotated[
    str,
    Query(
        alias="id",
        min_length=1,
        max_length=256,
        pattern=_PRINTABLE,
        description="venue:symbol:kind, as listed by /feeds.",
        examples=["coinbase:BTC/USD:1m"],
    ),
]


class Command(BaseModel):
    """Why an operator asks for a change."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        min_length=1,
        max_length=500,
        pattern=_PRINTABLE,
        description="Recorded with the change.",
        examples=["checking the venue's status page"],
    )


Reader = Annotated[Principal, Depends(require_scope(Scope.READ))]
Trader = Annotated[Principal, Depends(require_scope(Scope.TRADE))]
Admin = Annotated[Principal, Depends(require_scope(Scope.ADMIN))]


def operator_router(service: TradingService) -> APIRouter:
    """Return the operator routes over ``service``, each guarded by its scope."""
    router = APIRouter(responses=answers(401, 403, 429))
    commands = answers(400, 409, 422)

    @router.get("/status")
    async def status(principal: Reader) -> dict[str, Any]:
        return present(await service.status())

    @router.post("/session/pause", responses=commands)
    async def pause(command: Command, principal: Trader) -> dict[str, str]:
        try:
            return {"session": await service.pause(command.reason, principal.name)}
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.post("/session/resume", responses=commands)
    async def resume(command: Command, principal: Trader) -> dict[str, str]:
        try:
            return {"session": await service.resume(command.reason, principal.name)}
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.get("/kill-switch")
    async def kill_switch(principal: Reader) -> dict[str, Any]:
        return service.kill_switch()

    async def _command(trigger: KillTrigger, reason: str, principal: Principal) -> dict[str, Any]:
        try:
            changed = await service.command_kill_switch(
                trigger, reason, principal.name, by_key_id=principal.key_id
            )
            return present(changed)
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.post("/kill-switch/trip", responses=commands)
    async def trip(command: Command, principal: Trader) -> dict[str, Any]:
        return await _command(KillTrigger.TRIP, command.reason, principal)

    @router.post("/kill-switch/enable", responses=commands)
    async def enable(command: Command, principal: Trader) -> dict[str, Any]:
        return await _command(KillTrigger.ENABLE, command.reason, principal)

    @router.post("/kill-switch/reset", responses=commands)
    async def reset(command: Command, principal: Admin) -> dict[str, Any]:
        return await _command(KillTrigger.RESET, command.reason, principal)

    @router.post("/kill-switch/stop-flatten", responses=commands)
    async def stop_flatten(command: Command, principal: Admin) -> dict[str, Any]:
        try:
            return present(await service.stop_flatten(command.reason, principal.name))
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.get("/orders", responses=answers(422))
    async def orders(
        principal: Reader,
        open_only: Annotated[bool, Query(alias="open", description="Only working orders.")] = False,
    ) -> list[dict[str, Any]]:
        return present_all(service.orders(open_only=open_only))

    @router.get("/positions")
    async def positions(principal: Reader) -> list[dict[str, Any]]:
        return present_all(service.positions())

    @router.get("/feeds")
    async def feeds(principal: Reader) -> list[dict[str, Any]]:
        return present_all(service.feeds())

    @router.get("/feeds/history", responses=answers(404, 422))
    async def feed_history(
        principal: Reader,
        feed_id: FeedId,
        start_ns: Ns = 0,
        end_ns: Ns = _MAX_I64,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> list[dict[str, Any]]:
        if end_ns < start_ns:
            reason = f"{end_ns} is before start_ns={start_ns}; pass end_ns >= start_ns"
            raise FieldRefused(422, "query", "end_ns", reason)
        try:
            return present_all(await service.feed_history(feed_id, start_ns, end_ns, limit))
        except UnknownFeedError as exc:
            raise FieldRefused(404, "query", "id", str(exc)) from None

    @router.get("/events/verify")
    async def verify_events(principal: Reader) -> dict[str, Any]:
        return await service.verify_events()

    @router.get("/events", responses=answers(422))
    async def recent_events(
        principal: Reader,
        event_type: Annotated[EventType | None, Query(alias="type")] = None,
        after_seq: Annotated[int, Query(ge=0, le=_MAX_I64)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        account: Annotated[str | None, Query(max_length=128, pattern=_PRINTABLE)] = None,
    ) -> list[dict[str, Any]]:
        types = None if event_type is None else [event_type.value]
        # The payload is the record as stored (and hashed): shown as it is, not reformatted.
        rows = await service.events(types, after_seq, limit, account)
        return present_all(rows, verbatim="payload")

    return router


def _conflict(exc: RefusedError) -> HTTPException:
    return HTTPException(status_code=409, detail=str(exc))
