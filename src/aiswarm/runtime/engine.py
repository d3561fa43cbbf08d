"""One account's trading engine: the only trading cycle in the code base.

A ``TradingEngine`` owns one account's market state, safety spine (risk engine, OMS, kill
switch, portfolio), coordinator (agents, arbitration, sizing, order schedule) and session state.
Backtest, paper, shadow and live are drivers: they decide *when* to call ``step(now_ns,
events)`` and with which market events; nothing else runs a cycle. One step, in order:

1. **Market events in.** Each bar is appended to the market state and shown to the venue at
   the bar's open (so an order decided at the previous close fills on this bar, one bar of
   latency, in every mode). A preloaded backtest bar is only built when an order is working.
   A funding rate sets the symbol's latest rate (agents read it from the frame) and, on a
   simulated venue, settles funding on the perpetual positions held, at the latest close.
2. **Venue reports, deadlines and timers.** The decision clock moves to ``now_ns`` (the newest
   bar's close: decisions within a step share one instant) and the OMS applies the venue's
   reports and cancels orders past their time to live. A fill the books could not take trips
   the kill switch before anything is decided (``Spine.halt_on_breaks``; again after the
   decisions, for fills their own orders drew).
3. **Decide.** Unless the session is paused: agents → arbitration → sizing → guards → signed
   approval → OMS, then the order schedule's due slices and re-quotes. A paused session asks no
   agent, and the OMS refuses every new submit at its gate (see ``trading_gate``).
4. **Kill switch.** The book is valued once (every symbol marked at its latest close, one
   snapshot) and the kill switch evaluated, in every mode and every step: a trip is recorded,
   then resting orders are cancelled; while the switch is latched with ``flatten_on_trip``, the
   flatten duty tries every step to close what is still open. When nothing that could move NAV
   has changed since the last evaluation (no position open, the same cash, the same run of venue
   rejections, the same UTC day) the answer cannot differ, so the snapshot is skipped.
   Holding, with nothing else changed and no flatten owed, NAV is computed and the full
   evaluation runs only when NAV leaves the band where the last verdict must stand (above the
   trip levels, not above the peak). Both keep a backtest cheap without changing any decision.
5. **Strategies.** Each (mandate, symbol) strategy moves through its lifecycle table (idle,
   looking, entered, managing, exited) as its mandate opens and closes and its orders and
   position come and go, each move recorded first (``orchestration.strategy_tracker``).
6. **Checkpoint.** The peak and day-opening NAV are recorded whenever they change.

Every state change goes to the account's journal before it takes effect; ``runtime.recovery``
rebuilds an engine from that journal after a crash.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.execution import EventJournal, Venue
from aiswarm.execution.venue import MarketDataSink
from aiswarm.market.market_state import MarketEvent, MarketState, SymbolSeries
from aiswarm.orchestration import (
    AgentWeights,
    ArbitrationConfig,
    Coordinator,
    FlattenInputs,
    TradingContext,
)
from aiswarm.orchestration.mandate_routing import MandateRouting
from aiswarm.orchestration.strategy_tracker import StrategyTracker
from aiswarm.portfolio import AllocatorConfig
from aiswarm.risk import LiquiditySource, MarketView, RiskLimits
from aiswarm.runtime.access_keys import RUNTIME_PRINCIPAL
from aiswarm.runtime.mandate_book import MandateBook
from aiswarm.runtime.session_state import SessionState, SessionTrigger, apply
from aiswarm.runtime.spine import BASELINE, Spine, baseline_payload
from aiswarm.types import (
    AccountId,
    Bar,
    EventType,
    FundingRate,
    Instrument,
    Mandate,
    MandateId,
    PortfolioSnapshot,
    Position,
    Symbol,
    VenueId,
)
from aiswarm.venues import PaperVenue, ShadowVenue

__all__ = ["SESSION_CHANGED", "EngineSetup", "StepReport", "TradingEngine"]

SESSION_CHANGED = EventType.SESSION_CHANGED
_NS = 1_000_000_000
_DAY_NS = 86_400 * _NS
_EMPTY: tuple[MarketEvent, ...] = ()
_PAUSED = SessionState.PAUSED
_LOG = logging.getLogger(__name__)


class StepReport(NamedTuple):
    """What one step did: for the status line, the cycle record and the API.

    A named tuple because every step builds one, hundreds of thousands in a backtest.
    """

    step: int
    now_ns: int
    bars: int
    agents: int
    signals: int
    orders: int
    nav: Decimal | None
    pnl: Decimal | None
    trading_state: str
    session: str
    tripped: bool = False


@dataclass(frozen=True)
class EngineSetup:
    """What an engine trades with, besides its spine: the composition root fills it in.

    ``mandate`` is the default mandate; ``mandates`` every mandate the engine runs, by id (the
    default among them; empty means the default alone), and ``routing`` which agent trades
    under which (None: every agent under the default).
    """

    account: AccountId
    instruments: Mapping[Symbol, Instrument]
    mandate: Mandate
    limits: RiskLimits
    arbitration: ArbitrationConfig
    allocator: AllocatorConfig
    agent_timeout_s: float | None = None
    mandates: Mapping[MandateId, Mandate] = field(default_factory=dict)
    routing: MandateRouting | None = None


class TradingEngine:
    """One account's cycle; see the module docstring."""

    def __init__(
        self,
        *,
        setup: EngineSetup,
        market: MarketState,
        venue: Venue,
        spine: Spine,
        agents: Sequence[Any],
        clock: SimulatedClock,
    ) -> None:
        self.setup = setup
        self.account = setup.account
        self.market = market
        self.venue = venue
        # A simulated venue matches against (or records) the bars; a live one ignores them.
        self._sink = venue if isinstance(venue, MarketDataSink) else None
        if isinstance(venue, PaperVenue):
            venue.use_reference_prices(market.latest_close)
        # A simulated venue reports only on working orders (fills, acks, cancels), so a step
        # with none has nothing to drain; any other venue may report at any time (funding on a
        # held position, a late report), so it is drained every step.
        self._drain_every_step = not isinstance(venue, PaperVenue | ShadowVenue)
        self.spine = spine
        self.clock = clock
        self.instruments = dict(setup.instruments)
        self.mandates = MandateBook(setup.mandate, setup.mandates)
        self.strategies = StrategyTracker(spine.journal)
        self.limits = setup.limits
        self.journal: EventJournal = spine.journal
        self._pause = spine.pause
        self._timeout = setup.agent_timeout_s
        self.coordinator = Coordinator(
            agents=agents,
            weights=AgentWeights(
                setup.arbitration, {agent.agent_id: agent.weight for agent in agents}
            ),
            arbitration=setup.arbitration,
            allocator=setup.allocator,
            pipeline=spine.pipeline,
            oms=spine.oms,
            journal=spine.journal,
            clock=clock,
            account=setup.account,
            routing=setup.routing,
        )
        self.session = SessionState.CREATED
        self.steps = 0
        self.signals = 0
        self.orders = 0
        self.trips = 0
        self.starting_cash = Decimal(0)
        self.last: StepReport | None = None
        self._recorded_baselines: tuple[object, ...] = (None, None, None)
        self._judged: tuple[object, ...] | None = None  # ``_verdict_key`` at the last verdict
        # The NAV band in which the last full verdict stands (see ``_band``).
        self._quiet_band: tuple[Decimal, Decimal] | None = None
        # Per symbol, the open time of the newest bar the venue already matched before a
        # restart: a step re-run after a crash must not match that bar twice.
        self._shown_through: dict[Symbol, int] = {}
        # Per symbol, the newest funding settlement the log already holds (its time, ns).
        self._funded_through: dict[Symbol, int] = {}
        # The held markets that had no price at the last step (logged when this changes).
        self._unpriced: tuple[tuple[VenueId, Symbol], ...] = ()

    @property
    def mandate(self) -> Mandate:
        """Return the default mandate as in force now (an expiry replaces it)."""
        return self.mandates.default

    # ------------------------------------------------------------------ the cycle

    async def step(self, now_ns: int, events: Sequence[MarketEvent] = _EMPTY) -> StepReport:
        """Run one cycle at decision time ``now_ns`` after taking ``events`` in, in order."""
        clock = self.clock
        oms = self.spine.oms
        activity = oms.activity
        sink = self._sink
        funding = settled = 0
        for event in events:
            series, index = self.market.apply(event)
            if isinstance(event, FundingRate):
                funding += 1
                if sink is not None:
                    settled += self._settle_funding(sink, event, series)
                continue
            if sink is None:
                continue
            if isinstance(event, Bar):
                if event.ts_ns <= self._shown_through.get(event.symbol, -1):
                    continue  # matched before a restart; its fills are in the log
                clock.set_ns(max(clock.now_ns(), event.ts_ns))
                sink.on_bar(event)
            elif activity.open_orders_count:
                clock.set_ns(max(clock.now_ns(), int(series.series.ts_ns[index])))
                sink.on_bar(series.bar_at(index))
        if now_ns < clock.now_ns():
            raise ValueError(
                f"step at {from_ns(now_ns).isoformat()} is before the engine's time "
                f"{clock.now().isoformat()}: steps must not go back in time"
            )
        clock.set_ns(now_ns)
        await self.mandates.expire_due(now_ns, self.journal)
        spine = self.spine
        await spine.keys.sync(now_ns)  # a rotation signs at once; expired old ids retire
        portfolio = spine.portfolio
        halted = 0
        if activity.open_orders_count or self._drain_every_step or settled:
            await oms.process_reports()
            if portfolio.breaks:  # almost never: the check spares the step a coroutine
                halted = await spine.halt_on_breaks()  # before any decision rests on the books
        self.steps += 1
        coordinator = self.coordinator
        signals = orders = 0
        frame = self.market.frame(now_ns)
        if self.session is not _PAUSED and frame.symbols and self._book_priced():
            if self._timeout is None:
                collected = coordinator.collect(frame)
            else:
                collected = await coordinator.collect_concurrently(frame, self._timeout)
            if collected[0] or collected[1] or collected[2] or coordinator.has_timers:
                outcome = await coordinator.act(frame, collected, self.context)
                signals = len(outcome.signals)
                orders = outcome.orders_placed
        if portfolio.breaks:
            halted += await spine.halt_on_breaks()  # fills the decisions' own orders drew
        self.trips += halted
        tripped, nav = await self._evaluate_kill_switch()
        await self.strategies.observe(
            now_ns, self.mandates.by_id.values(), self.instruments, self._holds, self._works
        )
        tripped = tripped or halted > 0
        self.signals += signals
        self.orders += orders
        report = StepReport(  # positional: keywords cost more, once a bar
            self.steps,
            now_ns,
            len(events) - funding,  # bars
            len(coordinator.agents),
            signals,
            orders,
            nav,
            None if nav is None else nav - self.starting_cash,  # pnl
            spine.kill_switch.switch.state,  # trading_state, a StrEnum: its text
            self.session,
            tripped,
        )
        self.last = report
        return report

    def _holds(self, symbol: Symbol) -> bool:
        """Return True while the account holds a position in ``symbol`` (at its venue)."""
        held = self.spine.portfolio.position(self.instruments[symbol].venue, symbol)
        return held is not None and bool(held.quantity)

    def _works(self, mandate_id: MandateId, symbol: Symbol) -> bool:
        """Return True while an order of ``mandate_id`` works in ``symbol``."""
        orders = self.spine.oms.open_orders(symbol)
        return any(order.spec.mandate_id == mandate_id for order in orders)

    def _settle_funding(self, sink: MarketDataSink, rate: FundingRate, series: SymbolSeries) -> int:
        """Let a simulated venue settle ``rate`` at the latest close; return 1 if it did.

        Not before the first close (nothing can be held without a price), and not again for a
        settlement the log already holds (a step re-run after a crash).
        """
        mark = series.latest_close()
        if mark is None or rate.ts_ns <= self._funded_through.get(rate.symbol, -1):
            return 0
        sink.on_funding(rate, mark)
        return 1

    def warm(self, events: Sequence[MarketEvent]) -> None:
        """Show agents bars that were already traded before a restart; place nothing.

        Agents keep streaming state (indicators, their realised edge) and arbitration keeps
        adaptive weights; both are rebuilt by showing them the same bars in the same order,
        so decisions after a restart are the ones an uninterrupted run would make.
        """
        if not events:
            return
        for event in events:
            self.market.apply(event)
        frame = self.market.frame(self.clock.now_ns())
        signals, _, _ = self.coordinator.collect(frame)
        self.coordinator.observe(signals)

    async def fund(self, amount: Decimal) -> None:
        """Record a deposit of quote currency, then credit it (paper and backtest funding)."""
        await self.spine.deposit(amount)
        self.starting_cash += amount

    # ------------------------------------------------------------------ context

    def context(self) -> TradingContext:
        """Mark every symbol at its latest close and return the step's trading context."""
        return self._context(self._mark_all())

    def _mark_all(self) -> dict[Symbol, MarketView]:
        """Mark every symbol with a closed bar at its latest close; return the market views."""
        portfolio = self.spine.portfolio
        markets: dict[Symbol, MarketView] = {}
        for series in self.market:
            if series.end == 0:
                continue
            view, close = self._market_view(series)
            markets[series.symbol] = view
            portfolio.mark(series.venue, series.symbol, close)
        return markets

    def _context(self, markets: dict[Symbol, MarketView]) -> TradingContext:
        """Snapshot the portfolio once (after ``_mark_all``) and build the context."""
        snapshot = self.spine.portfolio.snapshot(self.clock.now())
        return TradingContext(
            portfolio=snapshot,
            markets=markets,
            instruments=self.instruments,
            mandate=self.mandates.default,
            limit_position_notional_usd=self.limits.max_position_notional_usd,
            mandates=self.mandates.by_id,
        )

    def _market_view(self, series: SymbolSeries) -> tuple[MarketView, Decimal]:
        """Return ``series``' newest closed bar as the market view, and its exact close."""
        index = series.end - 1
        close = series.latest_close()
        assert close is not None  # callers skip a series with no closed bar
        liquidity = series.liquidity_at(index)
        view = MarketView(
            venue=series.venue,
            symbol=series.symbol,
            mark=close,
            best_bid=None,
            best_ask=None,
            updated_ns=int(series.series.ts_ns[index]) + series.interval_s * _NS,
            liquidity_usd=Decimal(repr(liquidity)) if math.isfinite(liquidity) else None,
            liquidity_source=LiquiditySource.TRADED_VOLUME,
        )
        return view, close

    async def _evaluate_kill_switch(self) -> tuple[bool, Decimal | None]:
        """Value the book once and let the kill switch judge it; return (tripped, NAV).

        NAV is computed every step (the held symbols marked at their latest close). The full
        verdict (snapshot, baselines, kill switch) runs only when NAV leaves the band where the
        last verdict must stand, or when something else it weighs has changed (``_verdict_key``).
        """
        spine = self.spine
        portfolio = spine.portfolio
        self._mark_held()
        nav = portfolio.marked_nav()
        if nav is None:
            return await self._judge_unvalued(), None
        band = self._quiet_band
        if band is not None and band[0] < nav <= band[1] and self._verdict_key() == self._judged:
            # NAV between the trip level and the peak, same day, same run of rejections, same
            # latch: no trip, no new peak, no new day. The verdict is the last one.
            return False, nav
        snapshot = portfolio.snapshot(self.clock.now())
        await self._checkpoint_baselines()
        control = spine.kill_switch
        change, _ = await control.check(snapshot, self._flatten_inputs_for(snapshot))
        self._judged = self._verdict_key()
        # While a flatten is owed every step must value the book and try again: no band.
        quiet = change is None and not control.flatten_owed()
        self._quiet_band = self._band(snapshot) if quiet else None
        if change is None:
            return False, snapshot.nav
        self.trips += 1
        return True, snapshot.nav

    def _mark_held(self) -> None:
        """Mark every held market that has a price at its latest close."""
        portfolio = self.spine.portfolio
        if portfolio.has_open_positions():
            market = self.market
            mark = portfolio.mark
            for venue, symbol in portfolio.open_markets():
                close = market.latest_close(symbol)
                if close is not None and market[symbol].venue == venue:
                    mark(venue, symbol, close)

    def _book_priced(self) -> bool:
        """Return whether every held position has a price, so the step may decide.

        A position without a price (its market not fed, or no bar yet) makes NAV unknown, and
        an unknown price means no trading: no new decisions and no timer slices until it has
        one. The kill switch still judges what needs no NAV (``_judge_unvalued``).
        """
        portfolio = self.spine.portfolio
        if not portfolio.has_open_positions() or not portfolio.missing_marks():
            self._unpriced = ()
            return True  # every held position has a mark: the decisions re-mark them anyway
        self._mark_held()
        missing = portfolio.missing_marks()
        if missing and missing != self._unpriced:
            _LOG.warning(
                "no price for held position(s) %s: no new decisions until each has one",
                ", ".join(f"{symbol} at {venue}" for venue, symbol in missing),
            )
        self._unpriced = missing
        return not missing

    async def _judge_unvalued(self) -> bool:
        """Let the kill switch judge a book it cannot value; return whether it tripped.

        The circuit breaker (a run of venue rejections) needs no NAV and still trips, cancelling
        resting orders. Daily loss and drawdown cannot be judged, and a flatten owed waits for a
        price to size and guard its orders: nothing is placed at an invented price.
        """
        self._quiet_band = None
        self._judged = None
        change, _ = await self.spine.kill_switch.check(None)
        if change is None:
            return False
        self.trips += 1
        return True

    def _band(self, snapshot: PortfolioSnapshot) -> tuple[Decimal, Decimal] | None:
        """Return the NAV band (trip level, peak] in which the next verdict cannot change.

        Daily loss trips at NAV <= day-open x (1 - limit), drawdown at NAV <= peak x (1 -
        limit); above both and not above the peak, nothing is observed either. The level is
        rounded up a hair so that a NAV at the boundary always takes the full evaluation. Peak
        and day-open are in today's units (``portfolio.baselines``): a deposit or withdrawal
        rescales them, and since the baselines are part of ``_verdict_key`` the band is then
        worked out afresh.
        """
        opening = snapshot.nav - snapshot.daily_pnl
        peak = snapshot.peak_nav
        if opening <= 0 or peak <= 0:
            return None  # a non-positive opening NAV trips on any loss: evaluate every time
        limits = self.limits
        level = max(
            opening - opening * limits.max_daily_loss_frac,
            peak - peak * limits.max_drawdown_frac,
        )
        return level + abs(level).scaleb(-20), peak

    def _flatten_inputs_for(
        self, snapshot: PortfolioSnapshot
    ) -> Callable[[Position], FlattenInputs]:
        """Return the flatten inputs, building the market views only if a trip needs them."""
        views: dict[Symbol, MarketView] = {}

        def inputs(position: Position) -> FlattenInputs:
            if not views:
                for series in self.market:
                    if series.end:
                        views[series.symbol] = self._market_view(series)[0]
            return FlattenInputs(
                instrument=self.instruments.get(position.symbol),
                mandate=self.mandates.for_symbol(position.symbol, self.clock.now_ns()),
                market=views.get(position.symbol),
                mandate_exposure_usd=snapshot.gross_exposure
                + self.spine.oms.activity.open_order_notional_total_usd,
            )

        return inputs

    def _verdict_key(self) -> tuple[object, ...]:
        """What the verdict weighs besides NAV: rejections, latch, flatten owed, day, baselines.

        A flatten owed again (a second trip after an operator stopped one) must be tried at
        once, although the latch did not change. The day is in it because the first snapshot
        of a day opens that day's baseline: skipped, a later loss would be measured from after
        it, and missed. The baselines are in it because a deposit or withdrawal rescales them
        (they are kept in today's units), and with them the trip levels and the peak of the
        band.
        """
        spine = self.spine
        control = spine.kill_switch
        return (
            spine.oms.activity.consecutive_rejections,
            control.switch.is_latched(),
            control.flatten_owed(),
            self.clock.now_ns() // _DAY_NS,
            spine.portfolio.baselines(),
        )

    async def _checkpoint_baselines(self) -> None:
        """Record the peak NAV and the day's opening NAV whenever either changes.

        They are what drawdown and daily loss are measured from; recorded, they survive a
        restart instead of starting again from the first snapshot after it.
        """
        baselines = self.spine.portfolio.baselines()
        if baselines != self._recorded_baselines:
            await self.journal.append(BASELINE, baseline_payload(*baselines))
            self._recorded_baselines = baselines

    def restore_checkpoint(
        self,
        baselines: tuple[object, ...],
        shown_through: Mapping[Symbol, int],
        funded_through: Mapping[Symbol, int],
    ) -> None:
        """Take back, after a restart, what the log says about the steps already taken.

        ``baselines`` are the recorded peak and day-open NAV; ``shown_through`` the newest bar
        per symbol the venue matched; ``funded_through`` the newest funding settlement per
        symbol the log holds. A flatten a trip still owes needs nothing here: the spine brings
        back the latch and any operator's stop, and every step carries it out.
        """
        self._recorded_baselines = baselines
        self._shown_through = dict(shown_through)
        self._funded_through = dict(funded_through)

    def _nav(self) -> Decimal | None:
        return self.spine.portfolio.marked_nav()

    # ------------------------------------------------------------------ session

    @property
    def paused(self) -> bool:
        """Return True while an operator's pause holds."""
        return self.session is SessionState.PAUSED

    async def change_session(
        self, trigger: SessionTrigger, reason: str, by: str = RUNTIME_PRINCIPAL
    ) -> SessionState:
        """Move the session through its table; an illegal move raises ``InvalidTransition``.

        ``by`` names who asked: the principal behind an API call, or ``runtime``.

        A pause tightens, so it closes the OMS gate at the instant its record is queued: the
        store numbers records in the order they are queued, so no order can be recorded after
        the pause, even from a step already under way. Every other change (a resume loosens)
        takes effect only once it is durably recorded. If recording fails, nothing changes.
        """
        target = apply(self.session, trigger)
        before = self.session
        if target is SessionState.PAUSED:
            self.restore_session(target, reason)
        try:
            await self.journal.append(
                SESSION_CHANGED,
                {
                    "from": before.value,
                    "to": target.value,
                    "trigger": trigger.value,
                    "reason": reason,
                    "by": by,
                },
            )
        except BaseException:
            self.restore_session(before)
            raise
        self.restore_session(target, reason)
        return target

    def restore_session(self, state: SessionState, reason: str = "") -> None:
        """Set the session state (from the journal at a restart, or after recording it)."""
        self.session = state
        self._pause.paused = state is SessionState.PAUSED
        self._pause.reason = reason if self._pause.paused else ""

    def status(self) -> dict[str, Any]:
        """Return the account's counters and state for the API and the status line."""
        spine = self.spine
        last = self.last
        nav = self._nav()
        return {
            "account": self.account,
            "session": self.session.value,
            "steps": self.steps,
            "signals": self.signals,
            "orders": self.orders,
            "open_orders": spine.oms.activity.open_orders_count,
            "cash": spine.portfolio.cash,
            "nav": nav,
            "pnl": None if nav is None else nav - self.starting_cash,
            "decision_time": self.clock.now().isoformat(),
            "last_step_ns": None if last is None else last.now_ns,
            "trading_state": spine.kill_switch.switch.state.value,
            "kill_switch_latched": spine.kill_switch.switch.is_latched(),
            "kill_switch_trips": self.trips,
            "symbols": self.market.symbols,
        }
