"""Event-store room: the append-only, hash-chained log every state change is written to first.

Others use ``open_event_store`` to get an ``EventStore``, append to an account's stream with
``EventStore.journal(account)`` (an ``AccountJournal``), read ``StoredEvent``s back (all
accounts or one, and an account's head as an ``AccountHead``), and check the one chain with
``EventStore.verify`` or, without a database, ``verify_records``. A backtest journals to the
in-memory ``MemoryJournal`` with the same encoding (see docs/event-store.md). The event types the
store accepts are registered in ``aiswarm.types.EventType``.
"""

from __future__ import annotations

from aiswarm.store.account_journal import AccountJournal
from aiswarm.store.event_chain import (
    ZERO_HASH,
    ChainReport,
    StoredEvent,
    record_hash,
    to_canonical_json,
    verify_records,
)
from aiswarm.store.event_reader import AccountHead
from aiswarm.store.event_store import EventStore, open_event_store

__all__ = [
    "ZERO_HASH",
    "AccountHead",
    "AccountJournal",
    "ChainReport",
    "EventStore",
    "StoredEvent",
    "open_event_store",
    "record_hash",
    "to_canonical_json",
    "verify_records",
]
