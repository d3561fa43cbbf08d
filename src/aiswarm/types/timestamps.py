"""Refuse naive datetimes and hold every timestamp in UTC. No I/O; never reads the clock.

A naive ``datetime`` has no time zone, so the instant it names is a guess; the models refuse
it and name the field. An aware ``datetime`` in another zone is converted to UTC, so equal
instants look equal everywhere (logs, JSON, the event store).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo

__all__ = ["UtcDatetime"]


def _require_aware(value: datetime, info: ValidationInfo) -> datetime:
    """Return ``value`` in UTC, or refuse it when it has no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        name = info.field_name or "timestamp"
        raise ValueError(
            f"{name}={value.isoformat()} has no time zone: "
            "pass an aware UTC datetime, e.g. datetime(2024, 1, 1, tzinfo=UTC)"
        )
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_aware)]
