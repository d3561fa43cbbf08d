"""`aiswarm bench killswitch`: time a kill-switch trip over HTTP while the API is under load.

A paper host (the shipped config and data, a fresh SQLite store in a temporary folder) runs its
engine and serves its API on 127.0.0.1, as `aiswarm run` does. A load generator in a process of
its own sends ``--rate`` GET /status requests per second (``bench.http_load``, bounded by
count and time). Meanwhile, from a thread of this process, each trial times one
POST /kill-switch/trip from sending the request to receiving the answer: the route answers only
after the HALTED change is durably appended to the event store, so the figure bounds "request
to HALTED recorded" from above. Each trial is then undone (reset by an operator, enable), off
the clock. The same client times bare GET /health requests beside the trips: the same-run
baseline of an HTTP round trip on this machine under this load. At the end the store is read
back to check every timed trip was recorded as HALTED.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import socket
import tempfile
import time
from contextlib import aclosing
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr

from aiswarm.api import create_app
from aiswarm.bench.http_load import generate_load, percentiles_ms
from aiswarm.bench.machine import machine_info
from aiswarm.clock import Clock
from aiswarm.config import AppConfig, load_config
from aiswarm.runtime import Host, TradingService
from aiswarm.types import EventType

__all__ = ["TARGET_P99_MS", "bench_killswitch"]

TARGET_P99_MS = 20.0
_KEY = "bench-api-key-" + "k" * 32
_SECRET = "bench-approval-secret-" + "s" * 32
_HEALTH_PER_TRIAL = 3
_WARMUP_S = 1.0
_UNTIMED_TRIALS = 3  # the first requests import and warm code paths: not what is measured
_GAP_S = 0.02  # between trials, so the trips spread over the load instead of a burst


def _bench_config(folder: Path, config_path: Path | None) -> AppConfig:
    """Return the shipped config at live pace, its store in ``folder``, an operator for resets."""
    config = load_config(config_path)
    return config.model_copy(
        update={
            "state_dir": folder / "state",
            "store": config.store.model_copy(update={"url": f"sqlite+aiosqlite:///{folder}/b.db"}),
            "trading": config.trading.model_copy(update={"enable_at_start": True}),
            # One principal sends the load and the trips: its rate limit must not be the test.
            "api": config.api.model_copy(update={"rate_limit": "1000000/minute"}),
            # Live pace: one cycle per loop.interval_s of wall time, as in live trading (a
            # replay at speed 300 would measure how a catch-up starves the event loop instead).
            "loop": config.loop.model_copy(update={"speed": 1.0}),
            "api_key": SecretStr(_KEY),
            "approval_secret": SecretStr(_SECRET),
        }
    )


def _trials(base: str, trials: int, timer: Clock) -> tuple[list[int], list[int], list[str]]:
    """Time ``trials`` trips and the health baseline beside them (blocking; in a thread)."""
    trips: list[int] = []
    health: list[int] = []
    problems: list[str] = []
    headers = {"Authorization": f"Bearer {_KEY}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        for number in range(-_UNTIMED_TRIALS, trials):
            timed = number >= 0
            for _ in range(_HEALTH_PER_TRIAL):
                started = timer.monotonic_ns()
                client.get("/health")
                if timed:
                    health.append(timer.monotonic_ns() - started)
            started = timer.monotonic_ns()
            answer = client.post("/kill-switch/trip", json={"reason": f"bench trial {number}"})
            if timed:
                trips.append(timer.monotonic_ns() - started)
            if answer.status_code != 200 or answer.json().get("to_state") != "halted":
                problems.append(f"trial {number}: {answer.status_code} {answer.text[:200]}")
            reset = {"reason": "bench undo"}
            client.post("/kill-switch/reset", json=reset)
            client.post("/kill-switch/enable", json={"reason": "bench undo"})
            time.sleep(_GAP_S)
    return trips, health, problems


def _figures(results: Any, wait_s: float) -> dict[str, Any]:
    """Return the load generator's figures, or say that none came (blocking; in a thread)."""
    try:
        figures: dict[str, Any] = results.get(True, wait_s)
    except queue.Empty:
        return {"error": f"the load generator sent no figures within {wait_s:g}s"}
    return figures


async def bench_killswitch(
    *, trials: int, rate_per_s: int, max_s: float, timer: Clock, config_path: Path | None = None
) -> dict[str, Any]:
    """Run the benchmark (see the module docstring) and return its figures."""
    with tempfile.TemporaryDirectory(prefix="aiswarm-bench-", dir=Path.cwd()) as folder:
        config = _bench_config(Path(folder), config_path)
        host = await Host.start(config, _SECRET.encode(), bootstrap_key=_KEY)  # an admin
        try:
            return await _measure(host, trials, rate_per_s, max_s, timer)
        finally:
            await host.stop("bench over")


async def _measure(
    host: Host, trials: int, rate_per_s: int, max_s: float, timer: Clock
) -> dict[str, Any]:
    await host.begin("bench killswitch")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    app = create_app(TradingService(host))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    stepping = asyncio.create_task(host.driver.run(host.record_step))
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    load_started = spawn.Event()
    results = spawn.Queue()
    load = spawn.Process(
        target=generate_load,
        args=(
            f"{base}/status",
            {"Authorization": f"Bearer {_KEY}"},
            rate_per_s,
            int(rate_per_s * max_s),
            max_s,
            stop,
            load_started,
            results,
        ),
        daemon=True,
    )
    try:
        # The socket already listens: requests sent before the server runs wait in its backlog.
        load.start()
        if not await asyncio.to_thread(load_started.wait, 60):
            raise RuntimeError("the load generator did not start within 60 s")
        await asyncio.sleep(_WARMUP_S)
        trips, health, problems = await asyncio.to_thread(_trials, base, trials, timer)
        stop.set()
        load_figures = await asyncio.to_thread(_figures, results, max_s + 30)
    finally:
        stop.set()
        await asyncio.to_thread(load.join, 30)
        server.should_exit = True
        host.driver.stop()
        await asyncio.gather(serving, stepping)
        listener.close()
    recorded = await _recorded_trips(host)
    trip = percentiles_ms(trips)
    return {
        "benchmark": "killswitch",
        "what": "POST /kill-switch/trip, request sent to answer received (HALTED recorded first)",
        "trials": trials,
        "trip": trip,
        "baseline_health": percentiles_ms(health),
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": trip["p99_ms"] is not None and trip["p99_ms"] <= TARGET_P99_MS,
        "load": {"route": "GET /status", "requested_rate_per_s": rate_per_s, **load_figures},
        "recorded_halted_trips": recorded,
        "untimed_warmup_trips": _UNTIMED_TRIALS,
        "problems": problems,
        "engine_steps": host.engine.steps,
        "machine": {**machine_info(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }


async def _recorded_trips(host: Host) -> int:
    """Count manual trips to HALTED in the store (each timed trial must be one)."""
    count = 0
    replay = host.store.replay(types=[EventType.KILL_SWITCH_CHANGED])
    async with aclosing(replay) as events:
        async for event in events:
            payload = event.payload
            if payload.get("trigger") == "trip" and payload.get("to_state") == "halted":
                count += 1
    return count
