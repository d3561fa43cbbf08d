"""The running platform: config, clock, event store and trading loop wired together.

This is the only place that builds collaborators from config. Start-up is write ahead: the store
must open (and migrate) and accept a `runtime.started` event before the loop or the API run; if
it cannot, `StoreError` stops start-up. Until agents exist the loop records empty cycles and says
so: nothing here trades.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiswarm import __version__
from aiswarm.clock import Clock
from aiswarm.config import AppConfig
from aiswarm.data import EventStore, open_event_store
from aiswarm.runtime.loop import CycleReport, TradingLoop

__all__ = ["NOT_TRADING_REASON", "Platform", "PlatformStatus"]

NOT_TRADING_REASON = (
    "no strategy agents are installed yet, so nothing trades; the loop records empty cycles"
)


@dataclass(frozen=True, slots=True)
class PlatformStatus:
    """A point-in-time view for the API and the status line."""

    mode: str
    version: str
    trading: bool
    reason: str
    cycles: int
    cycles_overrun: int
    agents: int
    store_url: str
    store_head_seq: int

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {name: getattr(self, name) for name in self.__slots__}


class Platform:
    """Owns the store and the loop for one process; see `start`."""

    def __init__(self, config: AppConfig, clock: Clock, store: EventStore) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.loop = TradingLoop(clock, config.loop.interval_s, self._cycle)
        self.last_cycle: CycleReport | None = None

    @classmethod
    async def start(cls, config: AppConfig, clock: Clock) -> Platform:
        """Open the store and record the start; raise `StoreError` if the store is unusable."""
        store = await open_event_store(config.store.url, clock)
        platform = cls(config, clock, store)
        await store.append(
            "runtime.started",
            {
                "mode": config.mode.value,
                "version": __version__,
                "agents": 0,
                "trading": False,
                "reason": NOT_TRADING_REASON,
            },
        )
        return platform

    async def _cycle(self, number: int) -> tuple[int, int, int]:
        return (0, 0, 0)

    async def record_cycle(self, report: CycleReport) -> None:
        """Append the cycle's outcome to the store and keep it for status queries."""
        self.last_cycle = report
        await self.store.append(
            "cycle.completed",
            {
                "cycle": report.cycle,
                "duration_ns": report.duration_ns,
                "agents": report.agents,
                "signals": report.signals,
                "orders": report.orders,
                "overran": report.overran,
            },
        )

    async def status(self) -> PlatformStatus:
        """Return the current status, reading the store's head."""
        head_seq, _ = await self.store.head()
        return PlatformStatus(
            mode=self.config.mode.value,
            version=__version__,
            trading=False,
            reason=NOT_TRADING_REASON,
            cycles=self.loop.cycles_run,
            cycles_overrun=self.loop.cycles_overrun,
            agents=0,
            store_url=self.store.url_for_display,
            store_head_seq=head_seq,
        )

    async def stop(self, reason: str) -> None:
        """Stop the loop, record why, and close the store (pending appends drain first)."""
        self.loop.stop()
        await self.store.append(
            "runtime.stopped", {"reason": reason, "cycles": self.loop.cycles_run}
        )
        await self.store.close()
