"""Open the bus the config names: in-process by default, Redis Streams when ``bus.url`` is set."""

from __future__ import annotations

from aiswarm.bus import BusSettings, StreamBus, open_bus
from aiswarm.clock import Clock
from aiswarm.config.models import BusConfig

__all__ = ["bus_settings", "open_configured_bus"]

_MS_PER_S = 1_000


def bus_settings(config: BusConfig) -> BusSettings:
    """Return the bus's tuning from its config section (seconds become milliseconds)."""
    return BusSettings(
        max_deliveries=config.max_deliveries,
        claim_idle_ms=round(config.claim_idle_s * _MS_PER_S),
        idempotency_ttl_ms=max(1, round(config.idempotency_ttl_s * _MS_PER_S)),
        max_stream_length=config.max_stream_length,
    )


async def open_configured_bus(config: BusConfig, clock: Clock) -> StreamBus:
    """Return the configured bus, ready; ``BusError`` names an unreachable Redis (fail closed)."""
    return await open_bus(config.url, clock, bus_settings(config), prefix=config.prefix)
