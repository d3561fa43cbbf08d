"""The running platform: config, clock, event store, trading session and loop wired together.

This is the only place that builds the process's collaborators from config. Start-up is write
ahead: the store must open (and migrate) and accept the session's records before the loop or the
API run; if it cannot, `StoreError` stops start-up. In paper and shadow mode the clock is a
``ScaledClock`` that starts at the first replayed bar's close and runs ``loop.speed`` times
faster than the wall clock, so every recorded timestamp is the replayed market's time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiswarm import __version__
from aiswarm.clock import Clock, ScaledClock, WallClock, from_ns
from aiswarm.config import AppConfig
from aiswarm.market.feed_registry import FeedRegistry
from aiswarm.runtime.loop import CycleCounts, CycleReport, TradingLoop
from aiswarm.runtime.paper_session import PaperSession, feed_registry, first_close_ns, load_feeds
from aiswarm.runtime.session_state import SessionState, SessionTrigger, apply
from aiswarm.store import EventStore, open_event_store

__all__ = ["Platform"]


class Platform:
    """Owns the store, the session and the loop for one process; see `start`."""

    def __init__(
        self,
        config: AppConfig,
        clock: Clock,
        store: EventStore,
        session: PaperSession,
        feeds: FeedRegistry,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.session = session
        self.feeds = feeds
        self.state = SessionState.CREATED
        self.loop = TradingLoop(clock, config.loop.interval_s, self._cycle)
        self.last_cycle: CycleReport | None = None

    async def _cycle(self, number: int) -> CycleCounts:
        if self.state is SessionState.PAUSED:
            # Paused: no agents, no new orders; working orders stay at the venue.
            return CycleCounts(len(self.session.desk.coordinator.agents), 0, 0)
        return await self.session.cycle(number)

    async def change_state(self, trigger: SessionTrigger, reason: str) -> SessionState:
        """Move the session through its table (START, PAUSE, RESUME, STOP, FINISHED).

        The change is recorded before it takes effect; an illegal one raises
        ``InvalidTransition`` and changes nothing.
        """
        target = apply(self.state, trigger)
        await self.store.append(
            "session.changed",
            {
                "from": self.state.value,
                "to": target.value,
                "trigger": trigger.value,
                "reason": reason,
            },
            account=self.session.desk.spine.portfolio.account,
        )
        self.state = target
        if target in (SessionState.STOPPING, SessionState.STOPPED):
            self.loop.stop()
        return target

    @classmethod
    async def start(
        cls,
        config: AppConfig,
        approval_secret: bytes,
        clock_at: Callable[[datetime], Clock] | None = None,
    ) -> Platform:
        """Load the feeds, open the store, open the session and record the start.

        ``clock_at`` builds the session's clock from the replay's start instant; by default a
        ``ScaledClock`` running ``loop.speed`` times the wall clock (tests pass a simulated one).
        """
        feeds = load_feeds(config)
        start = from_ns(first_close_ns(feeds))
        clock = (
            clock_at(start)
            if clock_at is not None
            else ScaledClock(start, config.loop.speed, WallClock())
        )
        registry = feed_registry(feeds, config, clock)
        store = await open_event_store(config.store.url, clock)
        try:
            session = await PaperSession.open(
                config,
                store,
                clock,
                approval_secret,
                feeds=feeds,
                agent_timeout_s=config.paper.agent_timeout_s,
            )
            await store.append(
                "runtime.started",
                {
                    "mode": config.mode.value,
                    "version": __version__,
                    "agents": len(session.desk.coordinator.agents),
                    "symbols": sorted(feeds),
                    "speed": config.loop.speed,
                    "trading_state": session.desk.spine.kill_switch.switch.state.value,
                },
                account=session.desk.spine.portfolio.account,
            )
        except BaseException:
            await store.close()
            raise
        return cls(config, clock, store, session, registry)

    async def record_cycle(self, report: CycleReport) -> None:
        """Append the cycle's outcome to the store and keep it for status queries."""
        self.last_cycle = report
        counts = report.counts
        await self.store.append(
            "cycle.completed",
            {
                "cycle": report.cycle,
                "duration_ns": report.duration_ns,
                "overran": report.overran,
                "agents": counts.agents,
                "signals": counts.signals,
                "orders": counts.orders,
                "nav": None if counts.nav is None else str(counts.nav),
                "finished": counts.finished,
            },
            account=self.session.desk.spine.portfolio.account,
        )

    async def status(self) -> dict[str, Any]:
        """Return the current status, reading the store's head."""
        head_seq, _ = await self.store.head()
        last = self.last_cycle.counts if self.last_cycle is not None else None
        return {
            "mode": self.config.mode.value,
            "session": self.state.value,
            "version": __version__,
            "clock": self.clock.now().isoformat(),
            "cycles_overrun": self.loop.cycles_overrun,
            "replay_finished": self.loop.finished,
            "agents": len(self.session.desk.coordinator.agents),
            "nav": None if last is None or last.nav is None else str(last.nav),
            "pnl": None if last is None or last.pnl is None else str(last.pnl),
            "store_url": self.store.url_for_display,
            "store_head_seq": head_seq,
            **self.session.status(),
        }

    async def stop(self, reason: str) -> None:
        """Stop new entries, cancel resting orders if configured, checkpoint, close the store.

        The loop is stopped first, so no new cycle (and no new entry) starts; the
        ``runtime.stopped`` record is the checkpoint: counters and the account's state.
        """
        if self.state is SessionState.RUNNING or self.state is SessionState.PAUSED:
            await self.change_state(SessionTrigger.STOP, reason)
        if self.state is SessionState.STOPPING:
            await self.change_state(SessionTrigger.FINISHED, reason)
        self.loop.stop()
        cancelled = 0
        if self.config.loop.cancel_orders_on_stop:
            cancelled = await self.session.desk.spine.oms.cancel_all(f"shutdown: {reason}")
        await self.store.append(
            "runtime.stopped",
            {
                "reason": reason,
                "cycles": self.loop.cycles_run,
                "orders_cancelled": cancelled,
                **self.session.status(),
            },
            account=self.session.desk.spine.portfolio.account,
        )
        await self.store.close()
