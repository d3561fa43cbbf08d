"""Drive an engine over replayed files on a clock: paper and shadow mode.

Bars of every configured feed are merged in close-time order and grouped by close: all bars
that close at the same instant are one step, at that instant. Before each step the driver waits
until the pacing clock (a ``ScaledClock`` running ``loop.speed`` times the wall clock) reaches
the close. When the engine falls behind (a slow step on a busy machine) nothing is dropped or
merged: the next due step runs at once, the step counts as lagged, and the lag is reported
(``lagged_steps``, ``lag_s``) in the cycle record and the status. A step's bars are exactly the
ones that closed at its time, so a paper replay takes the same steps as a backtest of the same
files, however fast the machine is.

The replay pulls (``Feed.history``) rather than subscribing: a historical feed holds every
record already, and pulling lets the driver group simultaneous bars deterministically and resume
at the bar after the last one processed (``after_ns``).
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiswarm.clock import Clock
from aiswarm.market import Feed
from aiswarm.runtime.engine import StepReport, TradingEngine
from aiswarm.types import Bar

__all__ = ["LagGauge", "ReplayDriver", "replay_groups"]

_NS = 1_000_000_000
_END = 2**63 - 1


@dataclass
class LagGauge:
    """How far behind the clock the engine runs: a counter and the latest lag (metric-ready)."""

    lagged_steps: int = 0
    lag_ns: int = 0
    max_lag_ns: int = 0

    def observe(self, lag_ns: int) -> None:
        """Record the lag at which a step started (0 when on time)."""
        self.lag_ns = max(0, lag_ns)
        if lag_ns > 0:
            self.lagged_steps += 1
            self.max_lag_ns = max(self.max_lag_ns, lag_ns)

    @property
    def lag_s(self) -> float:
        """Return the latest lag in clock seconds."""
        return self.lag_ns / _NS


async def _bars_after(feed: Feed, after_ns: int) -> AsyncIterator[Bar]:
    """Yield the feed's bars that close after ``after_ns``, in time order."""
    async for batch in feed.history(0, _END, 1_000):
        for record in batch:
            if isinstance(record, Bar) and record.close_ts_ns > after_ns:
                yield record


async def replay_groups(
    feeds: Sequence[Feed], after_ns: int
) -> AsyncIterator[tuple[int, list[Bar]]]:
    """Yield (close_ns, bars closing then) over every feed, in close order, after ``after_ns``.

    Within a group, bars are in feed order, so the same files always give the same steps.
    """
    streams = [_bars_after(feed, after_ns) for feed in feeds]
    heads: list[tuple[int, int, Bar]] = []
    for position, stream in enumerate(streams):
        first = await anext(stream, None)
        if first is not None:
            heapq.heappush(heads, (first.close_ts_ns, position, first))
    while heads:
        close_ns = heads[0][0]
        group: list[Bar] = []
        while heads and heads[0][0] == close_ns:
            _, position, bar = heapq.heappop(heads)
            group.append(bar)
            following = await anext(streams[position], None)
            if following is not None:
                heapq.heappush(heads, (following.close_ts_ns, position, following))
        yield close_ns, group


async def history_before(feeds: Sequence[Feed], through_ns: int) -> list[Bar]:
    """Return every bar closing at or before ``through_ns``, in close order (to warm agents)."""
    bars: list[Bar] = []
    async for close_ns, group in replay_groups(feeds, -1):
        if close_ns > through_ns:
            break
        bars.extend(group)
    return bars


class ReplayDriver:
    """Step one engine through replayed bars, paced by ``clock``; see the module docstring."""

    def __init__(
        self,
        engine: TradingEngine,
        feeds: Sequence[Feed],
        clock: Clock,
        after_ns: int,
    ) -> None:
        self.engine = engine
        self._feeds = tuple(feeds)
        self._clock = clock
        self._after_ns = after_ns
        self.lag = LagGauge()
        self.finished = False
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()  # set while no ``run`` is in progress
        self._idle.set()

    def stop(self) -> None:
        """Finish the step in progress, then return from ``run``."""
        self._stopping.set()

    async def wait_idle(self) -> None:
        """Return once no ``run`` is in progress (a step under way has finished)."""
        await self._idle.wait()

    @property
    def stopping(self) -> bool:
        """Return True once a stop was asked for."""
        return self._stopping.is_set()

    async def run(
        self,
        on_step: Callable[[StepReport], Awaitable[None]],
        max_steps: int | None = None,
    ) -> None:
        """Run steps until the data ends, ``stop()``, or ``max_steps`` steps in this run."""
        self._idle.clear()
        try:
            await self._run(on_step, max_steps)
        finally:
            self._idle.set()

    async def _run(
        self, on_step: Callable[[StepReport], Awaitable[None]], max_steps: int | None
    ) -> None:
        taken = 0
        async for close_ns, bars in replay_groups(self._feeds, self._after_ns):
            if self._stopping.is_set() or (max_steps is not None and taken >= max_steps):
                return
            await self._wait_until(close_ns)
            if self._stopping.is_set():
                return
            self.lag.observe(self._clock.now_ns() - close_ns)
            report = await self.engine.step(close_ns, bars)
            self._after_ns = close_ns
            taken += 1
            await on_step(report)
        self.finished = True

    async def _wait_until(self, due_ns: int) -> None:
        """Sleep on the clock until ``due_ns`` or a stop, whichever comes first."""
        wait_ns = due_ns - self._clock.now_ns()
        if wait_ns <= 0:
            await asyncio.sleep(0)  # let the API and signals in between catch-up steps
            return
        sleeper = asyncio.ensure_future(self._clock.sleep(wait_ns / _NS))
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
            await asyncio.gather(sleeper, stopper, return_exceptions=True)
