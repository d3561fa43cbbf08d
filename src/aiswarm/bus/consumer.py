"""Run one consumer of a group: receive, hand each delivery to a handler, acknowledge or retry.

A handler that returns has handled the message (it is acknowledged); one that raises has not
(the error is recorded and the message comes back until the group's tries run out, then it is
dead-lettered with that error), and one that raises ``Rejected`` dead-letters it at once. A
``BaseException`` that is not an ``Exception`` (cancellation, a signal) leaves the message
pending, as a crash would: it comes back when the consumer restarts. Deliveries are handled
one at a time, in order, so a consumer sees a topic's messages in the order they were published
unless one is retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiswarm.bus.contract import Delivery, Rejected
from aiswarm.bus.stream_bus import StreamBus

__all__ = ["Handler", "consume"]

Handler = Callable[[Delivery], Awaitable[None]]


async def consume(
    bus: StreamBus,
    topic: str,
    group: str,
    consumer: str,
    handler: Handler,
    *,
    stop: asyncio.Event,
    batch: int = 100,
    block_ms: int = 1_000,
) -> int:
    """Handle deliveries until ``stop`` is set; return how many were acknowledged.

    ``stop`` is checked before each delivery: what was received but not handled stays pending
    and is handed to this consumer first when it next receives.
    """
    handled = 0
    while not stop.is_set():
        for delivery in await bus.receive(topic, group, consumer, batch, block_ms):
            if stop.is_set():
                break  # the rest of the batch stays pending for this consumer's next start
            try:
                await handler(delivery)
            except Rejected as exc:
                await bus.reject(delivery, str(exc))
            except Exception as exc:  # noqa: BLE001 - any failure of a handler is a retry
                await bus.nack(delivery, f"{type(exc).__name__}: {exc}")
            else:
                await bus.ack(delivery)
                handled += 1
    return handled
