"""Append events durably to a hash chain, replay them, and verify the chain.

Write ahead: a state change is appended here before it takes effect, so ``append`` returns only
once the event is committed (SQLite: WAL with ``synchronous=FULL``, so the commit is fsynced;
PostgreSQL: its default synchronous commit). The encoding and hash are specified in
``event_chain``.

Group commit. Appends join a queue; one writer task takes everything pending (up to
``max_batch``), numbers and hashes it in queue order, inserts it in one transaction (see
``event_writer``), commits, and only then resolves each append. Many concurrent appenders therefore
share one fsync. If a commit fails, every append of that batch and every append still queued
gets a ``StoreError``, and the store refuses all later appends: nothing is acknowledged that was
not committed, and a store that failed once is not trusted again until the process restarts.
The converse is possible: a commit that reached the disk just before the connection broke is
reported failed, and replay will still show it.

One chain per database. PostgreSQL: each batch transaction takes an advisory lock and checks
the head inside it, so several processes may append to one database and still form one chain.
SQLite: one appending process per file. A second one is not silently forked, because the
primary key refuses a seq that exists, but its first colliding batch fails its store.

Accounts are streams within that one chain. Every append names its account (``journal``
binds one, for code that should not know accounts), ``replay`` can keep to one account, and
``account_head`` reads an account's last record. One chain, not one per account, so ``verify``
still proves the whole log in a single walk and no record can move between streams unseen.
Only types registered in ``aiswarm.types.EventType`` are accepted (see ``append_checks``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from aiswarm.clock import Clock
from aiswarm.errors import StoreError
from aiswarm.store.account_journal import AccountJournal
from aiswarm.store.append_checks import account_json, type_json
from aiswarm.store.event_chain import ChainReport, StoredEvent, to_canonical_json
from aiswarm.store.event_reader import (
    AccountHead,
    account_head_of,
    count_events,
    head_of,
    read_head,
    replay_events,
    verify_chain,
)
from aiswarm.store.event_schema import ADVISORY_LOCK_KEY
from aiswarm.store.event_writer import BatchWriter, Queued, open_batch_writer
from aiswarm.store.store_url import StoreUrl, describe_failure, parse_store_url

__all__ = ["AppendObserver", "EventStore", "open_event_store"]

_log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_HEAD = "0002"
"""The newest migration's revision (``migrations/versions``); a test checks alembic agrees."""
_LOCK_SQL = f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})"


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
            head = await read_head(conn)
        writer = await open_batch_writer(engine, target.is_postgres)
    except Exception as exc:
        await engine.dispose()
        raise target.unusable(exc) from exc
    _log.info("event store opened", extra={"store_url": target.shown, "head_seq": head[0]})
    return EventStore(engine, writer, target, clock, head, max_batch)


class AppendObserver(Protocol):
    """Told of every committed append (see ``EventStore.observe``)."""

    def monotonic_ns(self) -> int:
        """Return a monotonic counter for timing appends (nanoseconds)."""
        ...

    def committed(self, event: StoredEvent, latency_ns: int) -> None:
        """Take one committed record and how long it waited from queueing to commit."""
        ...


def _committed_callback(
    observer: AppendObserver, queued_ns: int
) -> Callable[[asyncio.Future[StoredEvent]], None]:
    def done(future: asyncio.Future[StoredEvent]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        observer.committed(future.result(), observer.monotonic_ns() - queued_ns)

    return done


def _upgrade(connection: Connection, is_postgres: bool) -> None:
    """Run the alembic migrations to head on ``connection`` (under the advisory lock on PG).

    A store already at ``SCHEMA_HEAD`` needs nothing, so alembic (about a tenth of a second
    to import) is loaded only when there is something to migrate: `aiswarm events list`
    starts quickly (docs/performance.md).
    """
    if is_postgres:
        connection.exec_driver_sql(_LOCK_SQL)
    if schema_revision(connection) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def schema_revision(connection: Connection) -> str | None:
    """Return the revision alembic recorded in the store, or None for a store not yet made."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return str(versions[0][0]) if len(versions) == 1 else None


class EventStore:
    """The append-only, hash-chained event log. Build it with ``open_event_store``."""

    def __init__(
        self,
        engine: AsyncEngine,
        writer: BatchWriter,
        target: StoreUrl,
        clock: Clock,
        head: tuple[int, str],
        max_batch: int,
    ) -> None:
        self._engine = engine
        self._batch_writer = writer
        self._target = target
        self._clock = clock
        self._head = head
        self._max_batch = max_batch
        self._loop = asyncio.get_running_loop()
        self._pending: list[Queued] = []
        self._wakeup = asyncio.Event()
        # account -> (the account as a plain str, its JSON), checked once per account
        self._accounts: dict[str, tuple[str, str]] = {}
        self._failure: str | None = None
        self._closing = False
        self._observer: AppendObserver | None = None
        self._writer = asyncio.create_task(self._write_forever(), name="event-store-writer")

    @property
    def url_for_display(self) -> str:
        """Return the store URL with any password hidden, for messages and logs."""
        return self._target.shown

    def submit(
        self, event_type: str, payload: Mapping[str, Any], *, account: str
    ) -> asyncio.Future[StoredEvent]:
        """Queue one event of ``account`` and return the future that resolves once committed.

        For a caller that pipelines: events are numbered in the order ``submit`` is called.
        The type (registered in ``EventType``), the account (1-128 printable characters) and
        the payload are checked here, so a bad one fails its caller, not a batch. A future
        cancelled before its batch starts is dropped; after that it may be committed.
        """
        self._check_open()
        kind, kind_json = type_json(event_type)
        stream, stream_json = self._account(account)
        return self._queue(kind, kind_json, stream, stream_json, to_canonical_json(payload))

    async def append(
        self, event_type: str, payload: Mapping[str, Any], *, account: str
    ) -> StoredEvent:
        """Append one event of ``account``; return it once it is durably committed."""
        return await self.submit(event_type, payload, account=account)

    async def append_many(
        self, items: Iterable[tuple[str, Mapping[str, Any]]], *, account: str
    ) -> list[StoredEvent]:
        """Append ``(type, payload)`` items of ``account`` in order; return them once committed.

        Every item is checked before any is queued, so a bad item appends nothing.
        """
        stream, stream_json = self._account(account)
        checked = [(*type_json(kind), to_canonical_json(payload)) for kind, payload in items]
        self._check_open()
        futures = [
            self._queue(kind, kind_json, stream, stream_json, text)
            for kind, kind_json, text in checked
        ]
        return list(await asyncio.gather(*futures))

    @property
    def refusal(self) -> str | None:
        """Return why appends are refused now (a failed commit, a close), or None if accepted."""
        if self._failure is not None:
            return self._failure
        return f"event store {self.url_for_display} is closed" if self._closing else None

    def use_clock(self, clock: Clock) -> None:
        """Stamp later appends with ``clock``'s time (the host's pacing clock, once chosen).

        A store is opened before the host knows where its accounts' streams left off; once it
        does, it sets the clock that carries on from there, so stamps never go backwards.
        """
        self._clock = clock

    def observe(self, observer: AppendObserver | None) -> None:
        """Tell ``observer`` of every append once it is committed (metrics); None stops it.

        The observer times each append from queueing to commit on its own clock (a wall
        clock: the store's clock may be simulated) and sees the committed record's type and
        payload. It must not raise or block: it runs in the future's done callback.
        """
        self._observer = observer

    def journal(self, account: str) -> AccountJournal:
        """Return a journal that appends to this store as ``account`` (checked now).

        It satisfies ``execution.EventJournal``, so the OMS, risk and coordinator code write to
        one account's stream without knowing accounts exist.
        """
        self._account(account)
        return AccountJournal(self, account)

    def _account(self, account: str) -> tuple[str, str]:
        """Return ``(account, account as JSON)``, checking each account once."""
        found = self._accounts.get(account)
        if found is None:
            found = self._accounts[account] = (str(account), account_json(account))
        return found

    def _queue(
        self, kind: str, kind_json: str, account: str, account_json: str, text: str
    ) -> asyncio.Future[StoredEvent]:
        """Queue a checked and encoded event for the writer."""
        future: asyncio.Future[StoredEvent] = self._loop.create_future()
        now_ns = self._clock.now_ns()
        self._pending.append((kind, kind_json, account, account_json, now_ns, text, future))
        observer = self._observer
        if observer is not None:
            future.add_done_callback(_committed_callback(observer, observer.monotonic_ns()))
        self._wakeup.set()
        return future

    def _check_open(self) -> None:
        """Raise ``StoreError`` if the store has failed or is closing."""
        if self._failure is not None:
            raise StoreError(self._failure)
        if self._closing:
            raise StoreError(
                f"event store {self.url_for_display} is closed; open it again to append"
            )

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
            self._mark_failed(f"its writer stopped ({describe_failure(exc)})")
            self._reject_queued(exc, [])
            raise

    async def _commit(self, batch: list[Queued]) -> None:
        """Number, hash, insert and commit one batch, then resolve its futures."""
        live = [item for item in batch if not item[-1].cancelled()]
        if not live:
            return
        try:
            rows = await self._batch_writer.write(live, self._head)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the appenders
            # Refuse new appends at once; fail the waiting ones after the head is re-read, so a
            # caller that sees the error also sees the head as the database has it.
            self._mark_failed(f"a commit failed ({describe_failure(exc)})")
            await self._reread_head()
            self._reject_queued(exc, live)
            return
        except BaseException as exc:
            self._mark_failed("its writer was cancelled mid-commit")
            self._reject_queued(exc, live)
            raise
        last = rows[-1]
        self._head = (last[0], last[5])
        for row, item in zip(rows, live, strict=True):
            future = item[-1]
            if not future.done():
                future.set_result(StoredEvent(*row))

    def _mark_failed(self, why: str) -> None:
        """Refuse every later append, for good: a store that failed once is not trusted."""
        if self._failure is None:
            self._failure = (
                f"event store {self.url_for_display} refuses appends: {why}; events that were not "
                "acknowledged may be missing. Fix the store and restart the process"
            )
            _log.error(
                "event store failed", extra={"store_url": self.url_for_display, "reason": why}
            )

    def _reject_queued(self, exc: BaseException, batch: list[Queued]) -> None:
        """Fail the appends of ``batch`` and every append still queued."""
        queued, self._pending = batch + self._pending, []
        for item in queued:
            future = item[-1]
            if not future.done():
                error = StoreError(self._failure)
                error.__cause__ = exc
                future.set_exception(error)

    async def _reread_head(self) -> None:
        """Refresh the cached head from the database after a failed commit, if it answers."""
        try:
            async with self._engine.connect() as conn:
                self._head = await read_head(conn)
        except Exception as exc:  # noqa: BLE001 - the store has failed already; keep the head
            _log.warning("event store head unreadable", extra={"reason": describe_failure(exc)})

    def replay(
        self,
        types: Collection[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        after_seq: int = 0,
        batch: int = 5000,
        *,
        account: str | None = None,
    ) -> AsyncGenerator[StoredEvent, None]:
        """Yield committed events after ``after_seq`` in seq order, by type and ts in [start, end).

        Reads ``batch`` rows a page (keyset on seq) and holds no connection between pages, so a
        caller may stop early or take its time. ``types=None`` means every type and
        ``account=None`` every account; with an account, only its stream (an index range scan).
        """
        shown = self.url_for_display
        return replay_events(self._engine, shown, types, start, end, after_seq, batch, account)

    async def verify(self, expected_head: str | None = None) -> ChainReport:
        """Walk the whole chain in seq order, recomputing every hash; return what was found.

        ``expected_head`` is a head hash pinned elsewhere: without it, a rewritten tail whose
        hashes were all recomputed cannot be told from the real one (see ``event_chain``).
        """
        return await verify_chain(self._engine, self.url_for_display, expected_head)

    async def head(self) -> tuple[int, str]:
        """Return (seq, hash) of the last stored record, read from the database now.

        ``(0, ZERO_HASH)`` when empty. On PostgreSQL this includes other processes' appends.
        """
        return await head_of(self._engine, self.url_for_display)

    async def account_head(self, account: str) -> AccountHead:
        """Return (seq, hash, ts_ns) of ``account``'s last record, read from the database now.

        ``(0, ZERO_HASH, 0)`` when the account has none. The hash is a link of the one chain, so
        to trust an account's head, ``verify`` the whole chain, then read this record (see
        docs/event-store.md). ``""`` reads the legacy records written before accounts.
        """
        return await account_head_of(self._engine, self.url_for_display, account)

    async def count(self) -> int:
        """Return how many events are stored."""
        return await count_events(self._engine, self.url_for_display)

    async def close(self) -> None:
        """Commit every queued append, then release the database. Safe to call twice."""
        if not self._closing:
            self._closing = True
            self._wakeup.set()
            try:
                await self._writer
            finally:
                try:
                    await self._batch_writer.close(broken=self._failure is not None)
                finally:
                    await self._engine.dispose()
                _log.info("event store closed", extra={"store_url": self.url_for_display})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
