"""The trading loop on a simulated clock: cadence, overruns, finishing, stopping."""

from __future__ import annotations

import itertools

from aiswarm.clock import SimulatedClock
from aiswarm.runtime import CycleCounts, CycleReport, TradingLoop
from kit.builders import T0

MINUTE_NS = 60 * 1_000_000_000


async def test_run_when_cycles_are_quick_then_one_every_interval() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    starts: list[int] = []

    async def work(number: int) -> CycleCounts:
        starts.append(clock.now_ns())
        return CycleCounts(1, 0, 0)

    async def report(_: CycleReport) -> None:
        return None

    loop = TradingLoop(clock, 60, work)

    # Act
    await loop.run(report, max_cycles=4)

    # Assert
    assert [b - a for a, b in itertools.pairwise(starts)] == [MINUTE_NS] * 3


async def test_run_when_cycle_overruns_then_recorded_and_next_starts_at_once() -> None:
    # Arrange: the second cycle takes 90 s of a 60 s interval
    clock = SimulatedClock(T0)
    starts: list[int] = []
    reports: list[CycleReport] = []

    async def work(number: int) -> CycleCounts:
        starts.append(clock.now_ns())
        if number == 2:
            clock.advance(90)
        return CycleCounts(1, 0, 0)

    async def report(cycle: CycleReport) -> None:
        reports.append(cycle)

    loop = TradingLoop(clock, 60, work)

    # Act
    await loop.run(report, max_cycles=3)

    # Assert
    assert [r.overran for r in reports] == [False, True, False]
    assert loop.cycles_overrun == 1
    assert starts[2] - starts[1] == 90 * 1_000_000_000  # delayed, never overlapping


async def test_run_when_work_reports_finished_then_loop_ends() -> None:
    # Arrange
    clock = SimulatedClock(T0)

    async def work(number: int) -> CycleCounts:
        return CycleCounts(1, 0, 0, finished=number == 5)

    async def report(_: CycleReport) -> None:
        return None

    loop = TradingLoop(clock, 60, work)

    # Act
    await loop.run(report)

    # Assert
    assert loop.cycles_run == 5
    assert loop.finished


async def test_run_when_stopped_then_current_cycle_ends_and_loop_returns() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    loop: TradingLoop

    async def work(number: int) -> CycleCounts:
        if number == 2:
            loop.stop()
        return CycleCounts(1, 0, 0)

    async def report(_: CycleReport) -> None:
        return None

    loop = TradingLoop(clock, 60, work)

    # Act
    await loop.run(report)

    # Assert
    assert loop.cycles_run == 2
    assert not loop.finished
