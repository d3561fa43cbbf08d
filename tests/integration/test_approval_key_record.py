"""In Ed25519 mode the account's log records the public key approvals are signed with.

Once per key, before the first approval it signs: a restart with the same key records nothing,
a rotated key is recorded beside the old one, and a key id recorded with another public key
stops the start. HMAC mode records nothing (its key is a shared secret).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.errors import ConfigError
from aiswarm.risk import Algorithm
from aiswarm.runtime.approval_keys import signing_keys
from aiswarm.runtime.spine import Spine, open_spine
from aiswarm.store import EventStore, open_event_store
from aiswarm.types import EventType
from kit.builders import ACCOUNT, SYMBOL, instrument
from kit.spine import OPERATOR, SECRET, START, limits, open_desk, paper_venue

pytestmark = pytest.mark.integration

ROTATED = b"the-next-approval-secret-32bytes"


async def _reopen(path: Path, secret: bytes, algorithm: Algorithm) -> tuple[EventStore, Spine]:
    clock = SimulatedClock(START)
    store = await open_event_store(f"sqlite+aiosqlite:///{path}", clock)
    try:
        spine = await open_spine(
            store=store,
            venue=paper_venue(clock),
            clock=clock,
            account=ACCOUNT,
            instruments={SYMBOL: instrument()},
            approval_secret=secret,
            limits=limits(),
            operators=(OPERATOR,),
            algorithm=algorithm,
        )
    except BaseException:
        await store.close()
        raise
    return store, spine


async def _types_and_keys(store: EventStore) -> tuple[list[str], list[dict[str, object]]]:
    events = [event async for event in store.replay(account=ACCOUNT)]
    keys = [dict(e.payload) for e in events if e.type == EventType.APPROVAL_KEY]
    return [e.type for e in events], keys


async def test_ed25519_when_first_approval_signed_then_public_key_recorded_before_it(
    tmp_path: Path,
) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "keys.db", algorithm=Algorithm.ED25519)
    expected = signing_keys(SECRET, Algorithm.ED25519).public_record()

    # Act
    placed = await desk.place(desk.intent("0.02"))

    # Assert
    assert placed.is_live
    types, keys = await _types_and_keys(desk.store)
    assert keys == [expected]
    assert types.index(EventType.APPROVAL_KEY) < types.index(EventType.RISK_DECISION)
    assert expected is not None
    assert expected["key_id"] == f"ed25519-{expected['public_key'][:16]}"
    submitted = [e.payload async for e in desk.store.replay(types=["order.submitted"])]
    assert submitted[0]["approval"]["key_id"] == expected["key_id"]
    await desk.store.close()


async def test_ed25519_when_restarted_with_same_key_then_not_recorded_again(
    tmp_path: Path,
) -> None:
    # Arrange
    path = tmp_path / "keys.db"
    store, _ = await _reopen(path, SECRET, Algorithm.ED25519)
    await store.close()

    # Act
    store, _ = await _reopen(path, SECRET, Algorithm.ED25519)

    # Assert
    _, keys = await _types_and_keys(store)
    assert len(keys) == 1
    await store.close()


async def test_ed25519_when_key_rotated_then_new_key_id_recorded_beside_old(
    tmp_path: Path,
) -> None:
    # Arrange
    path = tmp_path / "keys.db"
    store, _ = await _reopen(path, SECRET, Algorithm.ED25519)
    await store.close()

    # Act: rotate, then restart on the rotated key
    store, rotated = await _reopen(path, ROTATED, Algorithm.ED25519)
    await store.close()
    store, _ = await _reopen(path, ROTATED, Algorithm.ED25519)

    # Assert
    _, keys = await _types_and_keys(store)
    old = signing_keys(SECRET, Algorithm.ED25519).public_record()
    assert keys == [old, rotated.keys.public_record()]
    assert keys[0]["key_id"] != keys[1]["key_id"]
    await store.close()


async def test_hmac_when_opened_then_no_key_recorded(tmp_path: Path) -> None:
    # Act
    store, spine = await _reopen(tmp_path / "keys.db", SECRET, Algorithm.HMAC_SHA256)

    # Assert
    _, keys = await _types_and_keys(store)
    assert keys == []
    assert spine.keys.public_record() is None
    await store.close()


async def test_ed25519_when_key_id_recorded_with_other_public_key_then_start_refused(
    tmp_path: Path,
) -> None:
    # Arrange: the log names this key id with another key
    path = tmp_path / "keys.db"
    record = signing_keys(SECRET, Algorithm.ED25519).public_record()
    assert record is not None
    async with await open_event_store(
        f"sqlite+aiosqlite:///{path}", SimulatedClock(START)
    ) as store:
        await store.append(
            EventType.APPROVAL_KEY, record | {"public_key": "00" * 32}, account=ACCOUNT
        )

    # Act / Assert
    with pytest.raises(ConfigError, match=f"approval key id {record['key_id']} is recorded"):
        await _reopen(path, SECRET, Algorithm.ED25519)
