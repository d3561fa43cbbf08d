"""The event store on a real PostgreSQL server, one fresh schema per test.

The server must be running (CI starts it): an unreachable server fails these tests, it does not
skip them. Set AIS_TEST_PG_URL to use another server.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.errors import StoreError
from aiswarm.store import ZERO_HASH, EventStore, open_event_store
from aiswarm.types import EventType

pytestmark = pytest.mark.integration

ACCOUNT = "acct-1"
ORDER = EventType.ORDER_SUBMITTED
EVENT = EventType.ORDER_EVENT

PG_URL = os.environ.get("AIS_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def schema_url() -> AsyncIterator[str]:
    """Yield a store URL whose search_path is a new, empty schema; drop it afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{separator}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


async def test_append_when_events_given_then_replay_filters_by_type_and_time(
    schema_url: str, clock: SimulatedClock
) -> None:
    async with await open_event_store(schema_url, clock) as store:
        for minute in range(6):
            kind = ORDER if minute % 2 == 0 else EVENT
            await store.append(kind, {"minute": minute, "px": Decimal("100.5")}, account=ACCOUNT)
            clock.advance(60)
        fills = [event.payload["minute"] async for event in store.replay(types=[EVENT])]
        window = [
            event.seq
            async for event in store.replay(
                start=START + timedelta(minutes=2), end=START + timedelta(minutes=4)
            )
        ]

    assert fills == [1, 3, 5]
    assert window == [3, 4]


async def test_append_when_200_concurrent_then_contiguous_and_chain_verifies(
    schema_url: str, clock: SimulatedClock
) -> None:
    async with await open_event_store(schema_url, clock, max_batch=64) as store:
        results = await asyncio.gather(
            *(store.append(EVENT, {"i": i}, account=f"acct-{i % 3}") for i in range(200))
        )
        report = await store.verify()
        replayed = [event async for event in store.replay(batch=33)]

    assert [event.seq for event in results] == list(range(1, 201))
    assert replayed == list(results)
    assert report.ok
    assert report.checked == 200
    assert report.head_hash == results[-1].hash


async def test_open_when_reopened_then_chain_continues(
    schema_url: str, clock: SimulatedClock
) -> None:
    async with await open_event_store(schema_url, clock) as store:
        await store.append_many([(EVENT, {"i": i}) for i in range(20)], account=ACCOUNT)
        first_head = await store.head()
    async with await open_event_store(schema_url, clock) as store:
        assert await store.head() == first_head
        event = await store.append(EVENT, {"i": 20}, account=ACCOUNT)
        report = await store.verify(expected_head=event.hash)

    assert event.seq == 21
    assert report.ok
    assert report.checked == 21


async def test_append_when_two_stores_share_database_then_one_valid_chain(
    schema_url: str, clock: SimulatedClock
) -> None:
    first = await open_event_store(schema_url, clock, max_batch=16)
    second = await open_event_store(schema_url, clock, max_batch=16)
    try:

        async def writer(store: EventStore, name: str) -> list[int]:
            seqs = []
            for i in range(150):
                payload = {"writer": name, "i": i}
                seqs.append((await store.append(EVENT, payload, account=name)).seq)
            return seqs

        burst = [first.submit(ORDER, {"i": i}, account="a") for i in range(100)]
        burst += [second.submit(ORDER, {"i": i}, account="b") for i in range(100)]
        seqs_a, seqs_b, burst_events = await asyncio.gather(
            writer(first, "a"), writer(second, "b"), asyncio.gather(*burst)
        )
        report = await first.verify()
        count = await second.count()
        of_b = [event.seq async for event in first.replay(account="b")]
        head_b = await first.account_head("b")
    finally:
        await first.close()
        await second.close()

    all_seqs = seqs_a + seqs_b + [event.seq for event in burst_events]
    assert sorted(all_seqs) == list(range(1, 501))
    assert report.ok
    assert report.checked == 500
    assert count == 500
    assert of_b == sorted(seqs_b + [event.seq for event in burst_events[100:]])
    assert head_b.seq == of_b[-1]


async def test_store_when_row_updated_directly_then_database_refuses(
    schema_url: str, clock: SimulatedClock
) -> None:
    async with await open_event_store(schema_url, clock) as store:
        await store.append(EVENT, {"i": 0}, account=ACCOUNT)
    schema = schema_url.rsplit("search_path=", 1)[1]
    connection = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        for statement in (
            "UPDATE {}.events SET payload = '{{}}'",
            "UPDATE {}.events SET account = 'other'",
            "DELETE FROM {}.events",
        ):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await connection.execute(statement.format(schema))
    finally:
        await connection.close()


async def test_open_when_server_unreachable_then_store_error_hides_password(
    clock: SimulatedClock,
) -> None:
    url = "postgresql://app:s3cret@127.0.0.1:1/aiswarm"

    with pytest.raises(StoreError, match="is unreachable") as caught:
        await open_event_store(url, clock)

    message = str(caught.value)
    assert "s3cret" not in message
    assert "postgresql+asyncpg://app:***@127.0.0.1:1/aiswarm" in message
    assert "start the server" in message


async def test_append_when_type_not_registered_then_refused_and_nothing_appended(
    schema_url: str, clock: SimulatedClock
) -> None:
    async with await open_event_store(schema_url, clock) as store:
        with pytest.raises(
            ValueError, match=r"'tick' is not registered.*aiswarm\.types\.EventType"
        ):
            await store.append("tick", {"i": 0}, account=ACCOUNT)
        with pytest.raises(ValueError, match="'tick' is not registered"):
            await store.append_many([(EVENT, {"i": 1}), ("tick", {"i": 2})], account=ACCOUNT)
        count = await store.count()

    assert count == 0


async def test_replay_when_accounts_interleave_then_filter_and_account_head_agree(
    schema_url: str, clock: SimulatedClock
) -> None:
    async with await open_event_store(schema_url, clock) as store:
        alice, bob = store.journal("alice"), store.journal("bob")
        for i in range(9):
            await (alice if i % 2 else bob).append(EVENT, {"i": i})
            clock.advance(1)
        of_alice = [event async for event in store.replay(account="alice", batch=2)]
        head = await store.account_head("alice")
        empty = await store.account_head("carol")
        report = await store.verify()

    assert [event.seq for event in of_alice] == [2, 4, 6, 8]
    assert {event.account for event in of_alice} == {"alice"}
    assert head == (8, of_alice[-1].hash, of_alice[-1].ts_ns)
    assert empty == (0, ZERO_HASH, 0)
    assert (report.ok, report.checked) == (True, 9)
