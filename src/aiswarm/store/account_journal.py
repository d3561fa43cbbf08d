"""Bind the event store to one account, for code that records events but should not know accounts.

The OMS, the risk pipeline and the coordinator write through ``execution.EventJournal``
(``append(type, payload)`` and ``append_many(items)``). An ``AccountJournal`` is that journal
for one account's stream: the account is checked once, when ``EventStore.journal`` builds it,
and every append goes to the store's one chain with that account. It holds no state of its own,
so after a crash there is nothing to restore: the records are in the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aiswarm.store.event_chain import StoredEvent

if TYPE_CHECKING:  # the store builds these journals; importing it at run time would be a cycle
    from aiswarm.store.event_store import EventStore

__all__ = ["AccountJournal"]


class AccountJournal:
    """Append to one account's stream of an ``EventStore``; see the module docstring."""

    __slots__ = ("_store", "account")

    def __init__(self, store: EventStore, account: str) -> None:
        self._store = store
        self.account = account

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> StoredEvent:
        """Append one event to this account's stream; return it once durably committed."""
        return await self._store.append(event_type, payload, account=self.account)

    async def append_many(
        self, items: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> list[StoredEvent]:
        """Append events to this account's stream in order; return them once all are committed."""
        return await self._store.append_many(items, account=self.account)
