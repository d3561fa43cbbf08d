"""The notifier never blocks its caller, and gives up on an unreachable Alertmanager, logged."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.monitoring import Alert, AlertNotifier

pytestmark = pytest.mark.integration

_TRIPPED = Alert("KillSwitchTripped", "critical", {"account": "a"}, "tripped", "halted")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


async def test_send_when_alertmanager_unreachable_then_returns_at_once_and_gives_up_logged() -> (
    None
):
    # Arrange
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    url = f"http://127.0.0.1:{_closed_port()}"
    notifier = AlertNotifier(url, clock, attempts=2, timeout_s=1)
    notifier.start()

    # Act
    notifier.send(notifier.plan([_TRIPPED]))
    queued = notifier.failed + notifier.posted
    await notifier.close(timeout_s=30)

    # Assert
    assert queued == 0, "send only queues: nothing was tried before it returned"
    assert notifier.failed == 1
    assert notifier.posted == 0
