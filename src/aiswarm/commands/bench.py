"""`aiswarm bench …`: run a benchmark workload and return its figures."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aiswarm.bench.events import run_event_bench
from aiswarm.clock import WallClock
from aiswarm.errors import ConfigError

__all__ = ["MAX_SYMBOLS", "bench_event_store", "parse_symbol_counts"]

MAX_SYMBOLS = 10_000
"""The most symbols ``bench cycle`` takes: 10,000 already needs minutes and gigabytes."""


async def bench_event_store(events: int, pg_url: str | None) -> dict[str, Any]:
    """Measure the event store on a fresh SQLite file (and PostgreSQL when a URL is given)."""
    with tempfile.TemporaryDirectory(prefix="aiswarm-bench-", dir=Path.cwd()) as folder:
        return await run_event_bench(
            sqlite_path=Path(folder) / "bench.db", pg_url=pg_url, events=events, clock=WallClock()
        )


def parse_symbol_counts(text: str) -> tuple[int, ...]:
    """Return the symbol counts ``--symbols`` names: one number, or several separated by commas.

    Raises ``ConfigError`` (exit 2) naming the option, the value and the fix.
    """
    parts = [part.strip() for part in text.split(",")]
    counts: list[int] = []
    for part in parts:
        if not part.isdecimal() or not 1 <= int(part) <= MAX_SYMBOLS:
            raise ConfigError(
                f"--symbols was {text!r}; expected whole numbers from 1 to {MAX_SYMBOLS}, "
                "one or several separated by commas, e.g. --symbols 100 or --symbols 100,1000"
            )
        counts.append(int(part))
    return tuple(counts)
