"""`aiswarm streams …`: pending deliveries, dead letters and requeue, on the configured Redis.

Only a Redis bus can be inspected from outside: the in-process bus lives inside the running
`aiswarm run` process, so these commands refuse (one line, with the fix) when ``bus.url`` is
not set, and point at the running API's ``/admin/streams`` routes instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiswarm.clock import WallClock
from aiswarm.config import load_config
from aiswarm.errors import ConfigError
from aiswarm.runtime.bus_opening import open_configured_bus
from aiswarm.runtime.stream_admin import StreamAdmin
from aiswarm.store import open_event_store

__all__ = ["dead_letters", "pending", "requeue"]


@asynccontextmanager
async def _admin(config_path: Path | None) -> AsyncIterator[StreamAdmin]:
    config = load_config(config_path)
    if config.bus.url is None:
        raise ConfigError(
            "bus.url is not set, so the bus is the in-process one inside `aiswarm run`; ask "
            "that process's API (GET /admin/streams/pending, /admin/streams/dlq) or set "
            "bus.url (AIS_BUS__URL) to the Redis the deployment shares, e.g. "
            "redis://127.0.0.1:6379/0"
        )
    clock = WallClock()
    bus = await open_configured_bus(config.bus, clock)
    try:
        store = await open_event_store(config.store.url, clock)
        try:
            yield StreamAdmin(bus, store)
        finally:
            await store.close()
    finally:
        await bus.close()


async def pending(config_path: Path | None, topic: str | None, limit: int) -> list[dict[str, Any]]:
    """Return up to ``limit`` unacknowledged deliveries (of one topic, or of all)."""
    async with _admin(config_path) as admin:
        return await admin.pending(topic, limit)


async def dead_letters(config_path: Path | None, limit: int) -> list[dict[str, Any]]:
    """Return up to ``limit`` dead letters, oldest first."""
    async with _admin(config_path) as admin:
        return await admin.dead_letters(limit)


async def requeue(config_path: Path | None, dead_letter_id: str, reason: str) -> dict[str, Any]:
    """Put a dead letter back for its group; the event store records it with ``reason``."""
    if not reason.strip():
        raise ConfigError(
            "--reason was blank; say why the message goes back, e.g. --reason 'fixed'"
        )
    async with _admin(config_path) as admin:
        return await admin.requeue(dead_letter_id, reason)
