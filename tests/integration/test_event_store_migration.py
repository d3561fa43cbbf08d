"""A store created at revision 0001, with records in it, upgrades to accounts and keeps verifying.

The legacy records are written as the 0001 code wrote them: raw SQL into the five 0001 columns,
hashed here by hand with encoding version 1, independently of ``event_chain``. Opening the store
runs migration 0002; the old records then read back with account ``""`` and still verify, and
new records (version 2, with an account) chain onto them. Both databases: a SQLite file and a
fresh PostgreSQL schema.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import aiswarm.store
from aiswarm.clock import SimulatedClock
from aiswarm.store import open_event_store
from aiswarm.store.event_store import SCHEMA_HEAD
from aiswarm.store.store_url import parse_store_url
from aiswarm.types import EventType

pytestmark = pytest.mark.integration

PG_URL = os.environ.get("AIS_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
MIGRATIONS = Path(aiswarm.store.__file__).with_name("migrations")
T0 = 1_709_251_200_000_000_000
LEGACY = 7

Legacy = tuple[int, int, str, str, str]


def legacy_rows(count: int) -> list[Legacy]:
    """Return (seq, ts_ns, type, payload, hash) rows chained with version 1 bytes, by hand."""
    rows: list[Legacy] = []
    prev = bytes(32)
    for seq in range(1, count + 1):
        kind = "order.submitted" if seq % 2 else "order.event"
        payload = f'{{"n":{seq},"qty":"0.{seq}"}}'
        prev = hashlib.sha256(prev + f'[1,{seq},{T0 + seq},"{kind}",{payload}]'.encode()).digest()
        rows.append((seq, T0 + seq, kind, payload, prev.hex()))
    return rows


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def create_at_0001(url: str) -> None:
    """Create the schema exactly as revision 0001 left it, with no records."""
    engine = parse_store_url(url).create_engine()
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to, "0001")
    finally:
        await engine.dispose()


async def sqlite_store_at_0001(tmp_path: Path) -> tuple[str, str]:
    """Return (store URL, index names SQL) for a 0001 SQLite file holding LEGACY records."""
    path = tmp_path / "events.db"
    url = f"sqlite+aiosqlite:///{path}"
    await create_at_0001(url)
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", legacy_rows(LEGACY))
    connection.close()
    return url, "SELECT name FROM sqlite_master WHERE type = 'index'"


async def pg_store_at_0001(schema: str) -> tuple[str, str]:
    """Return (store URL, index names SQL) for a 0001 PostgreSQL schema holding LEGACY records."""
    url = f"{PG_URL}?search_path={schema}"
    await create_at_0001(url)
    connection = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await connection.executemany(
            f"INSERT INTO {schema}.events VALUES ($1, $2, $3, $4, $5)", legacy_rows(LEGACY)
        )
    finally:
        await connection.close()
    return url, f"SELECT indexname FROM pg_indexes WHERE schemaname = '{schema}'"


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_at_0001(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    """Yield (URL, index names SQL) of a 0001 store with LEGACY records, on each database."""
    if request.param == "sqlite":
        yield await sqlite_store_at_0001(tmp_path)
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield await pg_store_at_0001(schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


async def test_open_when_store_at_0001_holds_records_then_upgraded_and_whole_chain_verifies(
    store_at_0001: tuple[str, str],
) -> None:
    # Arrange
    url, index_sql = store_at_0001
    legacy = legacy_rows(LEGACY)
    clock = SimulatedClock(datetime(2024, 3, 2, tzinfo=UTC))

    # Act
    async with await open_event_store(url, clock) as store:
        before = await store.verify()
        old = [event async for event in store.replay()]
        legacy_head = await store.account_head("")
        new = await store.append(EventType.ORDER_EVENT, {"n": 8}, account="acct-1")
        after = await store.verify(expected_head=new.hash)
        of_account = [event.seq async for event in store.replay(account="acct-1")]
        async with store._engine.connect() as conn:  # what the migration left behind
            revision = (await conn.exec_driver_sql("SELECT * FROM alembic_version")).scalar()
            indexes = set((await conn.exec_driver_sql(index_sql)).scalars())

    # Assert
    assert revision == "0002"
    assert "ix_events_account_seq" in indexes
    assert (before.ok, before.checked, before.head_hash) == (True, LEGACY, legacy[-1][4])
    assert [(e.seq, e.ts_ns, e.account, e.type, e.payload_text, e.hash) for e in old] == [
        (seq, ts_ns, "", kind, text, hash_hex) for seq, ts_ns, kind, text, hash_hex in legacy
    ]
    assert legacy_head == (LEGACY, legacy[-1][4], legacy[-1][1])
    by_hand = hashlib.sha256(
        bytes.fromhex(legacy[-1][4])
        + f'[2,8,{new.ts_ns},"acct-1","order.event",{{"n":8}}]'.encode()
    ).hexdigest()
    assert (new.seq, new.hash) == (8, by_hand)
    assert (after.ok, after.checked) == (True, LEGACY + 1)
    assert of_account == [8]


def test_schema_head_when_compared_with_the_migration_scripts_then_is_alembic_head() -> None:
    # Arrange: a store at SCHEMA_HEAD skips alembic, so a new migration must move it
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")

    # Act
    head = ScriptDirectory.from_config(config).get_current_head()

    # Assert
    assert head == SCHEMA_HEAD
