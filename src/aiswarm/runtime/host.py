"""The host: one process's store, engines and drivers, started by recovering and stopped cleanly.

``Host.start`` opens the store (it must accept appends before anything trades), picks or opens
the account (``composition.choose_account``), rebuilds its engine from the log, warms the agents
on the bars it already traded and records ``runtime.started`` in the host's own stream.
Configured funding files (``paper.funding``) are replayed beside the bars. The pacing clock
starts where the account's stream left off (its last record's time, or the first bar's close),
so time in a stream never goes backwards across a restart, and bars that closed while the
process was down are stepped through at once, none dropped.

Each step is checkpointed as ``cycle.completed`` in the account's stream (its time is where a
restart resumes). ``stop`` stops the drivers first, so nothing of the session is recorded after
its ``runtime.stopped``. Nothing here is module-level state: one process may host many engines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiswarm import __version__
from aiswarm.clock import Clock, ScaledClock, SimulatedClock, WallClock, from_ns
from aiswarm.config import AppConfig
from aiswarm.market import BarArrays, BarFile, FeedRegistry, ReplayFeed
from aiswarm.market.feed import FeedId, FeedSchema
from aiswarm.runtime.access_keys import AccessKeys, AdminNames
from aiswarm.runtime.approval_rotation import ApprovalKeyRotation
from aiswarm.runtime.composition import (
    CYCLE_COMPLETED,
    Recovered,
    choose_account,
    load_feeds,
    load_funding,
    open_engine,
    recorded_session,
)
from aiswarm.runtime.engine import StepReport, TradingEngine
from aiswarm.runtime.replay_driver import ReplayDriver, history_before
from aiswarm.runtime.session_state import SessionState, SessionTrigger
from aiswarm.store import EventStore, open_event_store
from aiswarm.types import AccountId, EventType, Symbol

__all__ = ["HOST_STREAM", "Host"]

HOST_STREAM = "host"
"""The stream of the process's own records (runtime.started / runtime.stopped)."""

_NS = 1_000_000_000
APPROVAL_TTL_NS = 5 * _NS
"""How long an approval is valid (the spine's default, ``approval_ttl_s``)."""
MAX_SKEW_NS = 1 * _NS
"""The clock skew verification allows (the spine's default, ``max_skew_s``)."""


def feed_registry(feeds: dict[Symbol, BarArrays], clock: Clock) -> FeedRegistry:
    """Register a replay feed of every configured file's bars, for the driver and operators."""
    registry = FeedRegistry()
    for bars in feeds.values():
        feed_id = FeedId(bars.venue, bars.symbol, FeedSchema.BARS, bars.interval_s)
        registry.register(ReplayFeed(feed_id, bars.to_bars(), clock))
    return registry


class Host:
    """One process's engines; see the module docstring."""

    def __init__(
        self,
        config: AppConfig,
        clock: Clock,
        store: EventStore,
        engine: TradingEngine,
        driver: ReplayDriver,
        feeds: FeedRegistry,
        recovered: Recovered,
        feed_files: dict[Symbol, BarFile],
        access: AccessKeys,
        approval_keys: ApprovalKeyRotation,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.feeds = feeds
        self.feed_files = feed_files
        self.engines: dict[AccountId, TradingEngine] = {engine.account: engine}
        self.drivers: dict[AccountId, ReplayDriver] = {engine.account: driver}
        self.recovered = recovered
        self.opened = recovered.opened
        self.stopped = False
        self.access = access
        self.approval_keys = approval_keys

    @property
    def engine(self) -> TradingEngine:
        """Return the one engine this host runs (paper and shadow run one account)."""
        return next(iter(self.engines.values()))

    @property
    def driver(self) -> ReplayDriver:
        """Return the driver of ``engine``."""
        return self.drivers[self.engine.account]

    @classmethod
    async def start(
        cls,
        config: AppConfig,
        approval_secret: bytes,
        *,
        account: str | None = None,
        new_account: bool = False,
        clock_at: Callable[[datetime], Clock] | None = None,
        bootstrap_key: str | None = None,
    ) -> Host:
        """Open the store, recover (or open) the account, warm its agents, record the start.

        ``clock_at`` builds the pacing clock from its start instant; by default a
        ``ScaledClock`` at ``loop.speed`` (tests pass a simulated one). ``bootstrap_key`` is
        ``AIS_API_KEY``, if set (see ``access_keys``).
        """
        files = load_feeds(config)
        bars = {symbol: loaded.bars for symbol, loaded in files.items()}
        funding = load_funding(config)
        first_close = min(int(b.ts_ns[0]) + b.interval_s * _NS for b in bars.values())
        boot_clock = SimulatedClock(from_ns(first_close))
        store = await open_event_store(config.store.url, boot_clock)
        try:
            chosen, open_new = await choose_account(
                store, config.mode, requested=account, new_account=new_account
            )
            # Stamps go on from the newest record of this account and of the host's stream.
            heads = [await store.account_head(HOST_STREAM)]
            if not open_new:
                heads.append(await store.account_head(chosen))
            start_ns = max([first_close] + [head.ts_ns for head in heads])
            clock = (
                clock_at(from_ns(start_ns))
                if clock_at is not None
                else ScaledClock(from_ns(start_ns), config.loop.speed, WallClock())
            )
            store.use_clock(clock)
            decision_clock = SimulatedClock(from_ns(first_close - 1))
            access = await AccessKeys.load(store, bootstrap_key)
            approval_keys = ApprovalKeyRotation(
                approval_secret,
                config.trading.approval_algorithm,
                approval_ttl_ns=APPROVAL_TTL_NS,
                max_skew_ns=MAX_SKEW_NS,
                store=store,
            )
            await approval_keys.load()
            recovered = await open_engine(
                config,
                store,
                approval_secret,
                account=chosen,
                open_new=open_new,
                feeds=bars,
                clock=decision_clock,
                agent_timeout_s=config.paper.agent_timeout_s,
                operators=AdminNames(access),
                approval_keys=approval_keys,
            )
            engine = recovered.engine
            registry = feed_registry(bars, clock)
            for symbol, rates in funding.items():
                feed_id = FeedId(bars[symbol].venue, symbol, FeedSchema.FUNDING)
                registry.register(ReplayFeed(feed_id, rates, clock))
            replay = [registry.get(str(spec.feed_id)) for spec in registry.list()]
            after_ns = recovered.resume_ns if recovered.resume_ns is not None else -1
            if recovered.resume_ns is not None:
                engine.warm(await history_before(replay, recovered.resume_ns))
            driver = ReplayDriver(engine, replay, clock, after_ns)
            await store.append(
                EventType.RUNTIME_STARTED,
                {
                    "mode": config.mode.value,
                    "version": __version__,
                    "account": engine.account,
                    "account_opened": recovered.opened,
                    "resumed_after_ns": recovered.resume_ns,
                    "agents": len(engine.coordinator.agents),
                    "symbols": sorted(bars),
                    "speed": config.loop.speed,
                    "trading_state": engine.spine.kill_switch.switch.state.value,
                    "kill_switch_latched": engine.spine.kill_switch.switch.is_latched(),
                    "open_orders_in_log": len(recovered.open_before_reconcile),
                    "open_orders": engine.spine.oms.activity.open_orders_count,
                },
                account=HOST_STREAM,
            )
        except BaseException:
            await store.close()
            raise
        return cls(
            config, clock, store, engine, driver, registry, recovered, files, access, approval_keys
        )

    async def begin(self, reason: str) -> None:
        """Start a new or stopped session; one stopped while paused is paused again.

        A session that crashed while running or paused carries on as it was.
        """
        engine = self.engine
        if engine.session in (SessionState.CREATED, SessionState.STOPPED):
            _, resume = recorded_session(self.recovered.session_records)
            await engine.change_session(resume or SessionTrigger.START, reason)

    async def record_step(self, report: StepReport) -> None:
        """Checkpoint a step in its account's stream: where a restart resumes."""
        engine = self.engine
        lag = self.driver.lag
        await engine.journal.append(
            CYCLE_COMPLETED,
            {
                "step": report.step,
                "now_ns": report.now_ns,
                "bars": report.bars,
                "signals": report.signals,
                "orders": report.orders,
                "signals_total": engine.signals,
                "orders_total": engine.orders,
                "trips_total": engine.trips,
                "nav": None if report.nav is None else str(report.nav),
                "session": report.session,
                "trading_state": report.trading_state,
                "lag_ns": lag.lag_ns,
                "lagged_steps": lag.lagged_steps,
            },
        )

    def status(self) -> dict[str, Any]:
        """Return the host's and its engine's status."""
        engine = self.engine
        driver = self.driver
        return {
            "mode": self.config.mode.value,
            "version": __version__,
            "clock": self.clock.now().isoformat(),
            "replay_finished": driver.finished,
            "lagged_steps": driver.lag.lagged_steps,
            "lag_s": driver.lag.lag_s,
            "max_lag_s": driver.lag.max_lag_ns / _NS,
            "agents": len(engine.coordinator.agents),
            "store_url": self.store.url_for_display,
            **engine.status(),
        }

    async def stop(self, reason: str) -> None:
        """Stop the drivers, cancel resting orders if configured, record the stop, close.

        Safe to call twice. ``runtime.stopped`` is the last record of the session.
        """
        if self.stopped:
            return
        self.stopped = True
        for driver in self.drivers.values():
            driver.stop()
        for driver in self.drivers.values():
            await driver.wait_idle()  # a step under way records its events first
        cancelled = 0
        for engine in self.engines.values():
            if engine.session in (SessionState.RUNNING, SessionState.PAUSED):
                await engine.change_session(SessionTrigger.STOP, reason)
            if engine.session is SessionState.STOPPING:
                await engine.change_session(SessionTrigger.FINISHED, reason)
            if self.config.loop.cancel_orders_on_stop:
                cancelled += await engine.spine.oms.cancel_all(f"shutdown: {reason}")
        await self.store.append(
            EventType.RUNTIME_STOPPED,
            {"reason": reason, "orders_cancelled": cancelled, **self.status()},
            account=HOST_STREAM,
        )
        await self.store.close()
