"""Send a steady stream of GET requests to one URL from a process of its own: the load generator.

``generate_load`` runs in a child process (``multiprocessing`` with ``spawn``), so its work
does not take the measured server's interpreter lock. It sends ``rate_per_s`` requests per
second on a fixed schedule (request ``i`` is due ``i / rate_per_s`` seconds after the start, so
a slow answer does not slow the schedule; the achieved rate is requests sent over the sending
time), stops after ``max_requests`` requests, ``max_s``
seconds or a stop signal, whichever comes first, and puts its figures on ``results``: requests
sent, answers by status, transport errors, the achieved rate and the p50/p99 of its own
request latencies (ms). Bounded in count and time by construction: answers still owed when it
stops get ``_GRACE_S`` seconds and are then given up (``unanswered``).
"""

from __future__ import annotations

import asyncio
import statistics
from multiprocessing.synchronize import Event as StopSignal  # also the started signal
from typing import Any, Protocol

import httpx

from aiswarm.clock import WallClock

__all__ = ["generate_load", "percentiles_ms"]

_GRACE_S = 5.0


class ResultQueue(Protocol):
    """Where the child puts its figures (a ``multiprocessing`` queue)."""

    def put(self, item: dict[str, Any]) -> None:
        """Hand over the figures."""
        ...


def percentiles_ms(latencies_ns: list[int]) -> dict[str, float | None]:
    """Return p50 and p99 of ``latencies_ns`` in milliseconds (None when empty)."""
    if not latencies_ns:
        return {"p50_ms": None, "p99_ms": None}
    if len(latencies_ns) == 1:
        only = latencies_ns[0] / 1e6
        return {"p50_ms": only, "p99_ms": only}
    cuts = statistics.quantiles(latencies_ns, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49] / 1e6, 3), "p99_ms": round(cuts[98] / 1e6, 3)}


def generate_load(
    url: str,
    headers: dict[str, str],
    rate_per_s: int,
    max_requests: int,
    max_s: float,
    stop: StopSignal,
    started: StopSignal,
    results: ResultQueue,
) -> None:
    """Send the load (see the module docstring); the entry point of the child process.

    ``started`` is set once the first request is due, so the caller measures under load.
    """
    results.put(asyncio.run(_load(url, headers, rate_per_s, max_requests, max_s, stop, started)))


async def _load(
    url: str,
    headers: dict[str, str],
    rate_per_s: int,
    max_requests: int,
    max_s: float,
    stop: StopSignal,
    started: StopSignal,
) -> dict[str, Any]:
    clock = WallClock()
    latencies: list[int] = []
    statuses: dict[str, int] = {}
    errors = 0

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal errors
        started = clock.monotonic_ns()
        try:
            answer = await client.get(url)
        except httpx.HTTPError:
            errors += 1
            return
        latencies.append(clock.monotonic_ns() - started)
        statuses[str(answer.status_code)] = statuses.get(str(answer.status_code), 0) + 1

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as client:
        begun = clock.monotonic_ns()
        started.set()
        tasks: list[asyncio.Task[None]] = []
        for number in range(max_requests):
            due_ns = begun + number * 1_000_000_000 // rate_per_s
            now_ns = clock.monotonic_ns()
            if stop.is_set() or now_ns - begun > max_s * 1e9:
                break
            # Sleep even when late (0 s): the requests already sent must get to run.
            await asyncio.sleep(max(0, due_ns - now_ns) / 1e9)
            tasks.append(asyncio.create_task(one(client)))
        elapsed_s = (clock.monotonic_ns() - begun) / 1e9
        # Answers still owed get a short grace, then are given up: the run stays bounded.
        _, owed = await asyncio.wait(tasks, timeout=_GRACE_S) if tasks else (set(), set())
        for task in owed:
            task.cancel()
        await asyncio.gather(*owed, return_exceptions=True)
    return {
        "sent": len(tasks),
        "statuses": statuses,
        "transport_errors": errors,
        "unanswered": len(owed),
        "achieved_rate_per_s": round(len(tasks) / elapsed_s, 1) if elapsed_s > 0 else None,
        **percentiles_ms(latencies),
    }
