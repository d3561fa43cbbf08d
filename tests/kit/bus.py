"""Open either transport of the bus for a test, over the real local Redis, and clean up after.

Each Redis bus gets a key prefix of its own (``test:<hex>:``) so tests running at the same time
never see each other's streams, and every key under it is deleted afterwards. A Redis that
does not answer fails the test loudly: the suite's Redis tests are never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import redis.asyncio as redis
from pydantic import BaseModel, ConfigDict

from aiswarm.bus import BUS_RECORDS, BusSettings, Message, StreamBus, open_bus
from aiswarm.clock import SimulatedClock

__all__ = ["REDIS_URL", "TEST_RECORDS", "TRANSPORTS", "Note", "delete_prefix", "note", "opened_bus"]

REDIS_URL = os.environ.get("AIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TRANSPORTS = ("in-process", "redis")


class Note(BaseModel):
    """A record only the tests publish."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str
    n: int


TEST_RECORDS = BUS_RECORDS.with_kind("test.note", 1, Note)
START = datetime(2026, 1, 1, tzinfo=UTC)


def note(n: int, key: str | None = None) -> Message:
    """Return a note message numbered ``n`` (trace ``trace-<n>``)."""
    return TEST_RECORDS.message(
        Note(text=f"note {n}", n=n), trace_id=f"trace-{n}", ts_ns=n, key=key
    )


@asynccontextmanager
async def opened_bus(
    transport: str, settings: BusSettings | None = None, prefix: str | None = None
) -> AsyncIterator[StreamBus]:
    """Yield a bus of ``transport`` ("in-process" or "redis"); Redis keys are removed after."""
    url = None if transport == "in-process" else REDIS_URL
    prefix = prefix or f"test:{secrets.token_hex(6)}:"
    bus = await open_bus(url, SimulatedClock(START), settings, prefix=prefix, records=TEST_RECORDS)
    try:
        yield bus
    finally:
        await bus.close()
        if url is not None:
            await delete_prefix(prefix)


async def delete_prefix(prefix: str) -> None:
    """Delete every Redis key under ``prefix``."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
