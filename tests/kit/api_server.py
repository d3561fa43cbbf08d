"""Serve the API of a paper host over real HTTP on a loopback port, for clients that block.

Schemathesis sends its requests with a blocking client, while the host's store lives on an
event loop; so the host and a uvicorn server share one loop in a thread of their own. The
socket is bound and listening before the thread starts, so a request sent early waits in the
backlog instead of being refused.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from aiswarm.api import create_app
from aiswarm.config import AppConfig
from aiswarm.runtime import Host, TradingService
from kit.host import make_keys, run_steps, start

_START_TIMEOUT_S = 120


SCOPED = {"reader": "read", "trader": "trade", "admin": "admin"}
"""The principals ``serving`` makes, one per scope."""


@contextmanager
def serving(config: AppConfig, steps: int = 0) -> Iterator[tuple[str, dict[str, str]]]:
    """Start a paper host, run ``steps`` steps, serve its API; yield the URL and scope -> key.

    The keys are one per scope (principals ``reader``, ``trader``, ``admin``).
    """
    # IPPROTO_TCP, not 0: asyncio switches Nagle off (TCP_NODELAY) only on sockets that say
    # so, and with Nagle on every keep-alive answer waits 40 ms for a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    servers: list[uvicorn.Server] = []
    keys: dict[str, str] = {}
    ready = threading.Event()

    async def serve() -> None:
        host: Host | None = None
        try:
            host = await start(config)
            await run_steps(host, steps)
            made = await make_keys(host, **SCOPED)
            keys.update({SCOPED[name]: key for name, key in made.items()})
            app = create_app(TradingService(host))
            servers.append(uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")))
            ready.set()
            await servers[0].serve(sockets=[listener])
        finally:
            ready.set()  # also on failure, so the caller stops waiting
            if host is not None:
                await host.stop("test over")

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="api-server")
    thread.start()
    try:
        if not ready.wait(_START_TIMEOUT_S) or not servers:
            raise RuntimeError("the API server did not start; its thread says why")
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", keys
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(_START_TIMEOUT_S)
        listener.close()
