"""Operator routes: session control, the kill switch, orders, positions and feeds.

Every route here sits behind the bearer key (see ``app.py``). Commands go through the same
recorded paths as everything else: a pause or a kill-switch reset is an event in the store
before it takes effect, and an illegal move (say, RESUME while running, or a RESET by someone
not in ``trading.operators``) answers 409 with the reason and changes nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from aiswarm.risk import KillTrigger
from aiswarm.runtime.service import RefusedError, TradingService

__all__ = ["operator_router"]

_MAX_I64 = 2**63 - 1


class Command(BaseModel):
    """Why an operator asks for a change."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        min_length=1, max_length=500, pattern=r"\S", description="Recorded with the change."
    )


class ResetCommand(Command):
    """A kill-switch reset (or a flatten stop) names the operator who takes responsibility."""

    operator_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"\S",
        description="Must be listed in trading.operators.",
    )


def _conflict(exc: Exception) -> HTTPException:
    return HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc))


def operator_router(service: TradingService) -> APIRouter:
    """Return the operator routes over ``service`` (include them behind the bearer key)."""
    router = APIRouter()

    @router.post("/session/pause")
    async def pause(command: Command) -> dict[str, str]:
        try:
            return {"session": await service.pause(command.reason)}
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.post("/session/resume")
    async def resume(command: Command) -> dict[str, str]:
        try:
            return {"session": await service.resume(command.reason)}
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.get("/kill-switch")
    async def kill_switch() -> dict[str, Any]:
        return service.kill_switch()

    async def _command(
        trigger: KillTrigger, reason: str, operator_id: str | None = None
    ) -> dict[str, Any]:
        try:
            return await service.command_kill_switch(trigger, reason, operator_id)
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.post("/kill-switch/trip")
    async def trip(command: Command) -> dict[str, Any]:
        return await _command(KillTrigger.TRIP, command.reason)

    @router.post("/kill-switch/enable")
    async def enable(command: Command) -> dict[str, Any]:
        return await _command(KillTrigger.ENABLE, command.reason)

    @router.post("/kill-switch/reset")
    async def reset(command: ResetCommand) -> dict[str, Any]:
        return await _command(KillTrigger.RESET, command.reason, command.operator_id)

    @router.post("/kill-switch/stop-flatten")
    async def stop_flatten(command: ResetCommand) -> dict[str, Any]:
        try:
            return await service.stop_flatten(command.reason, command.operator_id)
        except RefusedError as exc:
            raise _conflict(exc) from None

    @router.get("/orders")
    async def orders(open_only: bool = Query(default=False, alias="open")) -> list[dict[str, Any]]:
        return service.orders(open_only=open_only)

    @router.get("/positions")
    async def positions() -> list[dict[str, Any]]:
        return service.positions()

    @router.get("/feeds")
    async def feeds() -> list[dict[str, Any]]:
        return service.feeds()

    @router.get("/feeds/history")
    async def feed_history(
        feed_id: str = Query(alias="id"),
        start_ns: int = Query(default=0, ge=0, le=_MAX_I64),
        end_ns: int = Query(default=_MAX_I64, ge=0, le=_MAX_I64),
        limit: int = Query(default=500, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        if end_ns < start_ns:
            raise HTTPException(
                status_code=422,
                detail=f"end_ns={end_ns} is before start_ns={start_ns}; pass end_ns >= start_ns",
            )
        return await service.feed_history(feed_id, start_ns, end_ns, limit)

    return router
