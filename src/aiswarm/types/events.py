"""Name the events we record, and hold a stored event record. No I/O.

``DomainEvent`` is the base for facts other rooms record (each carries when it happened and
when we learned of it). ``EventRecord`` is one row of the append-only, hash-chained event store;
its payload is the event dumped with ``to_payload`` (JSON-safe: Decimals become strings).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from aiswarm.types._model import FrozenModel
from aiswarm.types.timestamps import UtcDatetime

__all__ = ["DomainEvent", "EventRecord", "EventType", "to_payload"]


class EventType(StrEnum):
    """The kinds of event the store holds; ``EventRecord.type`` carries the value."""

    ORDER_SUBMITTED = "order.submitted"
    FILL = "fill"
    RISK_DECISION = "risk.decision"
    KILL_SWITCH_CHANGED = "kill_switch.changed"
    MANDATE_CHANGED = "mandate.changed"
    RUNTIME_STARTED = "runtime.started"
    RUNTIME_STOPPED = "runtime.stopped"


class DomainEvent(FrozenModel):
    """A fact: ``ts_event`` is when it happened, ``ts_init`` when we learned of it (both UTC)."""

    ts_event: UtcDatetime
    ts_init: UtcDatetime


class EventRecord(FrozenModel):
    """One stored event: its place in the log, its time, its type, its payload and its hash.

    ``seq`` is the position in the log (gapless, from 0 or 1 as the store decides), ``ts_ns``
    the time appended in nanoseconds since the Unix epoch (UTC), and ``hash`` the lower-case
    hex SHA-256 digest that chains this record to the one before it. The payload dict is not
    deeply frozen: treat it as read-only.
    """

    seq: int = Field(ge=0)
    ts_ns: int = Field(ge=0)
    type: str = Field(min_length=1)
    payload: dict[str, Any]
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


def to_payload(model: BaseModel) -> dict[str, Any]:
    """Return ``model`` as a JSON-safe dict: Decimals as strings, datetimes as ISO 8601 UTC."""
    return model.model_dump(mode="json")
