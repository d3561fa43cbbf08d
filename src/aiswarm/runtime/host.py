"""The host: one process's store, engines and drivers, started by recovering and stopped cleanly.

``Host.start`` opens the store (it must accept appends before anything trades), picks or opens
the account (``composition.choose_account``), rebuilds its engine from the log, warms the agents
on the bars it already traded and records ``runtime.started`` in the host's own stream.
Configured funding files (``paper.funding``) are replayed beside the bars. The pacing clock
starts where the account's stream left off (its last record's time, or the first bar's close),
so time in a stream never goes backwards across a restart, and bars that closed while the
process was down are stepped through at once, none dropped.

Each step is checkpointed as ``cycle.completed`` in the account's stream (its time is where a
restart resumes), then shown to the host's ``Monitor`` (metrics, alerts; ``runtime.monitor``),
which watches the store, the agents and the OMS's venue calls from the start. ``stop`` stops
the drivers first, so nothing of the session is recorded after its ``runtime.stopped``. Nothing
here is module-level state: one process may host many engines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiswarm import __version__
from aiswarm.bus import InProcessBus, StreamBus
from aiswarm.clock import Clock, ScaledClock, SimulatedClock, WallClock, from_ns
from aiswarm.config import AppConfig
from aiswarm.market import BarArrays, BarFile, FeedRegistry, ReplayFeed
from aiswarm.market.feed import FeedId, FeedSchema
from aiswarm.runtime.access_keys import AccessKeys, AdminNames
from aiswarm.runtime.approval_rotation import ApprovalKeyRotation
from aiswarm.runtime.bus_opening import open_configured_bus
from aiswarm.runtime.composition import (
    CYCLE_COMPLETED,
    Recovered,
    choose_account,
    load_feeds,
    load_funding,
    open_engine,
    recorded_session,
)
from aiswarm.runtime.daily_pnl import DailyPnlGuard
from aiswarm.runtime.engine import StepReport, TradingEngine
from aiswarm.runtime.live import (
    LiveRefused,
    live_markets,
    live_venue,
    reconciliation_failures,
    shadow_failures,
    start_failures,
    steps_on_venue_data,
    unconfirmed_failures,
)
from aiswarm.runtime.live_driver import LiveDriver
from aiswarm.runtime.monitor import Monitor
from aiswarm.runtime.reconciler import Reconciler
from aiswarm.runtime.replay_driver import ReplayDriver, history_before
from aiswarm.runtime.session_state import SessionState, SessionTrigger
from aiswarm.runtime.venue_holdings import holdings_for
from aiswarm.store import EventStore, open_event_store
from aiswarm.types import AccountId, EventType, Mode, Symbol
from aiswarm.venues import ShadowVenue

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
        driver: ReplayDriver | LiveDriver,
        feeds: FeedRegistry,
        recovered: Recovered,
        feed_files: dict[Symbol, BarFile],
        monitor: Monitor,
        reconciler: Reconciler,
        pnl_guard: DailyPnlGuard,
        access: AccessKeys,
        approval_keys: ApprovalKeyRotation,
        bus: StreamBus | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.feeds = feeds
        self.feed_files = feed_files
        self.engines: dict[AccountId, TradingEngine] = {engine.account: engine}
        self.drivers: dict[AccountId, ReplayDriver | LiveDriver] = {engine.account: driver}
        self.recovered = recovered
        self.bus = bus if bus is not None else InProcessBus(clock)
        self.opened = recovered.opened
        self.monitor = monitor
        self.reconciler = reconciler
        self.pnl_guard = pnl_guard
        self.stopped = False
        self.access = access
        self.approval_keys = approval_keys

    @property
    def engine(self) -> TradingEngine:
        """Return the one engine this host runs (paper and shadow run one account)."""
        return next(iter(self.engines.values()))

    @property
    def driver(self) -> ReplayDriver | LiveDriver:
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
        ``AIS_API_KEY``, if set (see ``access_keys``). Live mode starts through ``_start_live``.
        """
        if steps_on_venue_data(config):
            return await cls._start_live(
                config,
                approval_secret,
                account=account,
                new_account=new_account,
                clock_at=clock_at,
                bootstrap_key=bootstrap_key,
            )
        files = load_feeds(config)
        bars = {symbol: loaded.bars for symbol, loaded in files.items()}
        funding = load_funding(config)
        first_close = min(int(b.ts_ns[0]) + b.interval_s * _NS for b in bars.values())
        boot_clock = SimulatedClock(from_ns(first_close))
        store = await open_event_store(config.store.url, boot_clock)
        wall = WallClock()  # durations (metrics) and alert times are wall time in every mode
        monitor = Monitor(config, wall)
        bus: StreamBus | None = None
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
            bus = await open_configured_bus(config.bus, clock)
            decision_clock = SimulatedClock(from_ns(first_close - 1))
            access = await AccessKeys.load(store, bootstrap_key)
            approval_keys = ApprovalKeyRotation(
                approval_secret,
                config.trading.approval_algorithm,
                approval_ttl_ns=APPROVAL_TTL_NS,
                max_skew_ns=MAX_SKEW_NS,
                store=store,
            )
            await approval_keys.start()
            recovered = await open_engine(
                config,
                store,
                approval_secret,
                account=chosen,
                open_new=open_new,
                feeds=bars,
                clock=decision_clock,
                agent_timeout_s=config.paper.agent_timeout_s,
                venue_timer=monitor,
                operators=AdminNames(access),
                approval_keys=approval_keys,
            )
            engine = recovered.engine
            await monitor.attach(store, engine)
            registry = feed_registry(bars, clock)
            for symbol, rates in funding.items():
                feed_id = FeedId(bars[symbol].venue, symbol, FeedSchema.FUNDING)
                registry.register(ReplayFeed(feed_id, rates, clock))
            replay = [registry.get(str(spec.feed_id)) for spec in registry.list()]
            after_ns = recovered.resume_ns if recovered.resume_ns is not None else -1
            if recovered.resume_ns is not None:
                engine.warm(await history_before(replay, recovered.resume_ns))
            driver = ReplayDriver(engine, replay, clock, after_ns, stopwatch=wall)
            reconciler = Reconciler(engine, holdings_for(engine), config.reconciliation)
            reconciler.report_hooks.append(monitor.take_reconciliation)
            await reconciler.restore(store)
            pnl_guard = DailyPnlGuard(engine, config.pnl)
            await pnl_guard.restore(store)
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
            await reconciler.reconcile()  # at every start, before the first step
        except BaseException:
            await monitor.close()
            if bus is not None:
                await bus.close()
            await store.close()
            raise
        return cls(
            config,
            clock,
            store,
            engine,
            driver,
            registry,
            recovered,
            files,
            monitor,
            reconciler,
            pnl_guard,
            access,
            approval_keys,
            bus,
        )

    @classmethod
    async def _start_live(
        cls,
        config: AppConfig,
        approval_secret: bytes,
        *,
        account: str | None,
        new_account: bool,
        clock_at: Callable[[datetime], Clock] | None,
        bootstrap_key: str | None,
    ) -> Host:
        """Check live mode's preconditions, connect the venue, recover, reconcile, record.

        Refuses (``LiveRefused``, one line per failure) unless live trading is enabled, every
        routed venue has credentials, and reconciliation at start is clean (runtime.live); the
        recovery holds back the orders it would send again until the venue's side is clean, so
        a refused start has sent no order.
        Shadow mode on venue data (``live.shadow_on_venue_data``) steps on the routed venue's
        public bars, reads no credentials and sends every order to the record-only venue.
        """
        shadow = config.mode is Mode.SHADOW
        failures = shadow_failures(config) if shadow else start_failures(config)
        if failures:
            raise LiveRefused(failures)
        wall = WallClock()
        clock = clock_at(wall.now()) if clock_at is not None else wall
        store = await open_event_store(config.store.url, clock)
        venue = live_venue(config, clock, market_data_only=shadow)
        monitor = Monitor(config, wall)
        try:
            chosen, open_new = await choose_account(
                store, config.mode, requested=account, new_account=new_account
            )
            await venue.connect()
            interval_ns = config.live.bar_interval_s * _NS
            boundary_ns = clock.now_ns() - clock.now_ns() % interval_ns
            decision_clock = SimulatedClock(from_ns(boundary_ns))
            orders_to = ShadowVenue(venue.venue_id, decision_clock) if shadow else None
            markets = await live_markets(config, venue, clock, chosen, orders_to=orders_to)
            access = await AccessKeys.load(store, bootstrap_key)
            approval_keys = ApprovalKeyRotation(
                approval_secret,
                config.trading.approval_algorithm,
                approval_ttl_ns=APPROVAL_TTL_NS,
                max_skew_ns=MAX_SKEW_NS,
                store=store,
            )
            await approval_keys.start()
            recovered = await open_engine(
                config,
                store,
                approval_secret,
                account=chosen,
                open_new=open_new,
                feeds={},
                clock=decision_clock,
                agent_timeout_s=config.paper.agent_timeout_s,
                markets=markets,
                venue_timer=monitor,
                operators=AdminNames(access),
                approval_keys=approval_keys,
                hold_resends=not shadow,
            )
            engine = recovered.engine
            await monitor.attach(store, engine)
            if not shadow:
                # Nothing is sent before the venue's side is clean; then the held orders go
                # (the OMS's pass), and any still unanswered refuses the start.
                failures = await reconciliation_failures(engine, venue, clock)
                if not failures:
                    await engine.spine.oms.process_reports()
                    failures = unconfirmed_failures(engine)
                if failures:
                    raise LiveRefused(failures)
            after_ns = max(boundary_ns - interval_ns, recovered.resume_ns or 0)
            driver = LiveDriver(
                engine,
                venue,
                list(markets.instruments),
                config.live.bar_interval_s,
                clock,
                after_ns,
                stopwatch=wall,
            )
            await driver.warmup(config.live.warmup_bars)
            reconciler = Reconciler(engine, holdings_for(engine), config.reconciliation)
            reconciler.report_hooks.append(monitor.take_reconciliation)
            await reconciler.restore(store)
            pnl_guard = DailyPnlGuard(engine, config.pnl)
            await pnl_guard.restore(store)
            await store.append(
                EventType.RUNTIME_STARTED,
                {
                    "mode": config.mode.value,
                    "version": __version__,
                    "account": engine.account,
                    "account_opened": recovered.opened,
                    "resumed_after_ns": recovered.resume_ns,
                    "venue": venue.venue_id,
                    "testnet": config.live.venues[venue.venue_id].testnet,
                    "agents": len(engine.coordinator.agents),
                    "symbols": sorted(markets.instruments),
                    "trading_state": engine.spine.kill_switch.switch.state.value,
                    "kill_switch_latched": engine.spine.kill_switch.switch.is_latched(),
                    "open_orders": engine.spine.oms.activity.open_orders_count,
                },
                account=HOST_STREAM,
            )
        except BaseException:
            await monitor.close()
            await venue.close()
            await store.close()
            raise
        return cls(
            config,
            clock,
            store,
            engine,
            driver,
            FeedRegistry(),
            recovered,
            {},
            monitor,
            reconciler,
            pnl_guard,
            access,
            approval_keys,
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
        """Checkpoint a step in its account's stream (where a restart resumes), then watch it.

        After the checkpoint the daily PnL bounds are checked and, every
        ``reconciliation.interval_min`` of decision time, the book is reconciled with the venue.
        """
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
        await self.monitor.after_step(engine, report, self.driver.last_step_ns, lag.lag_ns)
        await self.pnl_guard.check()
        await self.reconciler.reconcile_if_due()

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
            "bus_url": self.bus.url_for_display,
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
        await self.monitor.close()
        await self.bus.close()
        await self.store.close()
        for driver in self.drivers.values():
            if isinstance(driver, LiveDriver):
                await driver.venue.close()
