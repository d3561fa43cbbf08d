"""Drive an engine on a live venue: one step per closed bar, on the clock.

The same engine as every other mode; only what is fed in differs. Each step waits until the
next bar of ``interval_s`` has closed on the clock, asks the venue what happened to our orders
(``LiveVenue.poll``, which fills the report buffer the OMS drains in the step), fetches every
routed symbol's bars that closed since the last step (``closed_bars``), and steps the engine
at that close with those bars. At start the agents are warmed on the bars that closed before
(``warmup``), so the first decision rests on the same history a running process would have.

A transient venue fault while fetching bars skips nothing: the bars are fetched again at the
next step (``after_ns`` only moves past bars that were stepped). The driver has the replay
driver's surface (``run``, ``stop``, ``wait_idle``, ``lag``, ``finished``), so ``aiswarm run``
and the host treat both alike.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiswarm.clock import Clock
from aiswarm.errors import TransientVenueError
from aiswarm.execution.live_venue import LiveVenue
from aiswarm.monitoring.logs import trace
from aiswarm.runtime.engine import StepReport, TradingEngine
from aiswarm.runtime.replay_driver import LagGauge, sleep_until
from aiswarm.types import Bar, Symbol

__all__ = ["LiveDriver"]

_log = logging.getLogger(__name__)
_NS = 1_000_000_000


class LiveDriver:
    """Step one engine on a live venue's closed bars; see the module docstring."""

    def __init__(
        self,
        engine: TradingEngine,
        venue: LiveVenue,
        symbols: Sequence[Symbol],
        interval_s: int,
        clock: Clock,
        after_ns: int,
        stopwatch: Clock | None = None,
    ) -> None:
        self.engine = engine
        self._venue = venue
        self._symbols = tuple(symbols)
        self._interval_ns = interval_s * _NS
        self._interval_s = interval_s
        self._clock = clock
        self._after_ns = after_ns  # the newest close of a stepped (or warmed) bar
        self._stepped_ns = after_ns  # the newest step's time
        self.lag = LagGauge()
        # Step durations on ``stopwatch`` (wall time): the cycle-duration metric's figure.
        self._stopwatch = stopwatch if stopwatch is not None else clock
        self.last_step_ns = 0
        self.last_progress_ns = clock.now_ns()  # when a step last completed (readiness)
        self.finished = False  # a live feed never runs out
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def venue(self) -> LiveVenue:
        """Return the venue the driver polls and reads bars from (the host closes it)."""
        return self._venue

    def stop(self) -> None:
        """Finish the step in progress, then return from ``run``."""
        self._stopping.set()

    async def wait_idle(self) -> None:
        """Return once no ``run`` is in progress."""
        await self._idle.wait()

    @property
    def running(self) -> bool:
        """Return True while a ``run`` is in progress (stepping, or waiting for the next close)."""
        return not self._idle.is_set()

    @property
    def stopping(self) -> bool:
        """Return True once a stop was asked for."""
        return self._stopping.is_set()

    async def warmup(self, bars: int) -> None:
        """Show the agents the ``bars`` closed bars before now; place nothing.

        Bars that closed while the process was down are shown, not stepped: a decision on
        a bar that closed long ago would trade on a price that is gone.
        """
        now_ns = self._clock.now_ns()
        events = await self._closed_since(
            now_ns - now_ns % self._interval_ns - bars * self._interval_ns
        )
        self.engine.warm(events)
        newest = max(
            (bar.close_ts_ns for bar in events), default=now_ns - now_ns % self._interval_ns
        )
        self._after_ns = max(self._after_ns, newest)
        self._stepped_ns = max(self._stepped_ns, self._after_ns)

    async def _closed_since(self, after_close_ns: int) -> list[Bar]:
        """Return every routed symbol's bars closed after ``after_close_ns``, by close time."""
        bars: list[Bar] = []
        for symbol in self._symbols:
            opened_after = after_close_ns - self._interval_ns
            bars += await self._venue.closed_bars(symbol, self._interval_s, opened_after)
        return sorted(bars, key=lambda bar: bar.close_ts_ns)

    async def run(
        self, on_step: Callable[[StepReport], Awaitable[None]], max_steps: int | None = None
    ) -> None:
        """Run steps until ``stop()`` or ``max_steps`` steps in this run."""
        self._idle.clear()
        self.last_progress_ns = self._clock.now_ns()
        try:
            taken = 0
            while not self._stopping.is_set() and (max_steps is None or taken < max_steps):
                due_ns = (self._stepped_ns // self._interval_ns + 1) * self._interval_ns
                await sleep_until(self._clock, due_ns, self._stopping)
                if self._stopping.is_set():
                    return
                report = await self._step(due_ns)
                if report is not None:
                    taken += 1
                    await on_step(report)
        finally:
            self._idle.set()

    async def _step(self, due_ns: int) -> StepReport | None:
        """Poll the venue, fetch the bars closed since the last ones stepped, and step.

        The step is at the newest close, or on time without bars when the venue has not
        published the bar yet (reports, deadlines and the kill switch still run); that bar is
        stepped at the next step, since only stepped bars move ``after_ns``.
        """
        try:
            await self._venue.poll()
            bars = await self._closed_since(self._after_ns)
        except TransientVenueError as fault:
            _log.warning("live step deferred: venue fault: %s", fault)
            await self._clock.sleep(self._interval_s / 10)
            return None
        step_ns = max([due_ns] + [bar.close_ts_ns for bar in bars])
        self.lag.observe(self._clock.now_ns() - step_ns)
        with trace(f"cycle:{self.engine.account}:{step_ns}"):  # one trace id per cycle
            started = self._stopwatch.monotonic_ns()
            report = await self.engine.step(step_ns, bars)
            self.last_step_ns = self._stopwatch.monotonic_ns() - started
        self.last_progress_ns = self._clock.now_ns()  # a step deferred by a venue fault is not
        self._stepped_ns = step_ns
        if bars:
            self._after_ns = max(bar.close_ts_ns for bar in bars)
        return report
