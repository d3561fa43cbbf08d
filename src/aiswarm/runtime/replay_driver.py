"""Drive an engine over replayed files on a clock: paper and shadow mode.

Bars of every configured feed are merged in close-time order and grouped by close: all bars
that close at the same instant are one step, at that instant. A funding rate joins the first
step at or after its settlement time, ahead of the step's bars that open after it settled
(``step_events``, the rule the backtest runner follows too); one after the last bar is not
replayed. Before each step the driver waits
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
from aiswarm.monitoring.logs import trace
from aiswarm.runtime.engine import StepReport, TradingEngine
from aiswarm.types import Bar, FundingRate

__all__ = [
    "LagGauge",
    "ReplayDriver",
    "ReplayEvent",
    "replay_groups",
    "sleep_until",
    "step_events",
]

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


ReplayEvent = Bar | FundingRate
"""What a replayed file feeds an engine: bars, and a perpetual's funding settlements."""


def step_events(bars: Sequence[Bar], funding: Sequence[FundingRate]) -> list[ReplayEvent]:
    """Return one step's events in the order they happened: by bar open and settlement time.

    A settlement at a bar's open comes first (it is owed on what was held until then), and
    events at the same instant keep their order (bars in feed order).
    """
    if not funding:
        return list(bars)
    timed: list[tuple[int, int, int, ReplayEvent]] = [
        (rate.ts_ns, 0, i, rate) for i, rate in enumerate(funding)
    ]
    timed += [(bar.ts_ns, 1, i, bar) for i, bar in enumerate(bars)]
    return [event for *_, event in sorted(timed, key=lambda item: item[:3])]


async def _after(feed: Feed, after_ns: int) -> AsyncIterator[ReplayEvent]:
    """Yield the feed's bars and funding rates known after ``after_ns``, in time order."""
    async for batch in feed.history(0, _END, 1_000):
        for record in batch:
            if isinstance(record, Bar):
                if record.close_ts_ns > after_ns:
                    yield record
            elif isinstance(record, FundingRate) and record.ts_ns > after_ns:
                yield record


async def replay_groups(
    feeds: Sequence[Feed], after_ns: int
) -> AsyncIterator[tuple[int, list[ReplayEvent]]]:
    """Yield (close_ns, events) over every feed, one group per bar close after ``after_ns``.

    A group holds the bars closing then, in feed order, and the funding rates settled since
    the previous group, placed by ``step_events``; so the same files always give the same
    steps. Funding rates settled after the last bar close are not yielded.
    """
    streams = [_after(feed, after_ns) for feed in feeds]
    heads: list[tuple[int, int, ReplayEvent]] = []

    async def push(position: int) -> None:
        following = await anext(streams[position], None)
        if following is not None:
            known = following.close_ts_ns if isinstance(following, Bar) else following.ts_ns
            heapq.heappush(heads, (known, position, following))

    for position in range(len(streams)):
        await push(position)
    funding: list[FundingRate] = []
    while heads:
        known_ns, position, event = heads[0]
        if isinstance(event, FundingRate):
            heapq.heappop(heads)
            funding.append(event)
            await push(position)
            continue
        bars: list[Bar] = []
        while heads and heads[0][0] == known_ns:
            _, position, event = heapq.heappop(heads)
            if isinstance(event, FundingRate):
                funding.append(event)
            else:
                bars.append(event)
            await push(position)
        yield known_ns, step_events(bars, funding)
        funding = []


async def sleep_until(clock: Clock, due_ns: int, stopping: asyncio.Event) -> None:
    """Sleep on ``clock`` until ``due_ns`` or until ``stopping`` is set, whichever is first."""
    wait_ns = due_ns - clock.now_ns()
    if wait_ns <= 0:
        await asyncio.sleep(0)  # let the API and signals in between catch-up steps
        return
    sleeper = asyncio.ensure_future(clock.sleep(wait_ns / _NS))
    stopper = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, stopper):
            task.cancel()
        await asyncio.gather(sleeper, stopper, return_exceptions=True)


async def history_before(feeds: Sequence[Feed], through_ns: int) -> list[ReplayEvent]:
    """Return every step's events up to the one at ``through_ns``, in order (to warm agents)."""
    events: list[ReplayEvent] = []
    async for close_ns, group in replay_groups(feeds, -1):
        if close_ns > through_ns:
            break
        events.extend(group)
    return events


class ReplayDriver:
    """Step one engine through replayed bars, paced by ``clock``; see the module docstring."""

    def __init__(
        self,
        engine: TradingEngine,
        feeds: Sequence[Feed],
        clock: Clock,
        after_ns: int,
        stopwatch: Clock | None = None,
    ) -> None:
        self.engine = engine
        # Step durations are measured on ``stopwatch`` (a wall clock; the pacing clock may be
        # simulated): ``last_step_ns`` is the latest one, for the cycle-duration metric.
        self._stopwatch = stopwatch if stopwatch is not None else clock
        self.last_step_ns = 0
        self._feeds = tuple(feeds)
        self._clock = clock
        self._after_ns = after_ns
        self.lag = LagGauge()
        self.finished = False
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()  # set while no ``run`` is in progress
        self._idle.set()
        # Clock time (ns) a run started or last finished a step: how readiness sees a stall.
        self.last_progress_ns = clock.now_ns()

    def stop(self) -> None:
        """Finish the step in progress, then return from ``run``."""
        self._stopping.set()

    async def wait_idle(self) -> None:
        """Return once no ``run`` is in progress (a step under way has finished)."""
        await self._idle.wait()

    @property
    def running(self) -> bool:
        """Return True while a ``run`` is in progress (stepping, or waiting for the next close)."""
        return not self._idle.is_set()

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
        self.last_progress_ns = self._clock.now_ns()
        try:
            await self._run(on_step, max_steps)
        finally:
            self._idle.set()

    async def _run(
        self, on_step: Callable[[StepReport], Awaitable[None]], max_steps: int | None
    ) -> None:
        taken = 0
        async for close_ns, events in replay_groups(self._feeds, self._after_ns):
            if self._stopping.is_set() or (max_steps is not None and taken >= max_steps):
                return
            await self._wait_until(close_ns)
            if self._stopping.is_set():
                return
            self.lag.observe(self._clock.now_ns() - close_ns)
            # One trace id per cycle: every line logged in the step and its checkpoint has it.
            with trace(f"cycle:{self.engine.account}:{close_ns}"):
                started = self._stopwatch.monotonic_ns()
                report = await self.engine.step(close_ns, events)
                self.last_step_ns = self._stopwatch.monotonic_ns() - started
                self._after_ns = close_ns
                self.last_progress_ns = self._clock.now_ns()
                taken += 1
                await on_step(report)
        self.finished = True

    async def _wait_until(self, due_ns: int) -> None:
        await sleep_until(self._clock, due_ns, self._stopping)
