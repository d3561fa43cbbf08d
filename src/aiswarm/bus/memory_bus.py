"""Keep the bus's streams in this process's memory: the embedded default, no broker needed.

It follows ``StreamBus``'s rules exactly as ``RedisStreamsBus`` does (the behaviour tests run
against both), with the injected clock standing in for the broker's: idle times and key
expiry are measured on it.

Crash-only: everything here dies with the process, by design. Nothing in it is the record of
anything: the market-data service re-publishes from its source on start, and an engine's
state comes back from the event store, so a restarted process loses nothing it needs.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field

from aiswarm.bus.contract import (
    BusSettings,
    DeadLetter,
    PendingEntry,
    Requeued,
    UnknownDeadLetterError,
)
from aiswarm.bus.records import BUS_RECORDS, RecordTypes
from aiswarm.bus.stream_bus import Published, RawEntry, StreamBus
from aiswarm.clock import Clock

__all__ = ["InProcessBus"]

_NS_PER_MS = 1_000_000


@dataclass
class _Held:
    consumer: str
    deliveries: int
    delivered_ns: int
    error: str | None = None


@dataclass
class _Group:
    next_index: int = 0
    """Index into the topic's entries of the first entry the group has not seen."""
    pending: dict[int, _Held] = field(default_factory=dict)


@dataclass
class _Topic:
    entries: dict[int, tuple[bytes, str | None]] = field(default_factory=dict)
    numbers: list[int] = field(default_factory=list)
    """Entry numbers in order; those before ``first`` were trimmed (compacted now and then)."""
    first: int = 0
    groups: dict[str, _Group] = field(default_factory=dict)
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Idempotency key -> (entry number, expiry ns)."""
    expiries: deque[tuple[int, str]] = field(default_factory=deque)
    """(expiry ns, key) in the order keys were set, which is expiry order (one TTL)."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


def _id(number: int) -> str:
    return f"{number}-0"


def _number(message_id: str) -> int:
    head, _, tail = message_id.partition("-")
    if not head.isdigit() or tail != "0":
        raise UnknownDeadLetterError(
            f"dead letter id {message_id!r} is not an id of this bus; ids read like 12-0 "
            "(list them with GET /admin/streams/dlq)"
        )
    return int(head)


class InProcessBus(StreamBus):
    """The bus in one process's memory; see the module docstring."""

    def __init__(
        self,
        clock: Clock,
        settings: BusSettings | None = None,
        records: RecordTypes = BUS_RECORDS,
    ) -> None:
        super().__init__(clock, settings or BusSettings(), records)
        self._topics: dict[str, _Topic] = {}
        self._dead: dict[int, tuple[DeadLetter, bytes]] = {}
        self._last_number = 0

    @property
    def url_for_display(self) -> str:
        """Return where the bus lives."""
        return "in-process"

    def _topic(self, name: str) -> _Topic:
        return self._topics.setdefault(name, _Topic())

    def _next_number(self) -> int:
        self._last_number += 1
        return self._last_number

    async def _append(
        self, topic: str, data: bytes, key: str | None, only_group: str | None
    ) -> Published:
        stream = self._topic(topic)
        now = self.clock.now_ns()
        if key is not None:
            known = stream.keys.get(key)
            if known is not None and known[1] > now:
                return Published(_id(known[0]), duplicate=True)
        number = self._next_number()
        stream.entries[number] = (data, only_group)
        stream.numbers.append(number)
        if key is not None:
            expiry = now + self.settings.idempotency_ttl_ms * _NS_PER_MS
            stream.keys[key] = (number, expiry)
            stream.expiries.append((expiry, key))
        self._trim(stream, now)
        stream.arrived.set()
        return Published(_id(number), duplicate=False)

    def _trim(self, stream: _Topic, now_ns: int) -> None:
        """Drop the oldest entries past ``max_stream_length``, and keys that expired."""
        while len(stream.entries) > self.settings.max_stream_length:
            del stream.entries[stream.numbers[stream.first]]
            stream.first += 1
        if stream.first > 1_024 and stream.first * 2 > len(stream.numbers):
            del stream.numbers[: stream.first]
            stream.first = 0
        while stream.expiries and stream.expiries[0][0] <= now_ns:
            expiry, key = stream.expiries.popleft()
            if stream.keys.get(key, (0, 0))[1] == expiry:  # not set again since
                del stream.keys[key]

    async def _create_group(self, topic: str, group: str) -> None:
        self._topic(topic).groups.setdefault(group, _Group())

    def _raw(self, stream: _Topic, number: int, held: _Held) -> RawEntry | None:
        entry = stream.entries.get(number)
        if entry is None:
            return None
        return RawEntry(_id(number), entry[0], entry[1], held.deliveries)

    def _hand(
        self, stream: _Topic, numbers: list[int], group: _Group, consumer: str
    ) -> list[RawEntry]:
        now = self.clock.now_ns()
        handed: list[RawEntry] = []
        for number in numbers:
            held = group.pending[number]
            held.consumer, held.deliveries, held.delivered_ns = consumer, held.deliveries + 1, now
            raw = self._raw(stream, number, held)
            if raw is None:  # trimmed away while pending: nothing left to deliver
                del group.pending[number]
            else:
                handed.append(raw)
        return handed

    async def _own_pending(
        self, topic: str, group: str, consumer: str, count: int
    ) -> list[RawEntry]:
        stream = self._topic(topic)
        state = stream.groups[group]
        mine = [n for n, held in sorted(state.pending.items()) if held.consumer == consumer]
        return self._hand(stream, mine[:count], state, consumer)

    async def _claim_idle(
        self, topic: str, group: str, consumer: str, count: int
    ) -> list[RawEntry]:
        stream = self._topic(topic)
        state = stream.groups[group]
        oldest = self.clock.now_ns() - self.settings.claim_idle_ms * _NS_PER_MS
        idle = [
            n
            for n, held in sorted(state.pending.items())
            if held.consumer != consumer and held.delivered_ns <= oldest
        ]
        return self._hand(stream, idle[:count], state, consumer)

    async def _read_new(
        self, topic: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[RawEntry]:
        stream = self._topic(topic)
        state = stream.groups[group]
        taken = self._unseen(stream, state, count)
        if not taken and block_ms > 0:
            stream.arrived.clear()
            try:
                await asyncio.wait_for(stream.arrived.wait(), block_ms / 1000)
            except TimeoutError:
                return []
            taken = self._unseen(stream, state, count)
        if taken:
            state.next_index = taken[-1] + 1
        for number in taken:
            state.pending[number] = _Held(consumer, 0, 0)
        return self._hand(stream, taken, state, consumer)

    @staticmethod
    def _unseen(stream: _Topic, state: _Group, count: int) -> list[int]:
        start = bisect_left(stream.numbers, state.next_index, lo=stream.first)
        return stream.numbers[start : start + count]

    async def _ack(self, topic: str, group: str, message_id: str) -> None:
        self._topic(topic).groups[group].pending.pop(_number(message_id), None)

    async def _record_error(self, topic: str, group: str, message_id: str, error: str) -> None:
        held = self._topic(topic).groups[group].pending.get(_number(message_id))
        if held is not None:
            held.error = error

    async def _last_error(self, topic: str, group: str, message_id: str) -> str | None:
        held = self._topic(topic).groups[group].pending.get(_number(message_id))
        return None if held is None else held.error

    async def _dead_letter(self, topic: str, group: str, entry: RawEntry, error: str) -> None:
        number = self._next_number()
        letter = DeadLetter(
            dead_letter_id=_id(number),
            topic=topic,
            group=group,
            message_id=entry.message_id,
            deliveries=entry.deliveries,
            error=error,
            dead_lettered_ns=self.clock.now_ns(),
            message=self._summary(entry.data),
        )
        self._dead[number] = (letter, entry.data)
        await self._ack(topic, group, entry.message_id)

    async def pending(self, topic: str | None = None, limit: int = 100) -> list[PendingEntry]:
        """Return up to ``limit`` unacknowledged deliveries (of one topic, or of all)."""
        now = self.clock.now_ns()
        found: list[PendingEntry] = []
        names = [topic] if topic is not None else sorted(self._topics)
        for name in names:
            stream = self._topics.get(name)
            for group_name, state in sorted((stream.groups if stream else {}).items()):
                for number, held in sorted(state.pending.items()):
                    idle_ms = max(0, now - held.delivered_ns) // _NS_PER_MS
                    found.append(
                        PendingEntry(
                            name,
                            group_name,
                            held.consumer,
                            _id(number),
                            idle_ms,
                            held.deliveries,
                            held.error,
                        )
                    )
        return found[:limit]

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Return up to ``limit`` dead letters, oldest first."""
        return [letter for letter, _ in list(self._dead.values())[:limit]]

    async def requeue(self, dead_letter_id: str) -> Requeued:
        """Put a dead letter back on its topic for its group."""
        found = self._dead.pop(_number(dead_letter_id), None)
        if found is None:
            raise UnknownDeadLetterError(
                f"no dead letter {dead_letter_id!r}; list them with GET /admin/streams/dlq"
            )
        letter, data = found
        published = await self._append(letter.topic, data, None, letter.group)
        return Requeued(letter, published.message_id)

    async def close(self) -> None:
        """Nothing to release: the streams live and die with this object."""
