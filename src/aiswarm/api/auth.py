"""Operator authentication: a bearer key compared in constant time.

The key comes from config (`AIS_API_KEY`, `AIS_API_KEY_FILE`, or the paper-mode state file); a
missing key never means "open". Routes are protected by the router they are included in. The
scheme is declared in the OpenAPI document (``HTTPBearer``), so ``/docs`` offers an Authorize
button; the check itself is ours, so a missing key and a wrong one both answer 401.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials as Credentials
from fastapi.security import HTTPBearer

__all__ = ["bearer_key_guard"]

_SCHEME = HTTPBearer(
    scheme_name="OperatorKey",
    description="The operator API key (in paper mode, the file state/api_key).",
    auto_error=False,
)


def bearer_key_guard(api_key: str) -> Callable[[Credentials | None], None]:
    """Return a FastAPI dependency that admits only `Authorization: Bearer <api_key>`."""
    if not api_key:
        raise ValueError("the API key is empty; refusing to build an open operator API")
    expected = api_key.encode("utf-8")

    def require_key(credentials: Annotated[Credentials | None, Depends(_SCHEME)]) -> None:
        presented = b"" if credentials is None else credentials.credentials.encode("utf-8")
        if not hmac.compare_digest(presented, expected):
            raise HTTPException(
                status_code=401,
                detail="missing or wrong API key; send 'Authorization: Bearer <key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_key
