"""Put security headers on every answer, and open CORS only to the configured origins.

The API serves JSON to operators' tools, so every answer says: do not sniff the type, do not
frame me, send no referrer, do not cache (answers hold positions and keys), and load nothing
(``Content-Security-Policy: default-src 'none'``). The offline docs pages (``/docs``,
``/redoc``) run the bundled Swagger UI and ReDoc, which need their own scripts and inline
setup, so they get a policy allowing this origin's scripts and styles, and nothing else.

CORS is closed by default: without ``api.cors_origins`` no ``Access-Control-Allow-*`` header is
ever sent, so a browser page from another origin cannot read any answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["install_security_headers"]

_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_POLICY = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


class _SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP answer (streams included)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        docs = path.startswith(_DOCS_PATHS)
        policy = _DOCS_POLICY if docs else _API_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _NAMES
                ]
                headers.extend(_COMMON)
                headers.append((b"content-security-policy", policy))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, send_with_headers)


_NAMES = {name for name, _ in _COMMON} | {b"content-security-policy"}


def install_security_headers(app: FastAPI, cors_origins: Sequence[str]) -> None:
    """Add the security headers to every answer, and CORS for ``cors_origins`` if any."""
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
    app.add_middleware(_SecurityHeaders)
