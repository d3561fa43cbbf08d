"""An operator's pause survives a clean stop and restart.

Defect guarded against: an account paused by an operator and then stopped cleanly (SIGTERM)
came back RUNNING, so a restart silently lifted the pause. After the restart the session is
paused again, the log says so, and the restarted host places no order until someone resumes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.runtime import TradingService
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

STEPS_BEFORE_PAUSE = 50
STEPS_AFTER_RESTART = 300


async def test_restart_when_stopped_cleanly_while_paused_then_still_paused(
    tmp_path: Path,
) -> None:
    # Arrange: trade a while, pause, stop cleanly
    config = paper_config(tmp_path)
    host = await start(config)
    await run_steps(host, STEPS_BEFORE_PAUSE)
    await TradingService(host).pause("operator: investigate", "alice")
    await host.stop("signal SIGTERM")

    # Act: what `aiswarm run` does (Host.start, then begin), then keep stepping
    restarted = await start(config)
    session_at_restart = restarted.engine.session.value
    orders_before = restarted.engine.orders
    await run_steps(restarted, STEPS_AFTER_RESTART)
    orders_placed = restarted.engine.orders - orders_before
    changes = [
        (event.payload["from"], event.payload["to"])
        async for event in restarted.store.replay(types=["session.changed"])
    ]
    await restarted.stop("test over")

    # Assert
    assert session_at_restart == "paused"
    assert changes[-1] == ("stopped", "paused")
    assert orders_placed == 0
