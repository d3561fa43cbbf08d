"""Give every HTTP request a trace id that its log lines carry, and answer it back.

A plain ASGI middleware (not Starlette's ``BaseHTTPMiddleware``) so a streamed answer is not
buffered. The id is the caller's ``X-Request-ID`` when it is short and plain, else a fresh one
(``runtime.monitor.request_trace``); it is returned in the ``X-Request-ID`` header. One line per
request is logged at debug level (a request is not a state change) with the method, the path
(never the query or a header) and the status.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aiswarm.runtime.monitor import request_trace

__all__ = ["TraceRequests"]

_log = logging.getLogger(__name__)
_HEADER = b"x-request-id"


class TraceRequests:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(_HEADER)
        text = None if incoming is None else incoming.decode("latin-1")
        status: dict[str, Any] = {}
        with request_trace(text) as trace_id:

            async def send_traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    headers = list(message.get("headers") or [])
                    headers.append((_HEADER, trace_id.encode("latin-1")))
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await self.app(scope, receive, send_traced)
            finally:
                _log.debug(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status.get("code"),
                    },
                )
