"""The trading loop: one coordinator cycle every `interval_s` of clock time, never overlapping.

A cycle that takes longer than the interval is recorded as overrun and the next one starts at
once (cycles are delayed, never run concurrently or skipped silently). The loop ends when asked
to stop, after ``max_cycles``, or when a cycle reports its data is exhausted (a finished replay).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from aiswarm.clock import Clock

__all__ = ["CycleCounts", "CycleReport", "CycleWork", "TradingLoop"]


@dataclass(frozen=True, slots=True)
class CycleCounts:
    """What one cycle's work did, for the record and the status line."""

    agents: int
    signals: int
    orders: int
    finished: bool = False
    nav: Decimal | None = None
    pnl: Decimal | None = None
    trading_state: str = ""


@dataclass(frozen=True, slots=True)
class CycleReport:
    """One cycle: its number, clock start and duration (ns), whether it overran, its counts."""

    cycle: int
    started_ns: int
    duration_ns: int
    overran: bool
    counts: CycleCounts


CycleWork = Callable[[int], Awaitable[CycleCounts]]
"""One cycle's work: given the cycle number, return what it did."""


class TradingLoop:
    """Run ``work`` once per interval until stopped; a slow cycle delays, never overlaps."""

    def __init__(self, clock: Clock, interval_s: float, work: CycleWork) -> None:
        self._clock = clock
        self._interval_s = interval_s
        self._work = work
        self._stopping = asyncio.Event()
        self.cycles_run = 0
        self.cycles_overrun = 0
        self.finished = False

    def stop(self) -> None:
        """Ask the loop to finish the cycle in progress and return."""
        self._stopping.set()

    async def run(
        self,
        on_cycle: Callable[[CycleReport], Awaitable[None]],
        max_cycles: int | None = None,
    ) -> None:
        """Run cycles until `stop()` or ``max_cycles``; report each through ``on_cycle``."""
        interval_ns = round(self._interval_s * 1_000_000_000)
        while not self._stopping.is_set():
            started = self._clock.now_ns()
            counts = await self._work(self.cycles_run + 1)
            duration = self._clock.now_ns() - started
            overran = duration > interval_ns
            self.cycles_run += 1
            self.cycles_overrun += int(overran)
            await on_cycle(CycleReport(self.cycles_run, started, duration, overran, counts))
            if counts.finished:
                self.finished = True
                return
            if max_cycles is not None and self.cycles_run >= max_cycles:
                return
            remaining_s = max(0, interval_ns - duration) / 1_000_000_000
            await self._wait_or_stop(remaining_s)

    async def _wait_or_stop(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
            await asyncio.gather(sleeper, stopper, return_exceptions=True)
