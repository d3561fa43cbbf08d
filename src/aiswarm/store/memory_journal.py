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

The journal belongs to one account, named when it is built, so its ``append`` keeps the
``execution.EventJournal`` shape the OMS and coordinator write through. Types are checked against
``aiswarm.types.EventType`` at append, as the store checks them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from typing import Any

from aiswarm.clock import Clock
from aiswarm.store.append_checks import account_json, type_json
from aiswarm.store.event_chain import (
    ZERO_HASH,
    ChainReport,
    Row,
    StoredEvent,
    to_canonical_json,
    verify_records,
)
from aiswarm.store.event_store import EventStore
from aiswarm.store.event_writer import Queued, chain_rows

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """An append-only, in-memory event log of one account, with the store's chain.

    See the module docstring. Nothing survives the process: a backtest that must keep its log
    copies it to a store with ``copy_to``.
    """

    def __init__(self, clock: Clock, account: str) -> None:
        self._clock = clock
        self._account_json = account_json(account)
        self.account = str(account)
        # Appended, not yet chained: (ts_ns, type, type as JSON, payload text).
        self._pending: list[tuple[int, str, str, str]] = []
        # Sealed records as plain (seq, ts_ns, account, type, payload text, hash) rows: tuples
        # of strings and ints, which the garbage collector stops tracking, unlike one object
        # per event.
        self._rows: list[Row] = []

    def __len__(self) -> int:
        return len(self._rows) + len(self._pending)

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> None:
        """Record one event at the clock's time."""
        kind, kind_json = type_json(event_type)
        text = to_canonical_json(payload)
        self._pending.append((self._clock.now_ns(), kind, kind_json, text))

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Record events in order, all at the clock's time; a bad item records none of them."""
        now_ns = self._clock.now_ns()
        checked = [
            (now_ns, *type_json(event_type), to_canonical_json(payload))
            for event_type, payload in items
        ]
        self._pending.extend(checked)

    def seal(self) -> int:
        """Number and hash everything appended so far; return how many records the chain holds."""
        if self._pending:
            account, account_text = self.account, self._account_json
            batch: list[Queued] = [
                (kind, kind_json, account, account_text, ts_ns, text, None)
                for ts_ns, kind, kind_json, text in self._pending
            ]
            rows = self._rows
            rows.extend(chain_rows(batch, (len(rows), rows[-1][5] if rows else ZERO_HASH)))
            self._pending.clear()
        return len(self._rows)

    def events(self, types: Collection[str] | None = None) -> list[StoredEvent]:
        """Return the sealed chain (sealing first), optionally only some types."""
        self.seal()
        if types is None:
            return [StoredEvent(*row) for row in self._rows]
        wanted = set(types)
        return [StoredEvent(*row) for row in self._rows if row[3] in wanted]

    async def replay(self, types: Collection[str] | None = None) -> AsyncIterator[StoredEvent]:
        """Yield the sealed chain in order, as ``EventStore.replay`` does."""
        for event in self.events(types):
            yield event

    def verify(self) -> ChainReport:
        """Seal, then check the chain with the store's verifier."""
        self.seal()
        return verify_records(self._rows)

    async def copy_to(self, store: EventStore) -> int:
        """Append the whole log to ``store`` as this account, in one batch (re-chained there)."""
        chain = self.events()
        await store.append_many(
            ((event.type, event.payload) for event in chain), account=self.account
        )
        return len(chain)
