"""Specs for the mandate lifecycle table: every row, every illegal move, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aiswarm.clock import to_ns
from aiswarm.errors import InvalidTransition
from aiswarm.mandates import MandateTrigger, expire
from aiswarm.mandates.mandate_state import TERMINAL_MANDATE_STATUSES, TRANSITIONS, apply
from aiswarm.types import MandateStatus
from kit.builders import mandate

UNTIL = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("move", "target"), list(TRANSITIONS.items()), ids=str)
def test_apply_when_row_in_table_then_moves_to_its_target(
    move: tuple[MandateStatus, MandateTrigger], target: MandateStatus
) -> None:
    # Act / Assert
    assert apply(*move) is target


ILLEGAL = [
    (status, trigger)
    for status in MandateStatus
    for trigger in MandateTrigger
    if (status, trigger) not in TRANSITIONS
]


@pytest.mark.parametrize(("status", "trigger"), ILLEGAL, ids=str)
def test_apply_when_pair_not_in_table_then_invalid_transition(
    status: MandateStatus, trigger: MandateTrigger
) -> None:
    # Act / Assert
    with pytest.raises(InvalidTransition, match=f"{status.name} -> {trigger.name}"):
        apply(status, trigger)


def test_table_when_walked_then_no_move_leaves_a_terminal_status() -> None:
    # Assert
    assert {MandateStatus.REVOKED, MandateStatus.EXPIRED} == TERMINAL_MANDATE_STATUSES
    assert not [move for move in TRANSITIONS if move[0] in TERMINAL_MANDATE_STATUSES]


def test_expire_when_valid_until_reached_then_expired_copy() -> None:
    # Arrange
    active = mandate(valid_until=UNTIL)

    # Act
    before = expire(active, to_ns(UNTIL - timedelta(microseconds=1)))
    at = expire(active, to_ns(UNTIL))

    # Assert
    assert before is None
    assert at is not None
    assert at.status is MandateStatus.EXPIRED
    assert at.model_copy(update={"status": MandateStatus.ACTIVE}) == active


@pytest.mark.parametrize("status", [MandateStatus.EXPIRED, MandateStatus.REVOKED])
def test_expire_when_already_terminal_then_nothing_to_record(status: MandateStatus) -> None:
    # Act / Assert
    assert expire(mandate(status=status, valid_until=UNTIL), to_ns(UNTIL)) is None
