"""The backtest's in-memory journal: the store's chain and encoding, sealed at the end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.store import ZERO_HASH, record_hash, to_canonical_json
from aiswarm.store.memory_journal import MemoryJournal

START = datetime(2024, 1, 1, tzinfo=UTC)


def test_seal_when_events_appended_then_chain_matches_store_encoding() -> None:
    # Arrange
    clock = SimulatedClock(START)
    journal = MemoryJournal(clock)
    payloads = [{"qty": Decimal("0.50"), "side": "buy"}, {"at": START, "n": 2}]

    # Act
    asyncio.run(journal.append("order.submitted", payloads[0]))
    clock.advance(1)
    asyncio.run(journal.append_many([("order.event", payloads[1])]))
    sealed = journal.seal()
    chain = journal.events()

    # Assert
    prev = ZERO_HASH
    for seq, (event, payload) in enumerate(zip(chain, payloads, strict=True), start=1):
        text = to_canonical_json(payload)
        prev = record_hash(prev, seq, event.ts_ns, event.type, text)
        assert (event.seq, event.payload_text, event.hash) == (seq, text, prev)
    assert sealed == len(journal) == 2
    assert chain[1].ts_ns - chain[0].ts_ns == 1_000_000_000
    assert journal.verify().ok


def test_append_when_payload_not_storable_then_store_error_and_nothing_recorded() -> None:
    # Arrange
    journal = MemoryJournal(SimulatedClock(START))
    asyncio.run(journal.append("ok", {"n": 1}))

    # Act / Assert: the same error the store raises, at once
    with pytest.raises(TypeError) as appended:
        asyncio.run(journal.append("bad", {"when": datetime(2024, 1, 1)}))  # naive: refused
    with pytest.raises(TypeError) as direct:
        to_canonical_json({"when": datetime(2024, 1, 1)})
    assert str(appended.value) == str(direct.value)
    assert [event.type for event in journal.events()] == ["ok"]


def test_seal_when_sealed_twice_then_chain_continues() -> None:
    # Arrange
    journal = MemoryJournal(SimulatedClock(START))
    asyncio.run(journal.append("a", {"n": 1}))
    first = journal.events()

    # Act
    asyncio.run(journal.append("b", {"n": 2}))
    chain = journal.events()

    # Assert
    assert chain[:1] == first
    assert [event.seq for event in chain] == [1, 2]
    assert journal.verify().ok
