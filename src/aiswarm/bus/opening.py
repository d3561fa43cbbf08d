"""Open the bus a URL names: none for in-process, ``redis://…`` for Redis Streams."""

from __future__ import annotations

from aiswarm.bus.contract import BusSettings
from aiswarm.bus.memory_bus import InProcessBus
from aiswarm.bus.records import BUS_RECORDS, RecordTypes
from aiswarm.bus.redis_bus import RedisStreamsBus
from aiswarm.bus.stream_bus import StreamBus
from aiswarm.clock import Clock

__all__ = ["open_bus"]


async def open_bus(
    url: str | None,
    clock: Clock,
    settings: BusSettings | None = None,
    *,
    prefix: str = "aiswarm:",
    records: RecordTypes = BUS_RECORDS,
) -> StreamBus:
    """Return a ready bus: in-process when ``url`` is None, else Redis (which must answer).

    Raises ``BusError`` naming the URL when Redis is unreachable: a deployment configured to
    share a broker must not quietly fall back to a private in-process bus.
    """
    if url is None:
        return InProcessBus(clock, settings, records)
    bus = RedisStreamsBus(url, clock, settings, records, prefix)
    try:
        await bus.ping()
    except BaseException:
        await bus.close()
        raise
    return bus
