"""Measure durable appends per second of the event store, as ``aiswarm bench events`` reports.

Every figure counts events whose append had resolved, i.e. whose batch was committed (SQLite:
WAL with ``synchronous=FULL``, an fsync per commit). Scenarios:

* ``sqlite_sequential``: one appender awaiting each append in turn. Bound by fsync latency:
  one commit per event, whatever the group commit does.
* ``sqlite_pipelined``: one appender that submits without waiting, a window of chunks ahead.
* ``sqlite_32_appenders``: 32 tasks, each awaiting its own appends in a loop; a batch holds
  at most 32 events.
* ``postgres_32_appenders``: the same on PostgreSQL, in a temporary schema that is dropped.

Each runs ``REPEATS`` times on a fresh database; the report gives median, min and max, the
machine, and the durability settings. Every event is an ``order.event`` of one account, so the
measured path is the real one, registry and account checks included. Durations come from
``clock.monotonic_ns()`` so this module, like all of src/ but clock.py, never reads the time
itself.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from aiswarm.bench.machine import machine_info
from aiswarm.clock import Clock
from aiswarm.store import EventStore, open_event_store
from aiswarm.types import EventType

__all__ = ["run_event_bench"]

REPEATS = 3
TARGET_PER_S = 50_000
APPENDERS = 32
_CHUNK = 8_192
_QTY = Decimal("0.0125")
_PRICE = Decimal("64123.5")
_ACCOUNT = "bench"
_TYPE = EventType.ORDER_EVENT

Scenario = Callable[[EventStore, int], Awaitable[None]]


def _payload(task: int, counter: int) -> dict[str, Any]:
    """Return a fill-sized payload with two Decimals, as real events carry."""
    return {"task": task, "counter": counter, "symbol": "BTC/USDT", "qty": _QTY, "px": _PRICE}


async def _sequential(store: EventStore, events: int) -> None:
    for counter in range(events):
        await store.append(_TYPE, _payload(0, counter), account=_ACCOUNT)


async def _pipelined(store: EventStore, events: int) -> None:
    # Keep one chunk in flight while the next is submitted, so the writer never idles.
    in_flight: list[asyncio.Future[Any]] = []
    for start in range(0, events, _CHUNK):
        chunk = [
            store.submit(_TYPE, _payload(0, counter), account=_ACCOUNT)
            for counter in range(start, min(start + _CHUNK, events))
        ]
        if in_flight:
            await asyncio.gather(*in_flight)
        in_flight = chunk
    await asyncio.gather(*in_flight)


async def _concurrent(store: EventStore, events: int) -> None:
    async def appender(task: int, count: int) -> None:
        for counter in range(count):
            await store.append(_TYPE, _payload(task, counter), account=_ACCOUNT)

    share, extra = divmod(events, APPENDERS)
    await asyncio.gather(*(appender(task, share + (task < extra)) for task in range(APPENDERS)))


async def _measure(url: str, clock: Clock, events: int, scenario: Scenario) -> float:
    """Return events per second of one run of ``scenario`` on a fresh store at ``url``."""
    async with await open_event_store(url, clock) as store:
        started = clock.monotonic_ns()
        await scenario(store, events)
        elapsed_ns = clock.monotonic_ns() - started
        stored = await store.count()
        if stored < events:
            raise RuntimeError(f"only {stored} of {events} events were stored")
    if elapsed_ns <= 0:
        raise ValueError("the clock did not advance during the run; benchmark with a WallClock")
    return events * 1e9 / elapsed_ns


def _summary(events: int, rates: list[float]) -> dict[str, Any]:
    return {
        "events": events,
        "repeats": len(rates),
        "median_per_s": round(statistics.median(rates)),
        "min_per_s": round(min(rates)),
        "max_per_s": round(max(rates)),
    }


async def _sqlite_runs(path: Path, clock: Clock, events: int, scenario: Scenario) -> list[float]:
    rates = []
    for _ in range(REPEATS):
        _remove_sqlite(path)
        rates.append(await _measure(f"sqlite+aiosqlite:///{path}", clock, events, scenario))
    _remove_sqlite(path)
    return rates


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


async def _postgres_runs(url: str, clock: Clock, events: int) -> tuple[list[float], str]:
    """Run the 32-appender workload in throwaway schemas; return rates and the commit setting."""
    admin = create_async_engine(make_url(url).set(drivername="postgresql+asyncpg"))
    rates = []
    try:
        async with admin.connect() as conn:
            setting = (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar_one()
            fsync = (await conn.exec_driver_sql("SHOW fsync")).scalar_one()
        for repeat in range(REPEATS):
            schema = f"aiswarm_bench_{clock.now_ns()}_{repeat}"
            async with admin.begin() as conn:
                await conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            try:
                separator = "&" if "?" in url else "?"
                store_url = f"{url}{separator}search_path={schema}"
                rates.append(await _measure(store_url, clock, events, _concurrent))
            finally:
                async with admin.begin() as conn:
                    await conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.dispose()
    return rates, f"synchronous_commit={setting}, fsync={fsync}"


async def run_event_bench(
    *,
    sqlite_path: Path,
    pg_url: str | None,
    events: int,
    clock: Clock,
    sequential_events: int = 2_000,
) -> dict[str, Any]:
    """Run every scenario and return the report (plain JSON types).

    ``sqlite_path`` is a scratch file (deleted between runs); ``events`` sizes the batched
    scenarios (50,000 to 100,000 gives stable figures) and ``sequential_events`` the
    fsync-bound one. ``clock`` must be a wall clock: it times the runs.
    """
    if events < APPENDERS or sequential_events < 1:
        raise ValueError(
            f"events={events}, sequential_events={sequential_events}; "
            f"use at least {APPENDERS} and 1 (e.g. 100000 and 2000)"
        )
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    scenarios: dict[str, Any] = {
        "sqlite_sequential": _summary(
            sequential_events,
            await _sqlite_runs(sqlite_path, clock, sequential_events, _sequential),
        ),
        "sqlite_pipelined": _summary(
            events, await _sqlite_runs(sqlite_path, clock, events, _pipelined)
        ),
        "sqlite_32_appenders": _summary(
            events, await _sqlite_runs(sqlite_path, clock, events, _concurrent)
        ),
    }
    durability = {"sqlite": "WAL journal, synchronous=FULL (fsync at every commit)"}
    if pg_url is not None:
        rates, setting = await _postgres_runs(pg_url, clock, events)
        scenarios["postgres_32_appenders"] = _summary(events, rates)
        durability["postgres"] = setting
    return {
        "benchmark": "event store durable appends",
        "target_per_s": TARGET_PER_S,
        "scenarios": scenarios,
        "durability": durability,
        "machine": machine_info(),
    }
