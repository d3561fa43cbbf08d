"""Time never goes back within any stream of the log, the host's own stream included.

Defect guarded against: the host's stream (``runtime.started`` / ``runtime.stopped``) was
stamped by the pacing clock of whichever account was started, and opening a second account
restarts that clock at the first bar, so the host stream's time went backwards. Read back after
both runs, every stream's stamps never decrease in log order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.runtime.host import HOST_STREAM
from aiswarm.store import StoredEvent, open_event_store
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

STEPS = 300


def _stamps_going_back(events: list[StoredEvent]) -> list[tuple[str, str, int, int]]:
    """Return (stream, type, newest earlier stamp, stamp) for each record stamped too early."""
    newest: dict[str, int] = {}
    back: list[tuple[str, str, int, int]] = []
    for event in events:
        before = newest.get(event.account, 0)
        if event.ts_ns < before:
            back.append((event.account, event.type, before, event.ts_ns))
        newest[event.account] = max(before, event.ts_ns)
    return back


async def test_log_when_second_account_opened_after_first_ran_then_no_stream_goes_back(
    tmp_path: Path,
) -> None:
    # Arrange: one account trades a while and stops
    config = paper_config(tmp_path)
    first = await start(config)
    await run_steps(first, STEPS)
    await first.stop("test over")

    # Act: a second account opens in the same store; its clock starts at the first bar again
    second = await start(config, new_account=True)
    await second.stop("test over")
    async with await open_event_store(config.store.url, SimulatedClock(from_ns(0))) as store:
        events = [event async for event in store.replay()]

    # Assert
    assert first.engine.account != second.engine.account
    streams = {event.account for event in events}
    assert {HOST_STREAM, first.engine.account, second.engine.account} <= streams
    assert _stamps_going_back(events) == []
