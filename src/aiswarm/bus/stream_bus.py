"""Deliver, retry and dead-letter the same way over any stream store: the bus's one set of rules.

``StreamBus`` is the interface every caller uses (publish, receive, ack, nack, reject,
inspect, requeue) and holds the rules; a transport (``InProcessBus``, ``RedisStreamsBus``)
supplies the storage steps. The rules:

* A topic is an append-only stream; each consumer group gets every message of it, and the
  consumers of one group share them (each message goes to one of them).
* A group first reads from the start of what the topic retains, so a group that joins late
  (or whose consumers all restarted) misses nothing still there.
* ``receive`` hands a consumer, in order: what it already holds unacknowledged (so a restarted
  consumer gets back what it had), then messages idle longer than ``claim_idle_ms`` at another
  consumer of its group (that one is presumed dead), then new messages.
* ``nack`` records the error; the message is delivered again until ``max_deliveries``, then
  moved to the dead-letter stream with the last error. A message handed out more than
  ``max_deliveries`` times without an answer (its consumer kept crashing) is dead-lettered too.
* ``reject`` dead-letters a delivery at once, for a message no retry can help.
* A message that cannot be read, or of a kind or version this process does not know, is
  dead-lettered at once with the reason, never crashed on.
* A publication whose idempotency key was already published on the topic (within
  ``idempotency_ttl_ms``) is dropped: ``publish`` returns the first one's id.
* A requeued dead letter goes back on its topic for its group only; other groups skip it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from aiswarm.bus.contract import BusSettings, DeadLetter, Delivery, PendingEntry, Requeued
from aiswarm.bus.message import Message, MessageError, decode_message, encode_message
from aiswarm.bus.records import RecordTypes
from aiswarm.clock import Clock

__all__ = ["Published", "RawEntry", "StreamBus"]


@dataclass(frozen=True, slots=True)
class RawEntry:
    """A stream entry as a transport stores it: id, envelope bytes, target group, deliveries."""

    message_id: str
    data: bytes
    only_group: str | None
    deliveries: int


@dataclass(frozen=True, slots=True)
class Published:
    """What ``publish`` did: the message's id, and whether the key made it a duplicate."""

    message_id: str
    duplicate: bool


class StreamBus(ABC):
    """The bus; see the module docstring. Subclasses provide the ``_`` storage steps."""

    def __init__(self, clock: Clock, settings: BusSettings, records: RecordTypes) -> None:
        self.clock = clock
        self.settings = settings
        self.records = records
        self._joined: set[tuple[str, str]] = set()

    @property
    @abstractmethod
    def url_for_display(self) -> str:
        """Return where the bus lives, without credentials."""

    async def publish(self, topic: str, message: Message) -> Published:
        """Append ``message`` to ``topic`` unless its key was published there already."""
        return await self._append(topic, encode_message(message), message.key, None)

    async def receive(
        self, topic: str, group: str, consumer: str, count: int = 10, block_ms: int = 0
    ) -> list[Delivery]:
        """Return up to ``count`` deliveries for ``consumer`` of ``group``; wait up to
        ``block_ms`` for new ones when nothing is due (0: do not wait).

        Entries settled on the way (dead-lettered, or requeued for another group) are not
        returned; an empty answer means nothing was deliverable.
        """
        if (topic, group) not in self._joined:
            await self._create_group(topic, group)
            self._joined.add((topic, group))
        while True:
            entries = await self._due(topic, group, consumer, count, block_ms)
            deliveries: list[Delivery] = []
            for entry in entries:
                delivery = await self._triage(topic, group, consumer, entry)
                if delivery is not None:
                    deliveries.append(delivery)
            if deliveries or not entries:
                return deliveries

    async def _due(
        self, topic: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[RawEntry]:
        """Read what is due, in the order the module docstring gives."""
        entries = await self._own_pending(topic, group, consumer, count)
        if len(entries) < count:
            entries += await self._claim_idle(topic, group, consumer, count - len(entries))
        wait_ms = 0 if entries else block_ms
        if len(entries) < count:
            entries += await self._read_new(topic, group, consumer, count - len(entries), wait_ms)
        return entries

    async def ack(self, delivery: Delivery) -> None:
        """Mark ``delivery`` done for its group: it is never handed out again."""
        await self._ack(delivery.topic, delivery.group, delivery.message_id)

    async def nack(self, delivery: Delivery, error: str) -> None:
        """Record that handling ``delivery`` failed; dead-letter it if it has no tries left."""
        if delivery.attempt >= self.settings.max_deliveries:
            tries = f"failed {delivery.attempt} of {self.settings.max_deliveries} tries"
            await self.reject(delivery, f"{tries}: {error}")
        else:
            await self._record_error(delivery.topic, delivery.group, delivery.message_id, error)

    async def reject(self, delivery: Delivery, error: str) -> None:
        """Dead-letter ``delivery`` now: no retry can help (it is not meant for this reader)."""
        raw = encode_message(delivery.message)
        entry = RawEntry(delivery.message_id, raw, None, delivery.attempt)
        await self._dead_letter(delivery.topic, delivery.group, entry, error)

    async def _triage(
        self, topic: str, group: str, consumer: str, entry: RawEntry
    ) -> Delivery | None:
        """Return the entry as a delivery, or settle it here (skip, dead-letter) and say None."""
        if entry.only_group is not None and entry.only_group != group:
            await self._ack(topic, group, entry.message_id)  # a requeue meant for another group
            return None
        if entry.deliveries > self.settings.max_deliveries:
            last = await self._last_error(topic, group, entry.message_id)
            tries = entry.deliveries - 1
            reason = (
                f"failed {tries} of {self.settings.max_deliveries} tries: {last}"
                if last is not None
                else f"delivered {tries} times without an acknowledgement "
                "(its consumer crashed or stalled each time)"
            )
            await self._dead_letter(topic, group, entry, reason)
            return None
        try:
            message = decode_message(entry.data)
            record = self.records.record(message)
        except MessageError as exc:
            await self._dead_letter(topic, group, entry, str(exc))
            return None
        return Delivery(topic, group, consumer, entry.message_id, entry.deliveries, message, record)

    @staticmethod
    def _summary(data: bytes) -> dict[str, object] | None:
        try:
            return decode_message(data).summary()
        except MessageError:
            return None

    # Storage steps of a transport.

    @abstractmethod
    async def _append(
        self, topic: str, data: bytes, key: str | None, only_group: str | None
    ) -> Published:
        """Append an entry (atomically with remembering ``key``, if any)."""

    @abstractmethod
    async def _create_group(self, topic: str, group: str) -> None:
        """Create ``group`` on ``topic`` reading from the start, if it does not exist."""

    @abstractmethod
    async def _own_pending(
        self, topic: str, group: str, consumer: str, count: int
    ) -> list[RawEntry]:
        """Hand ``consumer`` again what it holds unacknowledged (counting a delivery each)."""

    @abstractmethod
    async def _claim_idle(
        self, topic: str, group: str, consumer: str, count: int
    ) -> list[RawEntry]:
        """Move to ``consumer`` entries idle past ``claim_idle_ms`` at other consumers."""

    @abstractmethod
    async def _read_new(
        self, topic: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[RawEntry]:
        """Hand ``consumer`` entries its group has not seen yet."""

    @abstractmethod
    async def _ack(self, topic: str, group: str, message_id: str) -> None:
        """Drop the entry from the group's pending list (and its recorded error)."""

    @abstractmethod
    async def _record_error(self, topic: str, group: str, message_id: str, error: str) -> None:
        """Remember the latest error of a pending entry."""

    @abstractmethod
    async def _last_error(self, topic: str, group: str, message_id: str) -> str | None:
        """Return the latest error recorded for a pending entry."""

    @abstractmethod
    async def _dead_letter(self, topic: str, group: str, entry: RawEntry, error: str) -> None:
        """Add the entry to the dead-letter stream and acknowledge it, atomically."""

    # Inspection and repair.

    @abstractmethod
    async def pending(self, topic: str | None = None, limit: int = 100) -> list[PendingEntry]:
        """Return up to ``limit`` unacknowledged deliveries (of one topic, or of all)."""

    @abstractmethod
    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Return up to ``limit`` dead letters, oldest first."""

    @abstractmethod
    async def requeue(self, dead_letter_id: str) -> Requeued:
        """Put a dead letter back on its topic for its group (``UnknownDeadLetterError`` if
        there is none with that id)."""

    @abstractmethod
    async def close(self) -> None:
        """Release the transport's connections."""
