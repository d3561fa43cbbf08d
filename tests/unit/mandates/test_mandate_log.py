"""Specs for recording mandates: what a start records, and what comes back from the log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiswarm.mandates import (
    MANDATE_CHANGED,
    MandateFile,
    change_payload,
    reconcile,
    recorded_mandates,
)
from aiswarm.types import MandateStatus
from kit.builders import mandate

FILE = Path("mandates/mandate-1.yaml")


def test_reconcile_when_log_holds_none_then_file_recorded_and_in_force() -> None:
    # Arrange
    wanted = mandate()

    # Act
    current, changes = reconcile({wanted.mandate_id: MandateFile(wanted, FILE)}, {})

    # Assert
    assert current == {wanted.mandate_id: wanted}
    assert [payload["reason"] for payload in changes] == ["registered from its file"]
    assert recorded_mandates([(MANDATE_CHANGED, changes[0])]) == current


def test_reconcile_when_file_unchanged_then_nothing_recorded() -> None:
    # Arrange
    wanted = mandate()

    # Act
    current, changes = reconcile(
        {wanted.mandate_id: MandateFile(wanted, FILE)}, {wanted.mandate_id: wanted}
    )

    # Assert
    assert changes == []
    assert current[wanted.mandate_id] == wanted


def test_reconcile_when_recorded_expired_and_file_same_then_stays_expired() -> None:
    # Arrange
    wanted = mandate()
    expired = wanted.model_copy(update={"status": MandateStatus.EXPIRED})

    # Act
    current, changes = reconcile(
        {wanted.mandate_id: MandateFile(wanted, FILE)}, {wanted.mandate_id: expired}
    )

    # Assert
    assert changes == []
    assert current[wanted.mandate_id].status is MandateStatus.EXPIRED


def test_reconcile_when_file_extends_expired_mandate_then_change_recorded() -> None:
    # Arrange
    expired = mandate(status=MandateStatus.EXPIRED)
    extended = mandate(valid_until=datetime(2026, 1, 1, tzinfo=UTC))

    # Act
    current, changes = reconcile(
        {extended.mandate_id: MandateFile(extended, FILE)}, {extended.mandate_id: expired}
    )

    # Assert
    assert [payload["reason"] for payload in changes] == ["its file changed"]
    assert current[extended.mandate_id] == extended


def test_recorded_mandates_when_several_versions_then_latest_wins() -> None:
    # Arrange
    first = mandate()
    paused = mandate(status=MandateStatus.PAUSED)
    records = [
        (MANDATE_CHANGED, change_payload(first, "registered from its file")),
        ("order.submitted", {}),
        (MANDATE_CHANGED, change_payload(paused, "its file changed")),
    ]

    # Act / Assert
    assert recorded_mandates(records) == {first.mandate_id: paused}
