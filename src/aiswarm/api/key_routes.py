"""Admin routes for credentials: API keys (list, create, revoke) and approval key rotation.

The same operations as ``aiswarm keys …``, for a running server (with a SQLite store only one
process may append, so while ``aiswarm run`` holds it, these routes are the way). Each is one
call to the service facade and an event in the store before it takes effect; the acting
principal is recorded as ``by``. A new key is in the answer once and nowhere else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from aiswarm.runtime.access_keys import Scope
from aiswarm.runtime.service import RefusedError, TradingService, UnknownKeyError

from .errors import FieldRefused, answers
from .operator_routes import Admin, Command, Reader

__all__ = ["key_router"]


class NewKey(BaseModel):
    """A key to create: the principal's name and its scope."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$",
        description="The principal the key stands for (recorded on what it does).",
        examples=["alice"],
    )
    scope: Scope = Field(description="read, trade (includes read) or admin (includes both).")


KeyId = Annotated[
    str, Path(pattern=r"^[0-9a-f]{12}$", description="As listed by GET /keys.", examples=["0" * 12])
]


def key_router(service: TradingService) -> APIRouter:
    """Return the credential routes over ``service`` (admin, except reading approval keys)."""
    router = APIRouter(responses=answers(401, 403, 429))

    @router.get("/keys")
    async def keys(principal: Admin) -> list[dict[str, Any]]:
        return service.access_keys()

    @router.post("/keys/new", status_code=201, responses=answers(400, 422))
    async def new_key(body: NewKey, principal: Admin) -> dict[str, Any]:
        try:
            return await service.create_access_key(
                body.name, body.scope, principal.name, principal.key_id
            )
        except RefusedError as exc:
            raise FieldRefused(422, "body", "name", str(exc)) from None

    @router.post("/keys/{key_id}/revoke", responses=answers(404, 422))
    async def revoke_key(key_id: KeyId, principal: Admin) -> dict[str, Any]:
        try:
            return await service.revoke_access_key(key_id, principal.name, principal.key_id)
        except UnknownKeyError as exc:
            raise FieldRefused(404, "path", "key_id", str(exc)) from None

    @router.get("/approval-keys")
    async def approval_keys(principal: Reader) -> list[dict[str, Any]]:
        return service.approval_keys()

    @router.post("/approval-keys/rotate", responses=answers(400, 422))
    async def rotate_approval_key(command: Command, principal: Admin) -> dict[str, Any]:
        return await service.rotate_approval_key(command.reason, principal.name)

    return router
