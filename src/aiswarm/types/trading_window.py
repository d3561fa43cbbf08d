"""Hold a mandate's trading window: the UTC weekdays and hours in which it may add risk. No I/O.

A window is a set of weekdays plus one span of the day, ``start`` inclusive to ``end``
exclusive, both ``HH:MM`` in UTC (``24:00`` is the end of the day). A span that wraps past
midnight is not supported: write two mandates, or widen the span, because a wrapping span makes
"which weekday does 23:00-02:00 belong to" ambiguous.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Self

from pydantic import Field, field_validator, model_validator

from aiswarm.types._model import FrozenModel

__all__ = ["WEEKDAYS", "TradingWindow"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names in ``datetime.weekday()`` order."""

_HH_MM = re.compile(r"^(\d{2}):(\d{2})$")
_NS_PER_MINUTE = 60 * 1_000_000_000
_MINUTES_PER_DAY = 1_440
_NS_PER_DAY = _MINUTES_PER_DAY * _NS_PER_MINUTE
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday


def _minutes(text: str, name: str) -> int:
    """Return ``HH:MM`` as minutes after midnight, or raise naming the field and the fix."""
    match = _HH_MM.match(text)
    minutes = -1 if match is None else int(match[1]) * 60 + int(match[2])
    if match is None or int(match[2]) > 59 or not 0 <= minutes <= _MINUTES_PER_DAY:
        raise ValueError(f"{name} was {text!r}; expected HH:MM in UTC between 00:00 and 24:00")
    return minutes


@lru_cache(maxsize=256)
def _span_ns(days: tuple[str, ...], start: str, end: str) -> tuple[frozenset[int], int, int]:
    """Return (weekday numbers, start, end), the span in ns after midnight (pure, memoised)."""
    weekdays = frozenset(WEEKDAYS.index(day) for day in days)
    return (
        weekdays,
        _minutes(start, "start") * _NS_PER_MINUTE,
        _minutes(end, "end") * _NS_PER_MINUTE,
    )


class TradingWindow(FrozenModel):
    """The weekdays and the UTC span of the day in which a mandate may add risk."""

    days: tuple[str, ...] = Field(
        default=WEEKDAYS,
        min_length=1,
        description="Weekdays (mon..sun, UTC) on which the window opens.",
    )
    start: str = Field(default="00:00", description="Opening time of day, HH:MM UTC, inclusive.")
    end: str = Field(default="24:00", description="Closing time of day, HH:MM UTC, exclusive.")

    @field_validator("days")
    @classmethod
    def _check_days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        """Refuse an unknown or repeated weekday name."""
        unknown = [day for day in days if day not in WEEKDAYS]
        if unknown:
            raise ValueError(f"days has {', '.join(unknown)}; use {', '.join(WEEKDAYS)}")
        if len(set(days)) != len(days):
            raise ValueError("days lists a weekday more than once")
        return days

    @model_validator(mode="after")
    def _check_span(self) -> Self:
        """Refuse a malformed time or a span that is empty or wraps past midnight."""
        start = _minutes(self.start, "start")
        end = _minutes(self.end, "end")
        if end <= start:
            raise ValueError(
                f"end={self.end} is not after start={self.start}; a window must not wrap past "
                "midnight (use 24:00 for the end of the day)"
            )
        return self

    def contains(self, now_ns: int) -> bool:
        """Return True when ``now_ns`` (ns since the epoch, UTC) falls inside the window."""
        weekdays, start_ns, end_ns = _span_ns(self.days, self.start, self.end)
        into_day = now_ns % _NS_PER_DAY
        weekday = (now_ns // _NS_PER_DAY + _EPOCH_WEEKDAY) % 7
        return weekday in weekdays and start_ns <= into_day < end_ns

    def describe(self) -> str:
        """Return the window as ``mon,tue 08:00-20:00`` for refusal details and logs."""
        return f"{','.join(self.days)} {self.start}-{self.end}"
