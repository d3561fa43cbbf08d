"""Inspect and repair the bus: pending deliveries, dead letters, requeue; for the API and CLI.

Routes and commands call this facade only; its errors are the bus's (``BusError`` for an
unreachable Redis, ``UnknownDeadLetterError`` for a requeue of an id that is no dead letter).
A requeue is recorded in the event store (``bus.requeued``, in the host's stream) with the
operator's reason and the new message id, once Redis (or the in-process bus) has moved the
message: the move itself is one atomic step there, so the log never claims a requeue that did
not happen.
"""

from __future__ import annotations

from typing import Any

from aiswarm.bus import BusError, StreamBus, UnknownDeadLetterError
from aiswarm.runtime.host import HOST_STREAM
from aiswarm.store import EventStore
from aiswarm.types import EventType

__all__ = ["BusError", "StreamAdmin", "UnknownDeadLetterError"]


class StreamAdmin:
    """Pending and dead-letter views of one bus, and the requeue of a dead letter."""

    def __init__(self, bus: StreamBus, store: EventStore) -> None:
        self._bus = bus
        self._store = store

    @property
    def bus_url(self) -> str:
        """Return where the bus lives, without credentials."""
        return self._bus.url_for_display

    async def pending(self, topic: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Return up to ``limit`` unacknowledged deliveries, of one topic or of all."""
        return [entry.as_dict() for entry in await self._bus.pending(topic, limit)]

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return up to ``limit`` dead letters, oldest first, each with its error."""
        return [letter.as_dict() for letter in await self._bus.dead_letters(limit)]

    async def requeue(self, dead_letter_id: str, reason: str) -> dict[str, Any]:
        """Put a dead letter back for its group, record who asked why, and return the result.

        Raises ``UnknownDeadLetterError`` (nothing changes) when no dead letter has that id.
        """
        requeued = await self._bus.requeue(dead_letter_id)
        letter = requeued.letter
        result = {
            "dead_letter_id": dead_letter_id,
            "message_id": requeued.message_id,
            "topic": letter.topic,
            "group": letter.group,
            "error": letter.error,
            "reason": reason,
        }
        await self._store.append(EventType.BUS_REQUEUED, result, account=HOST_STREAM)
        return result
