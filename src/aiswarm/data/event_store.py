"""Append events durably to a hash chain, replay them, and verify the chain.

Write ahead: a state change is appended here before it takes effect, so ``append`` returns only
once the event is committed (SQLite: WAL with ``synchronous=FULL``, so the commit is fsynced;
PostgreSQL: its default synchronous commit). The encoding and hash are specified in
``event_chain``.

Group commit. Appends join a queue; one writer task takes everything pending (up to
``max_batch``), numbers and hashes it in queue order, inserts it with one executemany in one
transaction, commits, and only then resolves each append. Many concurrent appenders therefore
share one fsync. If a commit fails, every append of that batch and every append still queued
gets a ``StoreError``, and the store refuses all later appends: nothing is acknowledged that was
not committed, and a store that failed once is not trusted again until the process restarts.
The converse is possible: a commit that reached the disk just before the connection broke is
reported failed, and replay will still show it.

One chain per database. PostgreSQL: each batch transaction takes an advisory lock and re-reads
the head inside it, so several processes may append to one database and still form one chain.
SQLite: one appending process per file. A second one is not silently forked, because the
primary key refuses a seq that exists, but its first colliding batch fails its store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from aiswarm.clock import Clock, to_ns
from aiswarm.data.event_chain import (
    ZERO_HASH,
    ChainReport,
    ChainVerifier,
    StoredEvent,
    pin_report,
    to_canonical_json,
    type_json,
)
from aiswarm.data.event_schema import ADVISORY_LOCK_KEY, events
from aiswarm.data.store_url import StoreUrl, describe_failure, parse_store_url
from aiswarm.errors import StoreError

__all__ = ["EventStore", "open_event_store"]

_log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
_HEAD_QUERY = sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)
_LOCK_SQL = f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})"
_INSERT_SQLITE = "INSERT INTO events (seq, ts_ns, type, payload, hash) VALUES (?, ?, ?, ?, ?)"
_INSERT_PG = "INSERT INTO events (seq, ts_ns, type, payload, hash) VALUES ($1, $2, $3, $4, $5)"
_VERIFY_PAGE = 10_000

# One queued append: type, type as JSON, ts_ns, payload text, the future its caller awaits.
_Pending = tuple[str, str, int, str, "asyncio.Future[StoredEvent]"]


async def open_event_store(url: str, clock: Clock, *, max_batch: int = 4096) -> EventStore:
    """Open (creating and migrating as needed) the event store at ``url``.

    Accepts ``sqlite+aiosqlite:///path``, ``postgresql+asyncpg://…`` and the same without a
    driver. Creates a SQLite file's folder. Any failure raises ``StoreError`` naming the URL
    (password hidden) and the fix: trading must not start without its store.
    """
    if max_batch < 1:
        raise ValueError(f"max_batch was {max_batch}; it must be at least 1 (default 4096)")
    target = parse_store_url(url)
    path = target.sqlite_path
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise target.unusable(exc) from exc
    engine = target.create_engine()
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, target.is_postgres)
            head = await _read_head(conn)
    except Exception as exc:
        await engine.dispose()
        raise target.unusable(exc) from exc
    _log.info("event store opened", extra={"store_url": target.shown, "head_seq": head[0]})
    return EventStore(engine, target, clock, head, max_batch)


def _upgrade(connection: Connection, is_postgres: bool) -> None:
    """Run the alembic migrations to head on ``connection`` (under the advisory lock on PG)."""
    if is_postgres:
        connection.exec_driver_sql(_LOCK_SQL)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def _read_head(conn: AsyncConnection) -> tuple[int, str]:
    """Return (last seq, last hash), or (0, ZERO_HASH) for an empty store."""
    row = (await conn.execute(_HEAD_QUERY)).first()
    if row is None:
        return 0, ZERO_HASH
    return int(row[0]), str(row[1])


class EventStore:
    """The append-only, hash-chained event log. Build it with ``open_event_store``."""

    def __init__(
        self,
        engine: AsyncEngine,
        target: StoreUrl,
        clock: Clock,
        head: tuple[int, str],
        max_batch: int,
    ) -> None:
        self._engine = engine
        self._target = target
        self._clock = clock
        self._head = head
        self._max_batch = max_batch
        self._insert_sql = _INSERT_PG if target.is_postgres else _INSERT_SQLITE
        self._loop = asyncio.get_running_loop()
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._types: dict[str, str] = {}
        self._failure: str | None = None
        self._closing = False
        self._writer = asyncio.create_task(self._write_forever(), name="event-store-writer")

    @property
    def url(self) -> str:
        """Return the store URL with any password hidden, for messages and logs."""
        return self._target.shown

    def head(self) -> tuple[int, str]:
        """Return (seq, hash) of the last record this store committed or read.

        On PostgreSQL another process may have appended since; ``verify`` reads the database.
        """
        return self._head

    def submit(self, event_type: str, payload: Mapping[str, Any]) -> asyncio.Future[StoredEvent]:
        """Queue one event and return the future that resolves once it is committed.

        For a caller that pipelines: events are numbered in the order ``submit`` is called.
        The type and payload are checked here, so a bad one fails its caller, not a batch.
        A future cancelled before its batch starts is dropped; after that it may be committed.
        """
        self._check_open()
        kind = self._types.get(event_type)
        if kind is None:
            kind = type_json(event_type)
            self._types[event_type] = kind
        text = to_canonical_json(payload)
        future: asyncio.Future[StoredEvent] = self._loop.create_future()
        self._pending.append((event_type, kind, self._clock.now_ns(), text, future))
        self._wakeup.set()
        return future

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> StoredEvent:
        """Append one event; return it once it is durably committed."""
        return await self.submit(event_type, payload)

    async def append_many(
        self, items: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> list[StoredEvent]:
        """Append ``(type, payload)`` items in order; return them once all are committed.

        Every item is checked before any is queued, so a bad item appends nothing.
        """
        checked = [(kind, to_canonical_json(payload)) for kind, payload in items]
        for kind, _ in checked:
            if kind not in self._types:
                self._types[kind] = type_json(kind)
        futures = [self._submit_text(kind, text) for kind, text in checked]
        return list(await asyncio.gather(*futures))

    def _submit_text(self, event_type: str, text: str) -> asyncio.Future[StoredEvent]:
        """Queue an already checked and encoded event."""
        self._check_open()
        future: asyncio.Future[StoredEvent] = self._loop.create_future()
        kind = self._types[event_type]
        self._pending.append((event_type, kind, self._clock.now_ns(), text, future))
        self._wakeup.set()
        return future

    def _check_open(self) -> None:
        """Raise ``StoreError`` if the store has failed or is closing."""
        if self._failure is not None:
            raise StoreError(self._failure)
        if self._closing:
            raise StoreError(f"event store {self.url} is closed; open it again to append")

    async def _write_forever(self) -> None:
        """Commit whatever is pending, batch after batch, until closed or failed."""
        try:
            while True:
                if not self._pending:
                    if self._closing or self._failure is not None:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._commit(batch)
        except BaseException as exc:
            self._fail(f"its writer stopped ({describe_failure(exc)})", exc, [])
            raise

    async def _commit(self, batch: list[_Pending]) -> None:
        """Number, hash, insert and commit one batch, then resolve its futures."""
        live = [item for item in batch if not item[4].cancelled()]
        if not live:
            return
        try:
            async with self._engine.begin() as conn:
                if self._target.is_postgres:
                    await conn.exec_driver_sql(_LOCK_SQL)
                    seq, prev_hex = await _read_head(conn)
                else:
                    seq, prev_hex = self._head
                rows = _chain_rows(live, seq, prev_hex)
                await conn.exec_driver_sql(self._insert_sql, rows)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the appenders
            self._fail(f"a commit failed ({describe_failure(exc)})", exc, live)
            await self._reread_head()
            return
        last = rows[-1]
        self._head = (last[0], last[4])
        for (seq, ts_ns, kind, text, hash_hex), item in zip(rows, live, strict=True):
            future = item[4]
            if not future.done():
                future.set_result(StoredEvent(seq, ts_ns, kind, text, hash_hex))

    def _fail(self, why: str, exc: BaseException, batch: list[_Pending]) -> None:
        """Refuse every later append and fail ``batch`` and everything still queued."""
        if self._failure is None:
            self._failure = (
                f"event store {self.url} refuses appends: {why}; nothing after the last "
                "acknowledged event was stored. Fix the store and restart the process"
            )
            _log.error("event store failed", extra={"store_url": self.url, "reason": why})
        queued, self._pending = batch + self._pending, []
        for item in queued:
            future = item[4]
            if not future.done():
                error = StoreError(self._failure)
                error.__cause__ = exc
                future.set_exception(error)

    async def _reread_head(self) -> None:
        """Refresh the cached head from the database after a failed commit, if it answers."""
        try:
            async with self._engine.connect() as conn:
                self._head = await _read_head(conn)
        except Exception as exc:  # noqa: BLE001 - the store has failed already; keep the head
            _log.warning("event store head unreadable", extra={"reason": describe_failure(exc)})

    async def replay(
        self,
        types: Collection[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        after_seq: int = 0,
        batch: int = 5000,
    ) -> AsyncIterator[StoredEvent]:
        """Yield committed events in seq order, filtered by type and by ts in [start, end).

        Reads page by page (keyset on seq), holding no connection between pages, so a caller
        may stop early or take its time.
        """
        if isinstance(types, str):
            raise TypeError(f"types was the string {types!r}; pass a collection, e.g. [{types!r}]")
        if types is not None and not types:
            return
        if batch < 1:
            raise ValueError(f"batch was {batch}; it must be at least 1")
        query = sa.select(
            events.c.seq, events.c.ts_ns, events.c.type, events.c.payload, events.c.hash
        )
        if types is not None:
            query = query.where(events.c.type.in_(sorted(types)))
        if start is not None:
            query = query.where(events.c.ts_ns >= to_ns(start))
        if end is not None:
            query = query.where(events.c.ts_ns < to_ns(end))
        query = query.order_by(events.c.seq).limit(batch)
        last = after_seq
        while True:
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query.where(events.c.seq > last))).all()
            for seq, ts_ns, kind, text, hash_hex in rows:
                yield StoredEvent(seq, ts_ns, kind, text, hash_hex)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    async def verify(self, expected_head: str | None = None) -> ChainReport:
        """Walk the whole chain in seq order, recomputing every hash; return what was found.

        ``expected_head`` is a head hash pinned elsewhere: without it, a rewritten tail whose
        hashes were all recomputed cannot be told from the real one (see ``event_chain``).
        """
        verifier = ChainVerifier()
        last = 0
        query = sa.text(
            "SELECT seq, ts_ns, type, payload, hash FROM events "
            "WHERE seq > :last ORDER BY seq LIMIT :page"
        )
        while not verifier.failed:
            async with self._engine.connect() as conn:
                result = await conn.execute(query, {"last": last, "page": _VERIFY_PAGE})
                rows = [tuple(row) for row in result]
            verifier.feed(rows, track=expected_head or "")
            if len(rows) < _VERIFY_PAGE:
                break
            last = rows[-1][0]
        return pin_report(verifier, expected_head)

    async def count(self) -> int:
        """Return how many events are stored."""
        async with self._engine.connect() as conn:
            return int((await conn.exec_driver_sql("SELECT count(*) FROM events")).scalar_one())

    async def close(self) -> None:
        """Commit every queued append, then release the database. Safe to call twice."""
        if not self._closing:
            self._closing = True
            self._wakeup.set()
            try:
                await self._writer
            finally:
                await self._engine.dispose()
                _log.info("event store closed", extra={"store_url": self.url})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def _chain_rows(
    batch: list[_Pending], seq: int, prev_hex: str
) -> list[tuple[int, int, str, str, str]]:
    """Return insert rows (seq, ts_ns, type, payload, hash) chaining ``batch`` after the head.

    The hot loop of every append: one f-string, one encode and one SHA-256 per event.
    """
    prev = bytes.fromhex(prev_hex)
    rows: list[tuple[int, int, str, str, str]] = []
    append = rows.append
    for kind, kind_json, ts_ns, text, _future in batch:
        seq += 1
        digest = sha256(prev)
        digest.update(f"[1,{seq},{ts_ns},{kind_json},{text}]".encode())
        prev = digest.digest()
        append((seq, ts_ns, kind, text, prev.hex()))
    return rows
