"""Order timers: deadlines, heartbeats and interval slices, evaluated at integer nanoseconds."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiswarm.execution.timers import Deadline, Heartbeat, Interval, Timer, TimerFire, due
from aiswarm.types import ClientOrderId

CID = ClientOrderId("cid-1")
SECOND = 1_000_000_000


def _drive(timer: Timer, ticks: range) -> list[int]:
    """Return the scheduled instants ``timer`` fires for when checked at each tick in turn."""
    fired: list[int] = []
    current: Timer | None = timer
    for now in ticks:
        if current is None:
            break
        fires = due([current], now)
        if fires:
            fired.append(fires[0].scheduled_ns)
            current = fires[0].next
    return fired


@pytest.mark.parametrize("now", [0, 10 * SECOND - 1])
def test_deadline_when_before_at_ns_then_not_due(now: int) -> None:
    # Act / Assert
    assert due([Deadline(CID, 10 * SECOND)], now) == []


@pytest.mark.parametrize("now", [10 * SECOND, 10 * SECOND + 1, 99 * SECOND])
def test_deadline_when_at_or_after_at_ns_then_fires_once_and_is_spent(now: int) -> None:
    # Arrange
    deadline = Deadline(CID, 10 * SECOND)

    # Act
    fires = due([deadline], now)

    # Assert
    assert fires == [TimerFire(deadline, 10 * SECOND, None)]


def test_heartbeat_when_driven_every_second_then_fires_every_period() -> None:
    # Arrange
    beat = Heartbeat(CID, every_ns=5 * SECOND, last_ns=0)

    # Act
    fired = _drive(beat, range(0, 21 * SECOND, SECOND))

    # Assert
    assert fired == [5 * SECOND, 10 * SECOND, 15 * SECOND, 20 * SECOND]


def test_heartbeat_when_tick_misses_periods_then_fires_once_and_stays_on_grid() -> None:
    # Arrange
    beat = Heartbeat(CID, every_ns=5 * SECOND, last_ns=0)

    # Act
    (fire,) = due([beat], 17 * SECOND)

    # Assert
    assert fire.scheduled_ns == 15 * SECOND
    assert fire.next == Heartbeat(CID, 5 * SECOND, 15 * SECOND)
    assert due([fire.next], 19 * SECOND) == []


def test_heartbeat_when_just_before_period_then_not_due() -> None:
    # Act / Assert
    assert due([Heartbeat(CID, 5 * SECOND, 3 * SECOND)], 8 * SECOND - 1) == []


def test_interval_when_driven_then_slices_count_down_to_zero_and_stop() -> None:
    # Arrange
    twap = Interval("twap-1", every_ns=60 * SECOND, next_ns=0, remaining=3)
    remaining: list[int] = []
    current: Interval | None = twap

    # Act
    for now in range(0, 600 * SECOND, 30 * SECOND):
        fires = due([current], now) if current else []
        for fire in fires:
            assert isinstance(fire.timer, Interval)
            remaining.append(fire.timer.remaining)
            assert fire.next is None or isinstance(fire.next, Interval)
            current = fire.next

    # Assert
    assert remaining == [3, 2, 1]
    assert current is None


def test_interval_when_fired_then_scheduled_on_its_grid() -> None:
    # Act
    fired = _drive(Interval("dca", 60 * SECOND, 0, 3), range(0, 600 * SECOND, 7 * SECOND))

    # Assert
    assert fired == [0, 60 * SECOND, 120 * SECOND]


def test_interval_when_tick_late_then_one_slice_per_call_none_skipped() -> None:
    # Arrange
    twap = Interval("twap-1", 10 * SECOND, 0, 4)

    # Act: one late tick at 35 s, asked repeatedly.
    fired = _drive(twap, range(35 * SECOND, 35 * SECOND + 10))

    # Assert
    assert fired == [0, 10 * SECOND, 20 * SECOND, 30 * SECOND]


def test_due_when_mixed_timers_then_only_due_ones_in_given_order() -> None:
    # Arrange
    late = Deadline(ClientOrderId("cid-2"), 100)
    soon = Deadline(CID, 10)
    beat = Heartbeat(CID, 5, 0)
    slices = Interval("twap", 50, 20, 2)

    # Act
    fires = due([late, soon, beat, slices], 20)

    # Assert
    assert [fire.timer for fire in fires] == [soon, beat, slices]
    assert fires[2].next == Interval("twap", 50, 70, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Heartbeat(CID, 0, 0), "heartbeat every_ns=0 is not above 0"),
        (lambda: Interval("twap", -1, 0, 3), "every_ns=-1 is not above 0"),
        (lambda: Interval("twap", 10, 0, 0), "remaining=0 slices"),
    ],
)
def test_timer_when_malformed_then_refused_with_reason(
    build: Callable[[], Timer], message: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=message):
        build()
