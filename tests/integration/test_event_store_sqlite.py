"""The event store on a real SQLite file: append, replay, group commit, reopen, fail closed.

Also what accounts add: each record keeps its account, replay and heads can keep to one
account, and a type missing from the registry is refused before anything is queued.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.errors import StoreError
from aiswarm.execution import EventJournal
from aiswarm.store import ZERO_HASH, AccountHead, EventStore, open_event_store
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import EventType

pytestmark = pytest.mark.integration

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "acct-1"
ORDER = EventType.ORDER_SUBMITTED
EVENT = EventType.ORDER_EVENT


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
        orders_late = [
            event.seq
            async for event in store.replay(types={ORDER}, start=START + timedelta(minutes=1))
        ]

    assert fills == [1, 3, 5]
    assert window == [3, 4]  # [start, end): the event at minute 4 is excluded
    assert orders_late == [3, 5]


async def test_append_when_acknowledged_then_replay_gives_the_same_event(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        appended = await store.append(EVENT, {"qty": Decimal("0.25"), "side": "buy"}, account="a")
        replayed = [event async for event in store.replay()]

    assert replayed == [appended]
    assert appended.seq == 1
    assert (appended.account, appended.type) == ("a", "order.event")
    assert type(appended.type) is str  # the plain value, not the enum member
    assert appended.ts_ns == to_ns(START)
    assert appended.payload == {"qty": "0.25", "side": "buy"}
    assert appended.payload_text == '{"qty":"0.25","side":"buy"}'


async def test_append_when_200_concurrent_then_all_acknowledged_contiguous_in_call_order(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock, max_batch=64) as store:
        results = await asyncio.gather(
            *(store.append(EVENT, {"i": i}, account=f"acct-{i % 3}") for i in range(200))
        )
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
        await store.append_many([(EVENT, {"i": i}) for i in range(50)], account=ACCOUNT)
        seqs = [event.seq async for event in store.replay(after_seq=10, batch=7)]
        nothing = [event async for event in store.replay(types=[])]

    assert seqs == list(range(11, 51))
    assert nothing == []


async def test_open_when_reopened_then_chain_continues_and_verifies(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.append_many([(EVENT, {"i": i}) for i in range(30)], account=ACCOUNT)
        first_head = await store.head()

    async with await open_store(db_path, clock) as store:
        assert await store.head() == first_head
        event = await store.append(EVENT, {"i": 30}, account=ACCOUNT)
        report = await store.verify(expected_head=event.hash)

    assert event.seq == 31
    assert report.ok
    assert report.checked == 31


async def test_open_when_empty_then_head_is_zero(db_path: Path, clock: SimulatedClock) -> None:
    async with await open_store(db_path, clock) as store:
        assert await store.head() == (0, ZERO_HASH)
        assert await store.account_head(ACCOUNT) == (0, ZERO_HASH, 0)
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
        await store.append(EVENT, {"i": 0}, account=ACCOUNT)
        # A second writer takes seq 2 behind the store's back; the store's next batch collides.
        with sqlite3.connect(db_path) as intruder:
            intruder.execute(
                "INSERT INTO events (seq, ts_ns, account, type, payload, hash) "
                "VALUES (2, 0, 'x', 'intruder', '{}', ?)",
                ("0" * 64,),
            )
        intruder.close()

        results = await asyncio.gather(
            *(store.append(EVENT, {"i": i}, account=ACCOUNT) for i in range(1, 4)),
            return_exceptions=True,
        )
        with pytest.raises(StoreError, match="refuses appends"):
            await store.append(EVENT, {"i": 99}, account=ACCOUNT)
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
            await store.append(EVENT, {"tags": {"a"}}, account=ACCOUNT)
        with pytest.raises(ValueError, match="event type '' is not registered"):
            await store.append("", {}, account=ACCOUNT)
        with pytest.raises(TypeError, match="key 'bad'"):
            await store.append_many(
                [(EVENT, {"ok": 1}), (EVENT, {"bad": object()})], account=ACCOUNT
            )
        event = await store.append(EVENT, {"ok": 1}, account=ACCOUNT)

    assert event.seq == 1  # the refused batch appended nothing


async def test_close_when_appends_pending_then_drained_before_close(
    db_path: Path, clock: SimulatedClock
) -> None:
    store = await open_store(db_path, clock)
    futures = [store.submit(EVENT, {"i": i}, account=ACCOUNT) for i in range(100)]
    await store.close()

    assert all(future.done() and not future.exception() for future in futures)
    with pytest.raises(StoreError, match="is closed"):
        store.submit(EVENT, {"i": 100}, account=ACCOUNT)
    async with await open_store(db_path, clock) as reopened:
        assert await reopened.count() == 100


async def test_store_when_row_updated_directly_then_database_refuses(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.append(EVENT, {"i": 0}, account=ACCOUNT)

    connection = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE events SET payload = '{}' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE events SET account = 'other' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("DELETE FROM events")
    finally:
        connection.close()


async def test_open_when_sqlite_then_wal_and_full_fsync(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.append(EVENT, {}, account=ACCOUNT)
        engine = store._engine  # the pragmas are per connection, so ask one
        async with engine.connect() as conn:
            journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            synchronous = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one()

    assert (journal, synchronous) == ("wal", 2)  # 2 is FULL


async def test_append_when_type_not_registered_then_refused_naming_fix_and_nothing_appended(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        journal = store.journal(ACCOUNT)
        with pytest.raises(ValueError, match=r"'tick' is not registered; register it in aiswarm"):
            await store.append("tick", {"i": 0}, account=ACCOUNT)
        with pytest.raises(ValueError, match="'tick' is not registered"):
            store.submit("tick", {"i": 0}, account=ACCOUNT)
        with pytest.raises(ValueError, match="'fill' is not registered"):
            await store.append_many([(EVENT, {"i": 1}), ("fill", {"i": 2})], account=ACCOUNT)
        with pytest.raises(ValueError, match="'tick' is not registered"):
            await journal.append("tick", {"i": 3})
        with pytest.raises(TypeError, match="must be str"):
            await store.append(7, {}, account=ACCOUNT)  # type: ignore[arg-type]
        count = await store.count()
        event = await store.append(EVENT, {"i": 4}, account=ACCOUNT)

    assert count == 0
    assert event.seq == 1


@pytest.mark.parametrize("account", ["", "x" * 129, "new\nline"])
async def test_append_when_account_not_a_stream_name_then_refused_and_nothing_appended(
    db_path: Path, clock: SimulatedClock, account: str
) -> None:
    async with await open_store(db_path, clock) as store:
        with pytest.raises(ValueError, match="1-128 printable characters"):
            await store.append(EVENT, {}, account=account)
        with pytest.raises(ValueError, match="1-128 printable characters"):
            await store.append_many([(EVENT, {})], account=account)
        with pytest.raises(ValueError, match="1-128 printable characters"):
            store.journal(account)
        count = await store.count()

    assert count == 0


async def test_replay_when_accounts_interleave_then_each_stream_and_head_read_alone(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        alice, bob = store.journal("alice"), store.journal("bob")
        for i in range(6):
            await (alice if i % 3 else bob).append(EVENT, {"i": i})
            clock.advance(1)
        await bob.append_many([(ORDER, {"i": 6}), (EVENT, {"i": 7})])
        every = [(event.seq, event.account) async for event in store.replay()]
        of_alice = [event.seq async for event in store.replay(account="alice")]
        bob_orders = [
            event.seq async for event in store.replay(types=[ORDER], account="bob", batch=1)
        ]
        bob_late = [event.seq async for event in store.replay(account="bob", after_seq=4)]
        nobody = [event async for event in store.replay(account="carol")]
        heads = {name: await store.account_head(name) for name in ("alice", "bob", "carol")}
        last = [event async for event in store.replay(after_seq=7)]
        report = await store.verify()

    assert every == [
        (1, "bob"), (2, "alice"), (3, "alice"), (4, "bob"), (5, "alice"), (6, "alice"),
        (7, "bob"), (8, "bob"),
    ]  # fmt: skip
    assert of_alice == [2, 3, 5, 6]
    assert bob_orders == [7]
    assert bob_late == [7, 8]
    assert nobody == []
    assert heads["alice"].seq == 6
    assert heads["bob"] == AccountHead(8, last[0].hash, last[0].ts_ns)
    assert heads["carol"] == (0, ZERO_HASH, 0)
    assert report.ok
    assert report.head_hash == heads["bob"].hash  # one chain: the last account's head is the head


async def test_account_head_when_others_append_later_then_unchanged_and_still_in_chain(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        await store.journal("alice").append_many([(EVENT, {"i": i}) for i in range(3)])
        written_down = await store.account_head("alice")
        await store.journal("bob").append_many([(EVENT, {"i": i}) for i in range(3)])
        report = await store.verify()
        later = await store.account_head("alice")
        stored = [e async for e in store.replay(after_seq=written_down.seq - 1)]

    assert report.ok
    assert later == written_down
    assert (stored[0].seq, stored[0].hash) == (written_down.seq, written_down.hash)


async def test_journal_when_bound_then_serves_as_the_oms_event_journal(
    db_path: Path, clock: SimulatedClock
) -> None:
    async with await open_store(db_path, clock) as store:
        journal: EventJournal = store.journal(ACCOUNT)
        await journal.append(EventType.RISK_DECISION, {"ok": True})
        await journal.append_many([(EventType.KILL_SWITCH_CHANGED, {"to": "ACTIVE"})])
        stored = [(event.account, event.type) async for event in store.replay()]

    assert stored == [(ACCOUNT, "risk.decision"), (ACCOUNT, "kill_switch.changed")]


async def test_copy_to_when_backtest_journal_copied_then_stored_under_its_account(
    db_path: Path, clock: SimulatedClock
) -> None:
    journal = MemoryJournal(clock, "backtest-1")
    await journal.append(ORDER, {"i": 0})
    await journal.append_many([(EVENT, {"i": 1}), (EVENT, {"i": 2})])

    async with await open_store(db_path, clock) as store:
        await store.append(EVENT, {"i": -1}, account=ACCOUNT)
        copied = await journal.copy_to(store)
        stored = [(e.seq, e.account, e.payload["i"]) async for e in store.replay()]
        report = await store.verify()

    assert copied == 3
    assert stored == [
        (1, ACCOUNT, -1),
        (2, "backtest-1", 0),
        (3, "backtest-1", 1),
        (4, "backtest-1", 2),
    ]
    assert report.ok
