"""Keep the bus's streams in Redis Streams: many processes, one set of topics, nothing lost.

A topic is the stream ``<prefix>stream:<topic>`` (entries ``m`` = the envelope's bytes, and
``g`` = the one group a requeued message is for); consumer groups are Redis consumer groups
(XGROUP, XREADGROUP, XACK), a dead consumer's messages are taken over with XPENDING and XCLAIM
and their delivery counts are Redis's own. Publication checks and sets the idempotency key
``<prefix>key:<topic>:<key>`` (with a TTL) and appends in one Lua script, so a crash between
the two cannot drop a message or let a duplicate through. Errors of pending entries live in the
hash ``<prefix>errors:<topic>``; dead letters in the stream ``<prefix>dlq``; the topics ever
written in the set ``<prefix>topics``.

Crash-only: all of that state is Redis's; with Redis persistence (AOF) on, it survives a
restart of any process and of Redis. A restarted consumer gets its unacknowledged messages
back first; a consumer that never returns has them taken over by its group after
``claim_idle_ms``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from aiswarm.bus.contract import (
    BusError,
    BusSettings,
    DeadLetter,
    PendingEntry,
    Requeued,
    UnknownDeadLetterError,
)
from aiswarm.bus.records import BUS_RECORDS, RecordTypes
from aiswarm.bus.stream_bus import Published, RawEntry, StreamBus
from aiswarm.clock import Clock

__all__ = ["RedisStreamsBus"]

_STREAM_ID = re.compile(r"^[0-9]{1,20}-[0-9]{1,20}$")
_PENDING_SCAN = 1_000
_CREDENTIALS = re.compile(r"//[^@/]*@")

_PUBLISH = """
-- KEYS[1] stream, KEYS[2] topics set, KEYS[3] idempotency key (optional)
-- ARGV: data, only group ('' for all), key ttl ms, max length, topic
if KEYS[3] then
  local existing = redis.call('GET', KEYS[3])
  if existing then return {existing, 1} end
end
local id
if ARGV[2] ~= '' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'm', ARGV[1], 'g', ARGV[2])
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'm', ARGV[1])
end
if KEYS[3] then redis.call('SET', KEYS[3], id, 'PX', ARGV[3]) end
redis.call('SADD', KEYS[2], ARGV[5])
return {id, 0}
"""

_REQUEUE = """
-- KEYS[1] dead-letter stream; ARGV: dead-letter id, key prefix, max length
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return false end
local fields = {}
local flat = found[1][2]
for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
local id = redis.call('XADD', ARGV[2] .. 'stream:' .. fields['topic'], 'MAXLEN', '~', ARGV[3],
  '*', 'm', fields['m'], 'g', fields['group'])
redis.call('XDEL', KEYS[1], ARGV[1])
return {id, flat}
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _done(value: object) -> Any:
    """Await a redis-py call and return its raw reply.

    redis-py's stubs type the sync and async clients as one (``T | Awaitable[T]``), and the
    replies are nested lists and mappings read field by field below, so they stay ``Any``.
    """
    if isinstance(value, Awaitable):
        return await value
    return value


class RedisStreamsBus(StreamBus):
    """The bus over Redis Streams; see the module docstring."""

    def __init__(
        self,
        url: str,
        clock: Clock,
        settings: BusSettings | None = None,
        records: RecordTypes = BUS_RECORDS,
        prefix: str = "aiswarm:",
    ) -> None:
        super().__init__(clock, settings or BusSettings(), records)
        self._url = url
        self._prefix = prefix
        self._client = redis.Redis.from_url(url, decode_responses=False)
        self._publish = self._client.register_script(_PUBLISH)
        self._requeue = self._client.register_script(_REQUEUE)

    @property
    def url_for_display(self) -> str:
        """Return the Redis URL without credentials."""
        return _CREDENTIALS.sub("//***@", self._url)

    @asynccontextmanager
    async def _reaching(self) -> AsyncIterator[None]:
        """Turn an unreachable Redis into a ``BusError`` that names it."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise BusError(
                f"Redis at {self.url_for_display} is unreachable ({exc}); start it or fix bus.url"
            ) from None

    async def ping(self) -> None:
        """Raise ``BusError`` unless Redis answers."""
        async with self._reaching():
            await _done(self._client.ping())

    def _stream(self, topic: str) -> str:
        return f"{self._prefix}stream:{topic}"

    def _errors(self, topic: str) -> str:
        return f"{self._prefix}errors:{topic}"

    @property
    def _dlq(self) -> str:
        return f"{self._prefix}dlq"

    async def _append(
        self, topic: str, data: bytes, key: str | None, only_group: str | None
    ) -> Published:
        keys = [self._stream(topic), f"{self._prefix}topics"]
        if key is not None:
            keys.append(f"{self._prefix}key:{topic}:{key}")
        args: list[str | bytes | int] = [
            data,
            only_group or "",
            self.settings.idempotency_ttl_ms,
            self.settings.max_stream_length,
            topic,
        ]
        message_id, duplicate = await self._publish(keys=keys, args=args)
        return Published(_text(message_id), duplicate=bool(duplicate))

    async def _create_group(self, topic: str, group: str) -> None:
        try:
            await _done(self._client.xgroup_create(self._stream(topic), group, "0", mkstream=True))
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        await _done(self._client.sadd(f"{self._prefix}topics", topic))

    async def _entries(
        self, topic: str, group: str, consumer: str, found: list[Any], counted: bool
    ) -> list[RawEntry]:
        """Turn XREADGROUP/XCLAIM entries into raw entries with their delivery counts."""
        counts: dict[str, int] = {}
        if counted and found:
            ids = [_text(message_id) for message_id, _ in found]
            ordered = sorted(ids, key=_order)
            rows = await _done(
                self._client.xpending_range(
                    self._stream(topic), group, ordered[0], ordered[-1], _PENDING_SCAN, consumer
                )
            )
            counts = {_text(row["message_id"]): int(row["times_delivered"]) for row in rows}
        entries: list[RawEntry] = []
        for raw_id, fields in found:
            message_id = _text(raw_id)
            if not fields:  # trimmed away while pending: nothing left to deliver
                await self._ack(topic, group, message_id)
                continue
            only = fields.get(b"g")
            entries.append(
                RawEntry(
                    message_id,
                    fields[b"m"],
                    None if only is None else _text(only),
                    counts.get(message_id, 1),
                )
            )
        return entries

    async def _own_pending(
        self, topic: str, group: str, consumer: str, count: int
    ) -> list[RawEntry]:
        reply = await _done(
            self._client.xreadgroup(group, consumer, {self._stream(topic): "0"}, count=count)
        )
        found = reply[0][1] if reply else []
        return await self._entries(topic, group, consumer, found, counted=True)

    async def _claim_idle(
        self, topic: str, group: str, consumer: str, count: int
    ) -> list[RawEntry]:
        stream, idle_ms = self._stream(topic), self.settings.claim_idle_ms
        rows = await _done(
            self._client.xpending_range(stream, group, "-", "+", _PENDING_SCAN, idle=idle_ms)
        )
        others = [row["message_id"] for row in rows if _text(row["consumer"]) != consumer]
        if not others:
            return []
        claimed = await _done(self._client.xclaim(stream, group, consumer, idle_ms, others[:count]))
        return await self._entries(topic, group, consumer, claimed, counted=True)

    async def _read_new(
        self, topic: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[RawEntry]:
        reply = await _done(
            self._client.xreadgroup(
                group, consumer, {self._stream(topic): ">"}, count=count, block=block_ms or None
            )
        )
        found = reply[0][1] if reply else []
        return await self._entries(topic, group, consumer, found, counted=False)

    async def _ack(self, topic: str, group: str, message_id: str) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xack(self._stream(topic), group, message_id)
            pipe.hdel(self._errors(topic), f"{message_id} {group}")
            await pipe.execute()

    async def _record_error(self, topic: str, group: str, message_id: str, error: str) -> None:
        await _done(self._client.hset(self._errors(topic), f"{message_id} {group}", error))

    async def _last_error(self, topic: str, group: str, message_id: str) -> str | None:
        error = await _done(self._client.hget(self._errors(topic), f"{message_id} {group}"))
        return None if error is None else _text(error)

    async def _dead_letter(self, topic: str, group: str, entry: RawEntry, error: str) -> None:
        fields: dict[bytes | bytearray | memoryview[int] | str | int | float, Any] = {
            "topic": topic,
            "group": group,
            "message_id": entry.message_id,
            "deliveries": entry.deliveries,
            "error": error,
            "ts_ns": self.clock.now_ns(),
            "m": entry.data,
        }
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xadd(self._dlq, fields, maxlen=self.settings.max_stream_length)
            pipe.xack(self._stream(topic), group, entry.message_id)
            pipe.hdel(self._errors(topic), f"{entry.message_id} {group}")
            await pipe.execute()

    async def pending(self, topic: str | None = None, limit: int = 100) -> list[PendingEntry]:
        """Return up to ``limit`` unacknowledged deliveries (of one topic, or of all)."""
        async with self._reaching():
            if topic is None:
                members = await _done(self._client.smembers(f"{self._prefix}topics"))
                topics = sorted(_text(name) for name in members)
            else:
                topics = [topic]
            found: list[PendingEntry] = []
            for name in topics:
                found += await self._pending_of(name, limit - len(found))
                if len(found) >= limit:
                    break
            return found

    async def _pending_of(self, topic: str, limit: int) -> list[PendingEntry]:
        stream = self._stream(topic)
        try:
            groups = await _done(self._client.xinfo_groups(stream))
        except ResponseError:  # no such stream: nothing was ever published or read there
            return []
        found: list[PendingEntry] = []
        for info in sorted(groups, key=lambda info: _text(info["name"])):
            group = _text(info["name"])
            rows = await _done(self._client.xpending_range(stream, group, "-", "+", limit))
            fields = [f"{_text(row['message_id'])} {group}" for row in rows]
            errors = await _done(self._client.hmget(self._errors(topic), fields)) if fields else []
            for row, error in zip(rows, errors, strict=True):
                found.append(
                    PendingEntry(
                        topic=topic,
                        group=group,
                        consumer=_text(row["consumer"]),
                        message_id=_text(row["message_id"]),
                        idle_ms=int(row["time_since_delivered"]),
                        deliveries=int(row["times_delivered"]),
                        last_error=None if error is None else _text(error),
                    )
                )
        return found[:limit]

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Return up to ``limit`` dead letters, oldest first."""
        async with self._reaching():
            rows = await _done(self._client.xrange(self._dlq, "-", "+", count=limit))
        return [self._letter(_text(letter_id), fields) for letter_id, fields in rows or []]

    def _letter(self, letter_id: str, fields: dict[bytes, bytes]) -> DeadLetter:
        return DeadLetter(
            dead_letter_id=letter_id,
            topic=_text(fields[b"topic"]),
            group=_text(fields[b"group"]),
            message_id=_text(fields[b"message_id"]),
            deliveries=int(fields[b"deliveries"]),
            error=_text(fields[b"error"]),
            dead_lettered_ns=int(fields[b"ts_ns"]),
            message=self._summary(fields[b"m"]),
        )

    async def requeue(self, dead_letter_id: str) -> Requeued:
        """Put a dead letter back on its topic for its group."""
        if not _STREAM_ID.match(dead_letter_id):
            raise UnknownDeadLetterError(
                f"dead letter id {dead_letter_id!r} is not a stream id; ids read like "
                "1764612000000-0 (list them with GET /admin/streams/dlq)"
            )
        async with self._reaching():
            args: list[str | int] = [
                dead_letter_id,
                self._prefix,
                self.settings.max_stream_length,
            ]
            reply = await self._requeue(keys=[self._dlq], args=args)
        if reply is None:
            raise UnknownDeadLetterError(
                f"no dead letter {dead_letter_id!r}; list them with GET /admin/streams/dlq"
            )
        new_id, flat = reply
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        return Requeued(self._letter(dead_letter_id, fields), _text(new_id))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _order(message_id: str) -> tuple[int, int]:
    millis, _, seq = message_id.partition("-")
    return int(millis), int(seq)
