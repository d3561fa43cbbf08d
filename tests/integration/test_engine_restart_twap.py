"""A restart in the middle of a TWAP places the remaining slices exactly once.

The same replay runs twice: once without a break, once stopped dead (no stop record, nothing
cancelled) right after a TWAP's first slice, then recovered from the log by a new host. Both
runs must submit exactly the same orders, each once: the slices still owed at the crash resume
on their original schedule, and the agents, warmed on the bars already traded, decide the same.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aiswarm.config import AppConfig
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

STEPS = 240
_TWAP = {"allocator": {"slices": 4, "slice_interval_s": 180}}


def _config(tmp_path: Path) -> AppConfig:
    return paper_config(tmp_path, trading=_TWAP, loop={"cancel_orders_on_stop": False})


async def _submitted_and_first_twap_step(config: AppConfig) -> tuple[list[str], int]:
    host = await start(config)
    await run_steps(host, STEPS)
    submitted: list[str] = []
    crash_after = 0
    step = 0
    async for event in host.store.replay(account=host.engine.account):
        if event.type == "cycle.completed":
            step = event.payload["step"]
        elif event.type == "order.submitted":
            submitted.append(event.payload["spec"]["client_order_id"])
        elif (
            event.type == "allocation.slice"
            and event.payload.get("slice") == 1
            and event.payload.get("slices", 1) > 1
            and not crash_after
        ):
            crash_after = step + 1  # the step placing the first slice; the rest are owed
    await host.store.close()
    return submitted, crash_after


async def test_restart_when_mid_twap_then_remaining_slices_placed_exactly_once(
    tmp_path: Path,
) -> None:
    # Arrange: where an uninterrupted run starts a TWAP, and what it submits
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    expected, crash_after = await _submitted_and_first_twap_step(_config(tmp_path / "a"))
    assert crash_after, "the replay must start a TWAP"

    # Act: the same replay, killed right after the first slice, then recovered
    config = _config(tmp_path / "b")
    first = await start(config)
    await run_steps(first, crash_after)
    await first.store.close()  # dead: no stop record, nothing cancelled
    second = await start(config)
    resumed_at = second.engine.steps
    await run_steps(second, STEPS - crash_after)
    submitted = [
        event.payload["spec"]["client_order_id"]
        async for event in second.store.replay(types=["order.submitted"])
    ]
    await second.stop("test over")

    # Assert
    assert resumed_at == crash_after
    assert max(Counter(submitted).values()) == 1
    assert submitted == expected
