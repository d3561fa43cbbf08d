"""The event store on a real SQLite file: append, replay, group commit, reopen, fail closed."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.errors import StoreError
from aiswarm.store import ZERO_HASH, EventStore, open_event_store

pytestmark = pytest.mark.integration

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "events.db"


async def open_store(path: Path, clock: SimulatedClock, **options: int) -> EventStore:
    return await open_event_store(f"sqlite+aiosqlite:///{path}", clock, **options)


async def test_append_when_events_given_then_replay_filters_by_type_and_time(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        for minute in range(6):
            kind = "order.submitted" if minute % 2 == 0 else "fill"
            await store.append(kind, {"minute": minute, "px": Decimal("100.5")})
            clock.advance(60)

        fills = [event.payload["minute"] async for event in store.replay(types=["fill"])]
        window = [
            event.seq
            async for event in store.replay(
                start=START + timedelta(minutes=2), end=START + timedelta(minutes=4)
            )
        ]
        orders_late = [
            event.seq
            async for event in store.replay(
                types={"order.submitted"}, start=START + timedelta(minutes=1)
            )
        ]

    assert fills == [1, 3, 5]
    assert window == [3, 4]  # [start, end): the event at minute 4 is excluded
    assert orders_late == [3, 5]


async def test_append_when_acknowledged_then_replay_gives_the_same_event(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        appended = await store.append("fill", {"qty": Decimal("0.25"), "side": "buy"})
        replayed = [event async for event in store.replay()]

    assert replayed == [appended]
    assert appended.seq == 1
    assert appended.ts_ns == to_ns(START)
    assert appended.payload == {"qty": "0.25", "side": "buy"}
    assert appended.payload_text == '{"qty":"0.25","side":"buy"}'


async def test_append_when_200_concurrent_then_all_acknowledged_contiguous_in_call_order(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock, max_batch=64) as store:
        results = await asyncio.gather(*(store.append("tick", {"i": i}) for i in range(200)))
        report = await store.verify()
        count = await store.count()

    assert [event.seq for event in results] == list(range(1, 201))
    assert [event.payload["i"] for event in results] == list(range(200))
    assert report.ok
    assert report.checked == 200
    assert report.head_hash == results[-1].hash
    assert count == 200


async def test_replay_when_paged_and_after_seq_then_every_event_once(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.append_many([("tick", {"i": i}) for i in range(50)])
        seqs = [event.seq async for event in store.replay(after_seq=10, batch=7)]
        nothing = [event async for event in store.replay(types=[])]

    assert seqs == list(range(11, 51))
    assert nothing == []


async def test_open_when_reopened_then_chain_continues_and_verifies(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.append_many([("tick", {"i": i}) for i in range(30)])
        first_head = await store.head()

    async with await open_store(db_path, clock) as store:
        assert await store.head() == first_head
        event = await store.append("tick", {"i": 30})
        report = await store.verify(expected_head=event.hash)

    assert event.seq == 31
    assert report.ok
    assert report.checked == 31


async def test_open_when_empty_then_head_is_zero(db_path: Path, clock: SimulatedClock) -> None:
    async with await open_store(db_path, clock) as store:
        assert await store.head() == (0, ZERO_HASH)
        assert (await store.verify()).ok


async def test_open_when_path_unwritable_then_store_error_names_path(
    tmp_path: Path, clock: SimulatedClock
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    target = blocker / "events.db"

    with pytest.raises(StoreError, match=str(target)) as caught:
        await open_store(target, clock)

    assert "\n" not in str(caught.value)


async def test_open_when_scheme_unsupported_then_store_error_lists_supported(
    clock: SimulatedClock,
) -> None:
    with pytest.raises(StoreError, match=r"'mysql\+pymysql'.*sqlite\+aiosqlite.*postgresql"):
        await open_event_store("mysql+pymysql://app:secret@db/events", clock)


async def test_append_when_commit_fails_then_batch_refused_and_store_fails_closed(
    db_path: Path, clock: SimulatedClock
) -> None:
    store = await open_store(db_path, clock)
    try:
        await store.append("tick", {"i": 0})
        # A second writer takes seq 2 behind the store's back; the store's next batch collides.
        with sqlite3.connect(db_path) as intruder:
            intruder.execute("INSERT INTO events VALUES (2, 0, 'intruder', '{}', ?)", ("0" * 64,))
        intruder.close()

        results = await asyncio.gather(
            *(store.append("tick", {"i": i}) for i in range(1, 4)), return_exceptions=True
        )
        with pytest.raises(StoreError, match="refuses appends"):
            await store.append("tick", {"i": 99})
        head_after = await store.head()
    finally:
        await store.close()

    assert all(isinstance(result, StoreError) for result in results)
    assert head_after == (2, "0" * 64)  # re-read from the database after the failure


async def test_append_when_payload_invalid_then_caller_refused_and_store_still_works(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        with pytest.raises(TypeError, match="key 'tags'"):
            await store.append("tick", {"tags": {"a"}})
        with pytest.raises(ValueError, match="event type"):
            await store.append("", {})
        with pytest.raises(TypeError, match="key 'bad'"):
            await store.append_many([("tick", {"ok": 1}), ("tick", {"bad": object()})])
        event = await store.append("tick", {"ok": 1})

    assert event.seq == 1  # the refused batch appended nothing


async def test_close_when_appends_pending_then_drained_before_close(
    db_path: Path, clock: SimulatedClock
) -> None:
    store = await open_store(db_path, clock)
    futures = [store.submit("tick", {"i": i}) for i in range(100)]
    await store.close()

    assert all(future.done() and not future.exception() for future in futures)
    with pytest.raises(StoreError, match="is closed"):
        store.submit("tick", {"i": 100})
    async with await open_store(db_path, clock) as reopened:
        assert await reopened.count() == 100


async def test_store_when_row_updated_directly_then_database_refuses(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.append("tick", {"i": 0})

    connection = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE events SET payload = '{}' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("DELETE FROM events")
    finally:
        connection.close()


async def test_open_when_sqlite_then_wal_and_full_fsync(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.append("tick", {})
        engine = store._engine  # the pragmas are per connection, so ask one
        async with engine.connect() as conn:
            journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            synchronous = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one()

    assert (journal, synchronous) == ("wal", 2)  # 2 is FULL
