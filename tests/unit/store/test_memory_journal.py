"""The backtest's in-memory journal: one account, the store's chain and encoding, sealed late."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.store import ZERO_HASH, record_hash, to_canonical_json
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import EventType

START = datetime(2024, 1, 1, tzinfo=UTC)
ACCOUNT = "backtest-1"


def test_seal_when_events_appended_then_chain_matches_store_encoding() -> None:
    # Arrange
    clock = SimulatedClock(START)
    journal = MemoryJournal(clock, ACCOUNT)
    payloads = [{"qty": Decimal("0.50"), "side": "buy"}, {"at": START, "n": 2}]

    # Act
    asyncio.run(journal.append(EventType.ORDER_SUBMITTED, payloads[0]))
    clock.advance(1)
    asyncio.run(journal.append_many([(EventType.ORDER_EVENT, payloads[1])]))
    sealed = journal.seal()
    chain = journal.events()

    # Assert
    prev = ZERO_HASH
    for seq, (event, payload) in enumerate(zip(chain, payloads, strict=True), start=1):
        text = to_canonical_json(payload)
        prev = record_hash(prev, seq, event.ts_ns, ACCOUNT, event.type, text)
        assert (event.seq, event.account, event.payload_text, event.hash) == (
            seq,
            ACCOUNT,
            text,
            prev,
        )
    assert [type(event.type) for event in chain] == [str, str]
    assert sealed == len(journal) == 2
    assert chain[1].ts_ns - chain[0].ts_ns == 1_000_000_000
    assert journal.verify().ok


def test_append_when_payload_not_storable_then_store_error_and_nothing_recorded() -> None:
    # Arrange
    journal = MemoryJournal(SimulatedClock(START), ACCOUNT)
    asyncio.run(journal.append(EventType.ORDER_EVENT, {"n": 1}))

    # Act / Assert: the same error the store raises, at once
    naive = {"when": datetime(2024, 1, 1)}  # naive: refused
    with pytest.raises(TypeError) as appended:
        asyncio.run(journal.append(EventType.ORDER_REFUSED, naive))
    with pytest.raises(TypeError) as direct:
        to_canonical_json({"when": datetime(2024, 1, 1)})
    assert str(appended.value) == str(direct.value)
    assert [event.type for event in journal.events()] == ["order.event"]


def test_append_when_type_not_registered_then_value_error_and_nothing_recorded() -> None:
    # Arrange
    journal = MemoryJournal(SimulatedClock(START), ACCOUNT)

    # Act / Assert
    with pytest.raises(ValueError, match=r"'order\.evnet' is not registered.*EventType"):
        asyncio.run(journal.append("order.evnet", {"n": 1}))
    with pytest.raises(ValueError, match="'tick' is not registered"):
        asyncio.run(journal.append_many([(EventType.ORDER_EVENT, {"n": 1}), ("tick", {"n": 2})]))
    assert len(journal) == 0


@pytest.mark.parametrize("account", ["", "x" * 129, "tab\there"])
def test_init_when_account_not_a_stream_name_then_value_error(account: str) -> None:
    with pytest.raises(ValueError, match="1-128 printable characters"):
        MemoryJournal(SimulatedClock(START), account)


def test_seal_when_sealed_twice_then_chain_continues() -> None:
    # Arrange
    journal = MemoryJournal(SimulatedClock(START), ACCOUNT)
    asyncio.run(journal.append(EventType.ORDER_SUBMITTED, {"n": 1}))
    first = journal.events()

    # Act
    asyncio.run(journal.append(EventType.ORDER_EVENT, {"n": 2}))
    chain = journal.events()

    # Assert
    assert chain[:1] == first
    assert [event.seq for event in chain] == [1, 2]
    assert journal.verify().ok
