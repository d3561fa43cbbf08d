"""Say what the bus hands out and what it is tuned by: deliveries, pending and dead letters.

These are the values both transports (in-process and Redis Streams) return, so a caller and
the behaviour tests cannot tell the two apart. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from aiswarm.bus.message import Message
from aiswarm.errors import AiswarmError

__all__ = [
    "BusError",
    "BusSettings",
    "DeadLetter",
    "Delivery",
    "PendingEntry",
    "Rejected",
    "Requeued",
    "UnknownDeadLetterError",
]


class BusError(AiswarmError):
    """The bus cannot carry out a request (unreachable broker, say); the text says why."""


class UnknownDeadLetterError(BusError):
    """No dead letter has the id asked for (already requeued, or never there)."""


class Rejected(Exception):  # noqa: N818 - reads as the verdict a handler gives
    """Raised by a handler for a message no retry can help: it is dead-lettered at once."""


@dataclass(frozen=True, slots=True)
class BusSettings:
    """How hard the bus tries before it gives a message up, and how long it remembers keys."""

    max_deliveries: int = 5
    """Deliveries of one message to a group before it goes to the dead-letter stream."""
    claim_idle_ms: int = 30_000
    """How long a message may sit unacknowledged with one consumer before another of its group
    takes it over (the first is presumed dead)."""
    idempotency_ttl_ms: int = 86_400_000
    """How long a published idempotency key is remembered (a repeat within it is dropped)."""
    max_stream_length: int = 100_000
    """Messages kept per topic; older ones are trimmed (Redis trims approximately)."""

    def __post_init__(self) -> None:
        """Refuse settings that would loop forever or forget at once."""
        if self.max_deliveries < 1:
            raise ValueError(f"max_deliveries was {self.max_deliveries}; it must be at least 1")
        if self.claim_idle_ms < 0 or self.idempotency_ttl_ms < 1 or self.max_stream_length < 1:
            raise ValueError(
                f"claim_idle_ms={self.claim_idle_ms} idempotency_ttl_ms={self.idempotency_ttl_ms} "
                f"max_stream_length={self.max_stream_length}; need >= 0, >= 1 and >= 1"
            )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message handed to one consumer of a group; ``ack`` or ``nack`` it before the next
    ``receive`` of the same consumer (what is still pending then is handed out again)."""

    topic: str
    group: str
    consumer: str
    message_id: str
    attempt: int
    message: Message
    record: BaseModel


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """A message delivered to a consumer and not yet acknowledged."""

    topic: str
    group: str
    consumer: str
    message_id: str
    idle_ms: int
    deliveries: int
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as plain data."""
        return {
            "topic": self.topic,
            "group": self.group,
            "consumer": self.consumer,
            "message_id": self.message_id,
            "idle_ms": self.idle_ms,
            "deliveries": self.deliveries,
            "last_error": self.last_error,
        }


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message a group gave up on, with the error that decided it."""

    dead_letter_id: str
    topic: str
    group: str
    message_id: str
    deliveries: int
    error: str
    dead_lettered_ns: int
    message: dict[str, Any] | None
    """The envelope without its body, or ``None`` when it could not be read at all."""

    def as_dict(self) -> dict[str, Any]:
        """Return the dead letter as plain data."""
        return {
            "dead_letter_id": self.dead_letter_id,
            "topic": self.topic,
            "group": self.group,
            "message_id": self.message_id,
            "deliveries": self.deliveries,
            "error": self.error,
            "dead_lettered_ns": self.dead_lettered_ns,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Requeued:
    """A dead letter put back on its topic for its group, under a new message id."""

    letter: DeadLetter
    message_id: str
