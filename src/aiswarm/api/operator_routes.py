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

from aiswarm.errors import InvalidTransition
from aiswarm.risk import Authorisation, KillTrigger
from aiswarm.runtime import Platform
from aiswarm.runtime.session_state import SessionTrigger

__all__ = ["operator_router"]


class Command(BaseModel):
    """Why an operator asks for a change."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, description="Recorded with the change.")


class ResetCommand(Command):
    """A kill-switch reset names the operator who takes responsibility."""

    operator_id: str = Field(min_length=1, description="Must be listed in trading.operators.")


def _conflict(exc: Exception) -> HTTPException:
    return HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc))


def operator_router(platform: Platform) -> APIRouter:
    """Return the operator routes over ``platform`` (include them behind the bearer key)."""
    router = APIRouter()
    control = platform.session.desk.spine.kill_switch

    @router.post("/session/pause")
    async def pause(command: Command) -> dict[str, str]:
        try:
            state = await platform.change_state(SessionTrigger.PAUSE, command.reason)
        except InvalidTransition as exc:
            raise _conflict(exc) from None
        return {"session": state.value}

    @router.post("/session/resume")
    async def resume(command: Command) -> dict[str, str]:
        try:
            state = await platform.change_state(SessionTrigger.RESUME, command.reason)
        except InvalidTransition as exc:
            raise _conflict(exc) from None
        return {"session": state.value}

    @router.get("/kill-switch")
    async def kill_switch() -> dict[str, Any]:
        return {"state": control.switch.state.value, "latched": control.switch.is_latched()}

    async def _command(
        trigger: KillTrigger, reason: str, who: Authorisation | None = None
    ) -> dict[str, Any]:
        try:
            change = await control.command(trigger, reason, who)
        except (InvalidTransition, ValueError) as exc:
            raise _conflict(exc) from None
        return change.model_dump(mode="json")

    @router.post("/kill-switch/trip")
    async def trip(command: Command) -> dict[str, Any]:
        return await _command(KillTrigger.TRIP, command.reason)

    @router.post("/kill-switch/enable")
    async def enable(command: Command) -> dict[str, Any]:
        return await _command(KillTrigger.ENABLE, command.reason)

    @router.post("/kill-switch/reset")
    async def reset(command: ResetCommand) -> dict[str, Any]:
        who = Authorisation(command.operator_id, command.reason)
        return await _command(KillTrigger.RESET, command.reason, who)

    @router.get("/orders")
    async def orders(open_only: bool = Query(default=False, alias="open")) -> list[dict[str, Any]]:
        oms = platform.session.desk.spine.oms
        chosen = oms.open_orders() if open_only else list(oms.orders.values())
        return [
            {
                "client_order_id": order.client_order_id,
                "status": order.status.value,
                "filled_quantity": str(order.filled_quantity),
                "average_fill_price": None
                if order.average_fill_price is None
                else str(order.average_fill_price),
                "spec": order.spec.model_dump(mode="json"),
            }
            for order in chosen
        ]

    @router.get("/positions")
    async def positions() -> list[dict[str, Any]]:
        portfolio = platform.session.desk.spine.portfolio
        held = []
        for symbol, bars in platform.session.desk.feeds.items():
            position = portfolio.position(bars.venue, symbol)
            if position is not None:
                held.append(position.model_dump(mode="json"))
        return held

    @router.get("/feeds")
    async def feeds() -> list[dict[str, Any]]:
        return [
            {
                "id": str(spec.feed_id),
                "schema": spec.schema.value,
                "latency": spec.latency.value,
                "coverage": None
                if spec.coverage is None
                else {
                    "first_ts_ns": spec.coverage.first_ts_ns,
                    "last_ts_ns": spec.coverage.last_ts_ns,
                    "records": spec.coverage.records,
                },
            }
            for spec in platform.feeds.list()
        ]

    @router.get("/feeds/history")
    async def feed_history(
        feed_id: str = Query(alias="id"),
        start_ns: int = Query(default=0, ge=0),
        end_ns: int = Query(default=2**63 - 1),
        limit: int = Query(default=500, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        feed = platform.feeds.get(feed_id)
        rows: list[dict[str, Any]] = []
        async for batch in feed.history(start_ns, end_ns, min(limit, 1_000)):
            rows.extend(record.model_dump(mode="json") for record in batch)
        return rows[:limit]

    return router
