"""`aiswarm events …`: verify the chain and list records."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiswarm.clock import WallClock, from_ns
from aiswarm.config import load_config
from aiswarm.store import EventStore, open_event_store

__all__ = ["list_events", "verify_chain"]


async def _open(db: str | None, config_path: Path | None) -> EventStore:
    url = db if db is not None else load_config(config_path).store.url
    return await open_event_store(url, WallClock())


async def verify_chain(
    db: str | None, config_path: Path | None, expect_head: str | None
) -> dict[str, Any]:
    """Walk the whole chain and return the report as a mapping."""
    store = await _open(db, config_path)
    try:
        report = await store.verify(expected_head=expect_head)
    finally:
        await store.close()
    return asdict(report)


async def list_events(
    db: str | None,
    config_path: Path | None,
    types: list[str] | None,
    after_seq: int,
    limit: int,
    account: str | None = None,
) -> list[dict[str, Any]]:
    """Return up to ``limit`` records after ``after_seq``, optionally of some types or one account.

    ``account=None`` lists every account; ``""`` lists the records written before events
    carried accounts.
    """
    store = await _open(db, config_path)
    rows: list[dict[str, Any]] = []
    try:
        replay = store.replay(types=types or None, after_seq=after_seq, account=account)
        async with aclosing(replay) as events:
            async for event in events:
                rows.append(
                    {
                        "seq": event.seq,
                        "time": from_ns(event.ts_ns).isoformat(),
                        "account": event.account,
                        "type": event.type,
                        "payload": event.payload,
                        "hash": event.hash,
                    }
                )
                if len(rows) >= limit:
                    break
    finally:
        await store.close()
    return rows
