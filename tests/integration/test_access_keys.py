"""The API key registry over a real SQLite store: scopes nest, keys come back after a restart,
a revocation by another registry (another process) counts at the next refresh."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.runtime.access_keys import (
    BOOTSTRAP_PRINCIPAL,
    AccessKeys,
    AdminNames,
    Principal,
    Scope,
)
from aiswarm.store import EventStore, StoredEvent, open_event_store

pytestmark = pytest.mark.integration

START = datetime(2024, 1, 1, tzinfo=UTC)
BOOTSTRAP = "bootstrap-key-of-at-least-32-bytes-long"


@pytest.mark.parametrize(
    ("held", "needed", "granted"),
    [
        (Scope.READ, Scope.READ, True),
        (Scope.READ, Scope.TRADE, False),
        (Scope.READ, Scope.ADMIN, False),
        (Scope.TRADE, Scope.READ, True),
        (Scope.TRADE, Scope.TRADE, True),
        (Scope.TRADE, Scope.ADMIN, False),
        (Scope.ADMIN, Scope.READ, True),
        (Scope.ADMIN, Scope.TRADE, True),
        (Scope.ADMIN, Scope.ADMIN, True),
    ],
)
def test_scope_when_compared_then_admin_includes_trade_includes_read(
    held: Scope, needed: Scope, granted: bool
) -> None:
    assert held.grants(needed) is granted


async def test_keys_when_created_revoked_elsewhere_and_reopened_then_log_decides(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/events.db"
    store = await open_event_store(url, SimulatedClock(START))
    server = await AccessKeys.load(store)
    cli = await AccessKeys.load(store)
    _, alice_key = await cli.create(store, "alice", Scope.ADMIN, "cli")
    _, bob_key = await cli.create(store, "bob", Scope.READ, "cli")

    unseen = server.authenticate(alice_key)
    await server.refresh(store)
    seen = server.authenticate(alice_key)
    admins = AdminNames(server)
    was_admin = "alice" in admins
    alice_id = alice_key.split("_")[1]
    await cli.revoke(store, alice_id, "cli")
    await server.refresh(store)
    after_revoke = server.authenticate(alice_key)
    await store.close()

    reopened_store = await open_event_store(url, SimulatedClock(START))
    reopened = await AccessKeys.load(reopened_store)
    await reopened_store.close()

    assert unseen is None, "a key counts once the registry has read its record"
    assert seen == Principal("alice", Scope.ADMIN)
    assert was_admin
    assert "alice" not in admins
    assert "bob" not in admins
    assert after_revoke is None
    assert reopened.authenticate(alice_key) is None
    assert reopened.authenticate(bob_key) == Principal("bob", Scope.READ)
    assert reopened.authenticate(bob_key[:-1] + ("A" if bob_key[-1] != "A" else "B")) is None
    assert reopened.has_credential()


def test_bootstrap_key_when_configured_then_admin_principal_only_for_that_key() -> None:
    keys = AccessKeys(BOOTSTRAP)
    empty = AccessKeys()

    assert keys.authenticate(BOOTSTRAP) == Principal(BOOTSTRAP_PRINCIPAL, Scope.ADMIN)
    assert keys.authenticate(BOOTSTRAP + "x") is None
    assert keys.authenticate("") is None
    assert BOOTSTRAP_PRINCIPAL in AdminNames(keys)
    assert not empty.has_credential()
    assert BOOTSTRAP_PRINCIPAL not in AdminNames(empty)


async def test_create_when_name_unusable_then_refused_and_nothing_recorded(tmp_path: Path) -> None:
    store = await open_event_store(f"sqlite+aiosqlite:///{tmp_path}/e.db", SimulatedClock(START))
    keys = await AccessKeys.load(store)

    with pytest.raises(ValueError, match="principal name"):
        await keys.create(store, BOOTSTRAP_PRINCIPAL, Scope.ADMIN, "cli")
    with pytest.raises(ValueError, match="principal name"):
        await keys.create(store, "two words", Scope.READ, "cli")
    count = await store.count()
    await store.close()

    assert count == 0


class _HeldReplay:
    """The real store, but its first replay's rows are held back until ``release`` is set.

    It stands for a slow query: the rows are read at once, handed over later.
    """

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self.read = asyncio.Event()
        self.release = asyncio.Event()

    async def replay(self, **kwargs: Any) -> AsyncIterator[StoredEvent]:
        rows = [event async for event in self._store.replay(**kwargs)]
        self.read.set()
        await self.release.wait()
        for event in rows:
            yield event


async def test_refresh_when_overlapping_a_revocation_then_key_stays_revoked(
    tmp_path: Path,
) -> None:
    store = await open_event_store(f"sqlite+aiosqlite:///{tmp_path}/e.db", SimulatedClock(START))
    server = await AccessKeys.load(store)
    cli = await AccessKeys.load(store)
    record, key = await cli.create(store, "temp", Scope.ADMIN, "cli")
    held = _HeldReplay(store)
    slow = asyncio.create_task(server.refresh(held))  # type: ignore[arg-type]
    await held.read.wait()  # its rows hold the creation only
    await cli.revoke(store, record.key_id, "cli")
    fast = asyncio.create_task(server.refresh(store))
    # Let the second refresh finish if nothing orders it after the first (the defect);
    # either way the outcome below must be the same.
    await asyncio.wait({fast}, timeout=0.5)
    held.release.set()
    await asyncio.gather(slow, fast)
    await server.refresh(store)
    listed = server.listed()
    await store.close()

    assert server.authenticate(key) is None, "a revoked key never comes back"
    assert listed[0]["revoked"] is True
