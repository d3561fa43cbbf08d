"""Pause stops orders at the OMS gate at once, even in a step already under way; NAV goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aiswarm.runtime import StepReport, TradingService
from kit.host import paper_config, start

pytestmark = pytest.mark.integration


async def test_pause_when_toggled_25_times_during_fast_replay_then_no_order_while_paused(
    tmp_path: Path,
) -> None:
    # Arrange: a replay running as a task, with operators pausing and resuming beside it
    config = paper_config(tmp_path)
    host = await start(config)
    service = TradingService(host)
    reports: list[StepReport] = []

    async def record(report: StepReport) -> None:
        await host.record_step(report)
        reports.append(report)

    replay = asyncio.create_task(host.driver.run(record, max_steps=700))

    # Act: 25 pauses, each held for a few steps, then resumed
    for _ in range(25):
        for _ in range(7):
            await asyncio.sleep(0)
        await service.pause("operator pause", "alice")
        for _ in range(5):
            await asyncio.sleep(0)
        await service.resume("operator resume", "alice")
    await replay
    account = host.engine.account
    events = [
        (event.type, event.payload)
        async for event in host.store.replay(account=account)
        if event.type in ("session.changed", "order.submitted", "order.refused")
    ]
    await host.stop("test over")

    # Assert: reading the log in order, no order is submitted while the session is paused
    paused = False
    pauses = submitted = 0
    for kind, payload in events:
        if kind == "session.changed":
            paused = payload["to"] == "paused"
            pauses += int(paused)
        elif kind == "order.submitted":
            assert not paused, f"order {payload['spec']['client_order_id']} sent while paused"
            submitted += 1
    assert pauses == 25
    assert submitted > 0
    assert all(report.nav is not None for report in reports), "NAV is never null"
    assert [report.step for report in reports] == list(range(1, len(reports) + 1))
