"""Time, injected: the only module that reads the wall clock.

Backtest, paper, shadow and live differ in which clock is passed in. Every timestamp is a
timezone-aware UTC ``datetime``; ``now_ns`` gives the same instant as integer nanoseconds since
the Unix epoch (what the event store records). ``monotonic_ns`` is for measuring durations only.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = [
    "Clock",
    "CpuTimeClock",
    "ScaledClock",
    "SimulatedClock",
    "WallClock",
    "from_ns",
    "to_ns",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ns(moment: datetime) -> int:
    """Return ``moment`` as integer nanoseconds since the Unix epoch (UTC).

    Exact: ``datetime`` holds microseconds, so the result is a multiple of 1,000.
    """
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {moment.isoformat()} has no time zone; pass a UTC datetime")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def from_ns(ns: int) -> datetime:
    """Return the UTC ``datetime`` for integer nanoseconds since the epoch (floor to µs)."""
    return _EPOCH + timedelta(microseconds=ns // 1_000)


@runtime_checkable
class Clock(Protocol):
    """What every component uses for time. Nothing else reads the wall clock."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware UTC."""
        ...

    def now_ns(self) -> int:
        """Return the current instant as nanoseconds since the Unix epoch."""
        ...

    def monotonic_ns(self) -> int:
        """Return a monotonic counter in nanoseconds, for durations only."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class WallClock:
    """The real clock: system time for instants, the monotonic counter for durations."""

    def now(self) -> datetime:
        """Return the system time in UTC."""
        return datetime.now(UTC)

    def now_ns(self) -> int:
        """Return the system time as epoch nanoseconds."""
        return time.time_ns()

    def monotonic_ns(self) -> int:
        """Return the high-resolution monotonic counter."""
        return time.perf_counter_ns()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop."""
        await asyncio.sleep(seconds)


class CpuTimeClock(WallClock):
    """The real clock, but durations in this process's CPU time: benchmarks on a busy machine.

    Other processes sharing the cores stretch wall time but not (much) the CPU time this
    process itself is given, so ``aiswarm bench backtest --cpu-time`` compares runs with it.
    """

    def monotonic_ns(self) -> int:
        """Return the CPU time (user and system) this process has used, in nanoseconds."""
        return time.process_time_ns()


class SimulatedClock:
    """A clock that moves only when told to: backtests, replays and tests.

    ``sleep`` advances the clock instead of waiting, so a loop driven by this clock runs as fast
    as the work allows.
    """

    def __init__(self, start: datetime) -> None:
        self._ns = to_ns(start)

    def now(self) -> datetime:
        """Return the simulated instant."""
        return from_ns(self._ns)

    def now_ns(self) -> int:
        """Return the simulated instant as epoch nanoseconds."""
        return self._ns

    def monotonic_ns(self) -> int:
        """Return the simulated instant; it never goes backwards."""
        return self._ns

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (negative is refused)."""
        if seconds < 0:
            raise ValueError(f"a clock moves forward only; advance({seconds}) was asked")
        self._ns += round(seconds * 1_000_000_000)

    def set(self, moment: datetime) -> None:
        """Jump to ``moment``, which must not be earlier than now."""
        target = to_ns(moment)
        if target < self._ns:
            raise ValueError(f"a clock moves forward only; {moment.isoformat()} is in its past")
        self._ns = target

    def set_ns(self, ns: int) -> None:
        """Jump to ``ns`` epoch nanoseconds, which must not be earlier than now (hot loops)."""
        if ns < self._ns:
            raise ValueError(f"a clock moves forward only; {ns} ns is in its past ({self._ns})")
        self._ns = ns

    async def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` and yield to the event loop once."""
        self.advance(seconds)
        await asyncio.sleep(0)


class ScaledClock:
    """Wall time sped up by ``speed`` from a chosen start: accelerated paper replay.

    ``now()`` is ``start + speed x (wall time elapsed)``, and ``sleep(s)`` waits ``s / speed``
    wall seconds, so a 60-second cycle at speed 60 comes round once a wall second.
    """

    def __init__(self, start: datetime, speed: float, wall: WallClock | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed was {speed}; it must be above 0 (1 is real time)")
        self._wall = wall or WallClock()
        self._start_ns = to_ns(start)
        self._origin_ns = self._wall.monotonic_ns()
        self._speed = speed

    def now(self) -> datetime:
        """Return the accelerated instant."""
        return from_ns(self.now_ns())

    def now_ns(self) -> int:
        """Return the accelerated instant as epoch nanoseconds."""
        elapsed = self._wall.monotonic_ns() - self._origin_ns
        return self._start_ns + round(elapsed * self._speed)

    def monotonic_ns(self) -> int:
        """Return the accelerated instant; it never goes backwards."""
        return self.now_ns()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of accelerated time."""
        await asyncio.sleep(seconds / self._speed)
