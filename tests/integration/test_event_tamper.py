"""Tampering with a closed SQLite store's file is found by verify(), at the seq touched.

The tampering goes through the stdlib sqlite3 module, as an attacker with the file would, after
dropping the append-only triggers (which stop mistakes, not people with the file).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.commands.events import verify_chain
from aiswarm.store import ChainReport, open_event_store, record_hash
from aiswarm.types import EventType

pytestmark = pytest.mark.integration

EVENTS = 50
INSERT = "INSERT INTO events (seq, ts_ns, account, type, payload, hash) VALUES (?, ?, ?, ?, ?, ?)"


@pytest.fixture
async def store_path(tmp_path: Path) -> Path:
    """Return a closed store file holding EVENTS chained events of two accounts."""
    path = tmp_path / "events.db"
    clock = SimulatedClock(datetime(2024, 3, 1, tzinfo=UTC))
    async with await open_event_store(f"sqlite:///{path}", clock) as store:
        for i in range(1, EVENTS + 1):
            kind = EventType.ORDER_EVENT if i % 3 else EventType.ORDER_SUBMITTED
            account = "alice" if i % 2 else "bob"
            await store.append(kind, {"i": i, "qty": Decimal(i) / 8}, account=account)
            clock.advance(1.5)
    return path


@contextmanager
def tampered(path: Path) -> Iterator[sqlite3.Connection]:
    """Open the raw file with the append-only triggers dropped; commit on exit."""
    connection = sqlite3.connect(path)
    try:
        for trigger in ("events_no_update", "events_no_delete"):
            connection.execute(f"DROP TRIGGER {trigger}")
        yield connection
        connection.commit()
    finally:
        connection.close()


async def verify(path: Path, expected_head: str | None = None) -> ChainReport:
    clock = SimulatedClock(datetime(2024, 3, 2, tzinfo=UTC))
    async with await open_event_store(f"sqlite:///{path}", clock) as store:
        return await store.verify(expected_head)


def row(connection: sqlite3.Connection, seq: int) -> tuple[int, int, str, str, str, str]:
    found = connection.execute(
        "SELECT seq, ts_ns, account, type, payload, hash FROM events WHERE seq = ?", (seq,)
    ).fetchone()
    assert found is not None
    return found  # type: ignore[no-any-return]


async def test_verify_when_untampered_then_ok(store_path: Path) -> None:
    report = await verify(store_path)

    assert (report.ok, report.checked, report.first_bad_seq) == (True, EVENTS, None)


async def test_verify_when_payload_edited_then_fails_at_17(store_path: Path) -> None:
    with tampered(store_path) as connection:
        connection.execute('UPDATE events SET payload = \'{"i":17,"qty":"999"}\' WHERE seq = 17')

    report = await verify(store_path)

    assert (report.ok, report.first_bad_seq, report.checked) == (False, 17, 16)
    assert report.reason.startswith("seq 17: stored hash")


@pytest.mark.parametrize("account", ["bob", "", "mallory"])
async def test_verify_when_account_edited_then_fails_at_17(store_path: Path, account: str) -> None:
    # seq 17 is alice's; moving it to bob's stream, blanking it (which would make the verifier
    # read it as a legacy version 1 record) or inventing an account all break its hash.
    with tampered(store_path) as connection:
        connection.execute("UPDATE events SET account = ? WHERE seq = 17", (account,))

    report = await verify(store_path)

    assert (report.ok, report.first_bad_seq, report.checked) == (False, 17, 16)
    assert report.reason.startswith("seq 17: stored hash")


async def test_verify_when_accounts_of_two_rows_swapped_then_fails_at_10(store_path: Path) -> None:
    with tampered(store_path) as connection:
        connection.execute("UPDATE events SET account = 'alice' WHERE seq = 10")
        connection.execute("UPDATE events SET account = 'bob' WHERE seq = 11")

    report = await verify(store_path)

    assert (report.ok, report.first_bad_seq) == (False, 10)


async def test_verify_when_row_deleted_then_fails_at_23(store_path: Path) -> None:
    with tampered(store_path) as connection:
        connection.execute("DELETE FROM events WHERE seq = 23")

    report = await verify(store_path)

    assert (report.ok, report.first_bad_seq) == (False, 23)
    assert report.reason == "seq 23 is missing (next stored is 24)"


async def test_verify_when_row_inserted_then_fails_at_30(store_path: Path) -> None:
    with tampered(store_path) as connection:
        for seq in range(EVENTS, 29, -1):  # descending, so no seq collides while shifting
            connection.execute("UPDATE events SET seq = seq + 1 WHERE seq = ?", (seq,))
        _, ts_ns, _, _, _, _ = row(connection, 29)
        forged_hash = hashlib.sha256(b"looks like a hash").hexdigest()
        connection.execute(
            INSERT, (30, ts_ns + 1, "bob", "order.event", '{"i":30,"qty":"1000"}', forged_hash)
        )

    report = await verify(store_path)

    assert (report.ok, report.first_bad_seq) == (False, 30)


async def test_verify_when_two_rows_swapped_then_fails_at_10(store_path: Path) -> None:
    with tampered(store_path) as connection:
        _, ts_10, account_10, type_10, payload_10, _ = row(connection, 10)
        _, ts_11, account_11, type_11, payload_11, _ = row(connection, 11)
        update = "UPDATE events SET ts_ns = ?, account = ?, type = ?, payload = ? WHERE seq = ?"
        connection.execute(update, (ts_11, account_11, type_11, payload_11, 10))
        connection.execute(update, (ts_10, account_10, type_10, payload_10, 11))

    report = await verify(store_path)

    assert (report.ok, report.first_bad_seq) == (False, 10)


async def test_verify_when_forged_row_appended_then_fails_at_51(store_path: Path) -> None:
    with tampered(store_path) as connection:
        connection.execute(
            INSERT,
            (51, 0, "bob", "order.event", '{"qty":"1000"}', hashlib.sha256(b"x").hexdigest()),
        )

    report = await verify(store_path)

    assert (report.ok, report.first_bad_seq, report.checked) == (False, 51, EVENTS)


async def test_verify_when_well_hashed_row_appended_then_only_pinned_head_catches_it(
    store_path: Path,
) -> None:
    pinned = (await verify(store_path)).head_hash
    with tampered(store_path) as connection:
        text = '{"qty":"1000"}'
        forged_hash = record_hash(pinned, 51, 0, "bob", "order.event", text)
        connection.execute(INSERT, (51, 0, "bob", "order.event", text, forged_hash))

    unpinned = await verify(store_path)
    with_pin = await verify(store_path, expected_head=pinned)

    assert unpinned.ok  # a bare chain cannot tell a well-formed forgery from a real append
    assert (with_pin.ok, with_pin.first_bad_seq) == (False, 51)


async def test_cli_verify_when_payload_edited_then_reports_seq_17(store_path: Path) -> None:
    with tampered(store_path) as connection:
        connection.execute("UPDATE events SET payload = '{}' WHERE seq = 17")

    result = await verify_chain(f"sqlite:///{store_path}", None, None)

    assert result["ok"] is False
    assert result["first_bad_seq"] == 17
    assert result["checked"] == 16
