"""Hold order timers as plain data and say which are due at a given instant. No I/O, no tasks.

An executor calls ``due(timers, clock.now_ns())`` on each tick and acts on what fired: cancel
an order whose deadline passed, re-quote on a heartbeat, send the next TWAP/DCA slice. Nothing
here sleeps, schedules or reads a clock, so a backtest, a paper run and a test drive timers
with the same integer nanoseconds (epoch, UTC) and get the same fires.

How a late tick is handled differs by kind, on purpose:

* ``Deadline`` fires once, at or after ``at_ns``.
* ``Heartbeat`` fires once however many periods the tick missed (two re-quotes in a row are
  pointless), and stays on its grid ``last_ns + k x every_ns`` so tick jitter never drifts it.
* ``Interval`` fires at most one slice per call and never skips one: a TWAP slice is quantity
  still owed. Slices missed by a late tick come due again at once, one per call, so they are
  never bunched into a single order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiswarm.types import ClientOrderId

__all__ = ["Deadline", "Heartbeat", "Interval", "Timer", "TimerFire", "due"]


def _check_period(every_ns: int, what: str) -> None:
    """Refuse a period that is not a positive number of nanoseconds."""
    if every_ns <= 0:
        raise ValueError(
            f"{what} every_ns={every_ns} is not above 0: pass the period in nanoseconds "
            "(1 second is 1_000_000_000)"
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    """Cancel ``client_order_id`` once the clock reaches ``at_ns`` (epoch ns)."""

    client_order_id: ClientOrderId
    at_ns: int

    def due_ns(self) -> int:
        """Return the instant this timer is next due."""
        return self.at_ns


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Re-quote ``client_order_id`` every ``every_ns``, counting from ``last_ns`` (epoch ns)."""

    client_order_id: ClientOrderId
    every_ns: int
    last_ns: int

    def __post_init__(self) -> None:
        """Refuse a period that is not positive."""
        _check_period(self.every_ns, "heartbeat")

    def due_ns(self) -> int:
        """Return the instant this timer is next due."""
        return self.last_ns + self.every_ns


@dataclass(frozen=True, slots=True)
class Interval:
    """Fire ``remaining`` more slices of schedule ``key``: at ``next_ns``, then every ``every_ns``.

    ``key`` names the schedule (e.g. a mandate's TWAP), since a slice is not yet an order.
    """

    key: str
    every_ns: int
    next_ns: int
    remaining: int

    def __post_init__(self) -> None:
        """Refuse a period that is not positive and a schedule with no slices left."""
        _check_period(self.every_ns, f"interval {self.key!r}")
        if self.remaining <= 0:
            raise ValueError(
                f"interval {self.key!r} has remaining={self.remaining} slices: a schedule "
                "needs at least 1 (a spent one is dropped, not kept at 0)"
            )

    def due_ns(self) -> int:
        """Return the instant this timer is next due."""
        return self.next_ns


Timer = Deadline | Heartbeat | Interval
"""Any order timer."""


@dataclass(frozen=True, slots=True)
class TimerFire:
    """One timer that fired: as it stood, when it was due, and what replaces it.

    ``scheduled_ns`` is the instant it was due (at or before the ``now_ns`` it was checked
    at). ``next`` is the timer to keep in its place, or None when it is spent (a deadline, an
    interval's last slice).
    """

    timer: Timer
    scheduled_ns: int
    next: Timer | None


def _fire(timer: Timer, now_ns: int) -> TimerFire:
    """Return the fire of a timer that is due at ``now_ns``."""
    if isinstance(timer, Deadline):
        return TimerFire(timer, timer.at_ns, None)
    if isinstance(timer, Heartbeat):
        periods = (now_ns - timer.last_ns) // timer.every_ns
        scheduled = timer.last_ns + periods * timer.every_ns
        return TimerFire(
            timer, scheduled, Heartbeat(timer.client_order_id, timer.every_ns, scheduled)
        )
    remaining = timer.remaining - 1
    following = (
        Interval(timer.key, timer.every_ns, timer.next_ns + timer.every_ns, remaining)
        if remaining
        else None
    )
    return TimerFire(timer, timer.next_ns, following)


def due(timers: Iterable[Timer], now_ns: int) -> list[TimerFire]:
    """Return a fire for every timer due at ``now_ns`` (epoch ns), in the order given.

    A timer is due when ``now_ns`` has reached its due instant; each fires at most once per
    call. Timers not due are not returned: keep them, and replace each fired one by its
    ``next`` (dropping it when ``next`` is None).
    """
    return [_fire(timer, now_ns) for timer in timers if timer.due_ns() <= now_ns]
