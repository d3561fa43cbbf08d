"""Keep a backtest's event log in memory, chained exactly like the durable store.

A backtest records the same events as live trading (every risk decision, order, report and
fill), but appending each one durably would make the run wait on the disk tens of thousands of
times. So the log is kept in memory in append order; hashing is deferred to ``seal``, which
builds the hash chain with the store's own writer loop (`event_writer.chain_rows`), so the
sealed log verifies exactly like a stored one and can be written to a store in one batch
(`copy_to`). Payloads are canonicalised when appended, so a payload that the store would refuse
fails here too, at once. (Deferring that to ``seal`` was measured: it keeps every payload's
dicts and lists alive through the run, and the garbage collector's extra work cost more than
it saved.)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from typing import Any

from aiswarm.clock import Clock
from aiswarm.store.event_chain import (
    ZERO_HASH,
    ChainReport,
    StoredEvent,
    to_canonical_json,
    verify_records,
)
from aiswarm.store.event_store import EventStore
from aiswarm.store.event_writer import Queued, Row, chain_rows

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """An append-only, in-memory event log with the store's chain; see the module docstring."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._pending: list[tuple[int, str, str]] = []
        # Sealed records as plain (seq, ts_ns, type, payload text, hash) rows: tuples of strings
        # and ints, which the garbage collector stops tracking, unlike one object per event.
        self._rows: list[Row] = []

    def __len__(self) -> int:
        return len(self._rows) + len(self._pending)

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> None:
        """Record one event at the clock's time."""
        self._pending.append((self._clock.now_ns(), event_type, to_canonical_json(payload)))

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Record events in order, all at the clock's time."""
        now_ns = self._clock.now_ns()
        self._pending.extend(
            (now_ns, event_type, to_canonical_json(payload)) for event_type, payload in items
        )

    def seal(self) -> int:
        """Number and hash everything appended so far; return how many records the chain holds."""
        if self._pending:
            kinds: dict[str, str] = {}
            batch: list[Queued] = []
            for ts_ns, event_type, text in self._pending:
                kind_json = kinds.get(event_type)
                if kind_json is None:
                    kind_json = kinds[event_type] = json.dumps(event_type, ensure_ascii=False)
                batch.append((event_type, kind_json, ts_ns, text, None))
            rows = self._rows
            rows.extend(chain_rows(batch, (len(rows), rows[-1][4] if rows else ZERO_HASH)))
            self._pending.clear()
        return len(self._rows)

    def events(self, types: Collection[str] | None = None) -> list[StoredEvent]:
        """Return the sealed chain (sealing first), optionally only some types."""
        self.seal()
        if types is None:
            return [StoredEvent(*row) for row in self._rows]
        wanted = set(types)
        return [StoredEvent(*row) for row in self._rows if row[2] in wanted]

    async def replay(self, types: Collection[str] | None = None) -> AsyncIterator[StoredEvent]:
        """Yield the sealed chain in order, as ``EventStore.replay`` does."""
        for event in self.events(types):
            yield event

    def verify(self) -> ChainReport:
        """Seal, then check the chain with the store's verifier."""
        self.seal()
        return verify_records(self._rows)

    async def copy_to(self, store: EventStore) -> int:
        """Append the whole log to ``store`` in one batch (it re-chains onto the store's head)."""
        chain = self.events()
        await store.append_many((event.type, event.payload) for event in chain)
        return len(chain)
