"""Operator authentication: a bearer key compared in constant time.

The key comes from config (`AIS_API_KEY`, `AIS_API_KEY_FILE`, or the paper-mode state file); a
missing key never means "open". Routes are protected by the router they are included in.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Header, HTTPException, status

__all__ = ["bearer_key_guard"]


def bearer_key_guard(api_key: str) -> Callable[[str | None], None]:
    """Return a FastAPI dependency that admits only `Authorization: Bearer <api_key>`."""
    if not api_key:
        raise ValueError("the API key is empty; refusing to build an open operator API")
    expected = api_key.encode("utf-8")

    def require_key(authorization: str | None = Header(default=None)) -> None:
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode("utf-8"), expected
        ):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="missing or wrong API key; send 'Authorization: Bearer <key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_key
