"""The notifier plans which alerts started, cleared or are due again. No network."""

from __future__ import annotations

from datetime import UTC, datetime

from aiswarm.clock import SimulatedClock
from aiswarm.monitoring import Alert, AlertNotifier

_TRIPPED = Alert("KillSwitchTripped", "critical", {"account": "a"}, "tripped", "halted")
_DRIFT = Alert("ReconciliationDrift", "critical", {"account": "a"}, "drift", "see report")


def _notifier(resend_s: float = 60.0) -> tuple[AlertNotifier, SimulatedClock]:
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    return AlertNotifier(
        "http://127.0.0.1:9", clock, resend_s=resend_s, attempts=2, timeout_s=1
    ), clock


def test_plan_when_alert_starts_holds_and_clears_then_started_resent_cleared() -> None:
    # Arrange
    notifier, clock = _notifier(resend_s=60)

    # Act
    first = notifier.plan([_TRIPPED])
    notifier.send(first)
    held = notifier.plan([_TRIPPED])
    clock.advance(61)
    due = notifier.plan([_TRIPPED])
    cleared = notifier.plan([])

    # Assert
    assert first.started == (_TRIPPED,)
    assert held.started == ()
    assert held.resend == ()
    assert due.resend == (_TRIPPED,)
    assert cleared.cleared == (_TRIPPED,)
    assert notifier.firing == []


def test_restore_when_condition_cleared_while_down_then_first_plan_resolves_it() -> None:
    # Arrange
    notifier, _ = _notifier()
    notifier.restore([_TRIPPED, _DRIFT])

    # Act
    plan = notifier.plan([_DRIFT])

    # Assert
    assert plan.cleared == (_TRIPPED,)
    assert plan.started == ()
    assert plan.resend == (_DRIFT,), "never sent by this process: sent at once"
