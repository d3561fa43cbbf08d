"""Crash-only with funding: a step re-run after a crash never settles funding twice.

The run dies right after a step whose funding settlement was recorded, before the step's
``cycle.completed``; the restart steps that bar again. The settlement is in the log already,
so the venue must not be asked to settle it again: every settlement is recorded once, and the
books end as an uninterrupted run's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.runtime import Host, StepReport
from kit.host import run_steps, start
from kit.perpetual import perp_config

pytestmark = pytest.mark.integration

ALL_STEPS = 10_000


class Crash(BaseException):
    """Kills the run where it stands: no handler in the engine catches a BaseException."""


async def _settlements(host: Host) -> list[tuple[int, str]]:
    return [
        (event.payload["ts_ns"], event.payload["amount"])
        async for event in host.store.replay(types=["funding"])
    ]


async def test_restart_when_crashed_after_a_settlement_then_it_is_recorded_once(
    tmp_path: Path,
) -> None:
    # Arrange: an uninterrupted run of the same data
    reference = await start(perp_config(tmp_path / "uninterrupted"))
    await run_steps(reference, ALL_STEPS)
    expected = await _settlements(reference)
    expected_cash = reference.engine.spine.portfolio.cash
    await reference.stop("test over")
    assert expected, "the contrarian must hold the perpetual through a settlement"

    # Act: die after the first settled step, before it is checkpointed, then restart
    config = perp_config(tmp_path / "crashed")
    crashed = await start(config)

    async def die_after_a_settlement(report: StepReport) -> None:
        if await _settlements(crashed):
            raise Crash
        await crashed.record_step(report)

    with pytest.raises(Crash):
        await crashed.driver.run(die_after_a_settlement)
    await crashed.store.close()  # dead: no stop record, no cycle.completed for that step
    restarted = await start(config)
    await run_steps(restarted, ALL_STEPS)
    settled = await _settlements(restarted)
    cash = restarted.engine.spine.portfolio.cash
    await restarted.stop("test over")

    # Assert
    assert restarted.driver.finished
    assert settled == expected
    assert cash == expected_cash
