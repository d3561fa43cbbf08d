"""Append to an event store forever from 8 tasks, printing ``ACK <seq> <hash>`` per append.

Run by test_event_store_crash.py as ``python _event_appender_child.py <db path>``; the test
kills it with SIGKILL mid-stream and checks that every acknowledged event survived.
"""

from __future__ import annotations

import asyncio
import sys

from aiswarm.clock import WallClock
from aiswarm.store import EventStore, open_event_store
from aiswarm.types import EventType

TASKS = 8


async def append_forever(store: EventStore, task: int) -> None:
    counter = 0
    while True:
        payload = {"task": task, "counter": counter}
        event = await store.append(EventType.ORDER_EVENT, payload, account=f"crash-{task}")
        # Printed only after the append resolved, i.e. after its batch was committed.
        sys.stdout.write(f"ACK {event.seq} {event.hash}\n")
        sys.stdout.flush()
        counter += 1


async def main(path: str) -> None:
    store = await open_event_store(f"sqlite+aiosqlite:///{path}", WallClock())
    await asyncio.gather(*(append_forever(store, task) for task in range(TASKS)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
