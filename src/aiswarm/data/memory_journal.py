"""Keep a backtest's event log in memory, chained exactly like the durable store.

A backtest records the same events as live trading (every risk decision, order, report and
fill), but appending each one durably would make the run wait on the disk tens of thousands of
times. So the log is kept in memory in append order; hashing is deferred to ``seal``, which
builds the hash chain with the store's own encoding (`event_chain`), so the sealed log verifies
exactly like a stored one and can be written to a store in one batch (`copy_to`). Payloads are
canonicalised when appended, so a payload that the store would refuse fails here too, at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from typing import Any

from aiswarm.clock import Clock
from aiswarm.data.event_chain import (
    ZERO_HASH,
    ChainReport,
    StoredEvent,
    record_hash,
    to_canonical_json,
    verify_records,
)
from aiswarm.data.event_store import EventStore

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """An append-only, in-memory event log with the store's chain; see the module docstring."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._pending: list[tuple[int, str, str]] = []
        self._sealed: list[StoredEvent] = []

    def __len__(self) -> int:
        return len(self._sealed) + len(self._pending)

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> None:
        """Record one event at the clock's time."""
        self._pending.append((self._clock.now_ns(), event_type, to_canonical_json(payload)))

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Record events in order, all at the clock's time."""
        now_ns = self._clock.now_ns()
        self._pending.extend(
            (now_ns, event_type, to_canonical_json(payload)) for event_type, payload in items
        )

    def seal(self) -> list[StoredEvent]:
        """Number and hash everything appended so far; return the whole chain."""
        prev = self._sealed[-1].hash if self._sealed else ZERO_HASH
        seq = len(self._sealed)
        for ts_ns, event_type, text in self._pending:
            seq += 1
            prev = record_hash(prev, seq, ts_ns, event_type, text)
            self._sealed.append(StoredEvent(seq, ts_ns, event_type, text, prev))
        self._pending.clear()
        return self._sealed

    def events(self, types: Collection[str] | None = None) -> list[StoredEvent]:
        """Return the sealed chain (sealing first), optionally only some types."""
        chain = self.seal()
        if types is None:
            return list(chain)
        wanted = set(types)
        return [event for event in chain if event.type in wanted]

    async def replay(self, types: Collection[str] | None = None) -> AsyncIterator[StoredEvent]:
        """Yield the sealed chain in order, as ``EventStore.replay`` does."""
        for event in self.events(types):
            yield event

    def verify(self) -> ChainReport:
        """Seal, then check the chain with the store's verifier."""
        rows = ((e.seq, e.ts_ns, e.type, e.payload_text, e.hash) for e in self.seal())
        return verify_records(rows)

    async def copy_to(self, store: EventStore) -> int:
        """Append the whole log to ``store`` in one batch (it re-chains onto the store's head)."""
        chain = self.seal()
        await store.append_many((event.type, event.payload) for event in chain)
        return len(chain)
