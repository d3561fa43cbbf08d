"""Alert state is crash-only: what fired comes back from the log, and clears after a restart.

No Alertmanager is needed to see it: the notifier points at a closed loopback port (posts fail,
logged, and never hold up a step), and the records in the store say what fired and cleared.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from aiswarm.risk import KillTrigger
from aiswarm.runtime import TradingService
from kit.host import make_keys, paper_config, run_steps, start

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_alert_when_firing_at_stop_then_restored_at_start_and_resolved_once_cleared(
    tmp_path: Path,
) -> None:
    # Arrange
    url = f"http://127.0.0.1:{_closed_port()}"
    config = paper_config(tmp_path, alerts={"alertmanager_url": url, "attempts": 1})
    host = await start(config)
    await TradingService(host).command_kill_switch(KillTrigger.TRIP, "before the crash", "alice")
    await run_steps(host, 1)
    firing_before = {alert["alertname"] for alert in TradingService(host).alerts()}
    await host.stop("restart")

    # Act
    again = await start(config)
    restored = {alert["alertname"] for alert in TradingService(again).alerts()}
    service = TradingService(again)
    await make_keys(again, alice="admin")
    await service.command_kill_switch(KillTrigger.RESET, "checked", "alice")
    await service.command_kill_switch(KillTrigger.ENABLE, "back", "alice")
    await run_steps(again, 1)
    after = service.alerts()
    changes = await service.events(types=["alert.changed"])
    await again.stop("test over")

    # Assert
    assert firing_before == {"KillSwitchTripped", "TradingNotActive"}
    assert restored == firing_before
    assert after == []
    assert sorted((e["payload"]["alertname"], e["payload"]["status"]) for e in changes) == [
        ("KillSwitchTripped", "firing"),
        ("KillSwitchTripped", "resolved"),
        ("TradingNotActive", "firing"),
        ("TradingNotActive", "resolved"),
    ]
