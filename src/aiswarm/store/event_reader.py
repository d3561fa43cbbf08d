"""Read the event store: heads, count, replay and chain verification, page by page.

Every read takes a pooled connection for one page and gives it back before yielding, so a
slow consumer never holds a connection (or, on SQLite, a read snapshot) between pages. Database
failures become ``StoreError``s that name the store and say what to check.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from aiswarm.clock import to_ns
from aiswarm.errors import StoreError
from aiswarm.store.event_chain import ZERO_HASH, ChainReport, ChainVerifier, StoredEvent, pin_report
from aiswarm.store.event_schema import events
from aiswarm.store.store_url import describe_failure

__all__ = [
    "AccountHead",
    "account_head_of",
    "count_events",
    "head_of",
    "read_head",
    "replay_events",
    "verify_chain",
]

VERIFY_PAGE = 10_000

_COLUMNS = (
    events.c.seq,
    events.c.ts_ns,
    events.c.account,
    events.c.type,
    events.c.payload,
    events.c.hash,
)
_HEAD = sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)
_ACCOUNT_HEAD = (
    sa.select(events.c.seq, events.c.hash, events.c.ts_ns)
    .where(events.c.account == sa.bindparam("account"))
    .order_by(events.c.seq.desc())
    .limit(1)
)
_COUNT = sa.select(sa.func.count()).select_from(events)


class AccountHead(NamedTuple):
    """The last record of one account's stream: its seq, its hash and when it was appended.

    The hash is a link of the one chain every account shares, so it covers the whole log up
    to ``seq``, other accounts' records included. ``(0, ZERO_HASH, 0)`` when the account has
    no records.
    """

    seq: int
    hash: str
    ts_ns: int


@asynccontextmanager
async def _reading(engine: AsyncEngine, shown: str) -> AsyncIterator[AsyncConnection]:
    """Yield a connection; turn a database failure into a StoreError naming the store."""
    try:
        async with engine.connect() as conn:
            yield conn
    except (SQLAlchemyError, OSError) as exc:
        raise StoreError(
            f"event store {shown} could not be read ({describe_failure(exc)}); "
            "check that the database is up and the events table exists"
        ) from exc


async def read_head(conn: AsyncConnection) -> tuple[int, str]:
    """Return (last seq, last hash), or (0, ZERO_HASH) for an empty store."""
    row = (await conn.execute(_HEAD)).first()
    if row is None:
        return 0, ZERO_HASH
    return int(row[0]), str(row[1])


async def head_of(engine: AsyncEngine, shown: str) -> tuple[int, str]:
    """Return the head as the database has it now."""
    async with _reading(engine, shown) as conn:
        return await read_head(conn)


async def account_head_of(engine: AsyncEngine, shown: str, account: str) -> AccountHead:
    """Return the head of ``account``'s stream as the database has it now."""
    async with _reading(engine, shown) as conn:
        row = (await conn.execute(_ACCOUNT_HEAD, {"account": account})).first()
    if row is None:
        return AccountHead(0, ZERO_HASH, 0)
    return AccountHead(int(row[0]), str(row[1]), int(row[2]))


async def count_events(engine: AsyncEngine, shown: str) -> int:
    """Return how many events are stored."""
    async with _reading(engine, shown) as conn:
        return int((await conn.execute(_COUNT)).scalar_one())


async def replay_events(
    engine: AsyncEngine,
    shown: str,
    types: Collection[str] | None,
    start: datetime | None,
    end: datetime | None,
    after_seq: int,
    batch: int,
    account: str | None = None,
) -> AsyncGenerator[StoredEvent, None]:
    """Yield stored events in seq order, filtered by account, type and ts in [start, end)."""
    if isinstance(types, str):
        raise TypeError(f"types was the string {types!r}; pass a collection, e.g. [{types!r}]")
    if batch < 1:
        raise ValueError(f"batch was {batch}; it must be at least 1 (default 5000)")
    if types is not None and not types:
        return
    query = sa.select(*_COLUMNS)
    if account is not None:
        query = query.where(events.c.account == account)
    if types is not None:
        query = query.where(events.c.type.in_(sorted(types)))
    if start is not None:
        query = query.where(events.c.ts_ns >= to_ns(start))
    if end is not None:
        query = query.where(events.c.ts_ns < to_ns(end))
    query = query.order_by(events.c.seq).limit(batch)
    last = after_seq
    while True:
        async with _reading(engine, shown) as conn:
            rows = (await conn.execute(query.where(events.c.seq > last))).all()
        for seq, ts_ns, stream, kind, text, hash_hex in rows:
            yield StoredEvent(seq, ts_ns, stream, kind, text, hash_hex)
        if len(rows) < batch:
            return
        last = rows[-1][0]


async def verify_chain(engine: AsyncEngine, shown: str, expected_head: str | None) -> ChainReport:
    """Walk the whole chain with keyset pages on seq, recomputing every hash."""
    verifier = ChainVerifier()
    query = sa.select(*_COLUMNS).order_by(events.c.seq).limit(VERIFY_PAGE)
    last = 0
    while not verifier.failed:
        async with _reading(engine, shown) as conn:
            result = await conn.execute(query.where(events.c.seq > last))
            rows = [
                (seq, ts_ns, stream, kind, text, hash_hex)
                for seq, ts_ns, stream, kind, text, hash_hex in result
            ]
        verifier.feed(rows, track=expected_head or "")
        if len(rows) < VERIFY_PAGE:
            break
        last = rows[-1][0]
    return pin_report(verifier, expected_head)
