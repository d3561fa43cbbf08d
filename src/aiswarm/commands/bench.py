"""`aiswarm bench …`: run a benchmark workload and return its figures."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aiswarm.bench.events import run_event_bench
from aiswarm.clock import WallClock

__all__ = ["bench_event_store"]


async def bench_event_store(events: int, pg_url: str | None) -> dict[str, Any]:
    """Measure the event store on a fresh SQLite file (and PostgreSQL when a URL is given)."""
    with tempfile.TemporaryDirectory(prefix="aiswarm-bench-", dir=Path.cwd()) as folder:
        return await run_event_bench(
            sqlite_path=Path(folder) / "bench.db", pg_url=pg_url, events=events, clock=WallClock()
        )
