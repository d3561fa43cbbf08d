"""Stopping the host while a step is under way: the step finishes, then the stop is recorded.

``runtime.stopped`` must be the session's last record. A stop that did not wait for the step
in progress would record it and close the store while that step still appends its checkpoint.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.runtime import StepReport
from aiswarm.store import open_event_store
from aiswarm.types import EventType
from kit.host import paper_config, start

pytestmark = pytest.mark.integration


async def test_stop_when_a_step_is_under_way_then_runtime_stopped_is_the_last_record(
    tmp_path: Path,
) -> None:
    # Arrange: a replay whose 20th step is held in the middle, before its checkpoint
    config = paper_config(tmp_path)
    host = await start(config)
    held = asyncio.Event()
    release = asyncio.Event()

    async def record(report: StepReport) -> None:
        if report.step == 20:
            held.set()
            await release.wait()
        await host.record_step(report)

    replay = asyncio.create_task(host.driver.run(record))
    await held.wait()

    # Act: stop from outside the replay; it may finish only after the held step
    stopping = asyncio.create_task(host.stop("operator stop"))
    # A stop that does not wait is done well within this; one that waits is never done here.
    done, _ = await asyncio.wait({stopping}, timeout=1.0)
    finished_while_held = bool(done)
    release.set()
    await stopping

    # Assert
    assert not finished_while_held
    assert replay.done()
    assert replay.exception() is None
    async with await open_event_store(config.store.url, SimulatedClock(from_ns(0))) as store:
        events = [event async for event in store.replay()]
    assert events[-1].type == EventType.RUNTIME_STOPPED
    checkpoints = [e for e in events if e.type == EventType.CYCLE_COMPLETED]
    assert checkpoints[-1].payload["step"] == 20
