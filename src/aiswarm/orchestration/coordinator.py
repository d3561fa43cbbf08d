"""One coordinator cycle: agents, arbitration, allocation, then the safety spine for each order.

A cycle takes a ``MarketFrame`` and asks every agent for signals. An agent that raises (or, in
paper and live mode, overruns its timeout) is isolated: its failure is recorded and the cycle
goes on without it. When there are signals, the cycle builds the trading context (portfolio
snapshot, market views, instruments, mandates) once, arbitrates each mandate's signals per
symbol (``mandate_routing``: one mandate per agent; a mandate that may not trade now decides
nothing), sizes each decision under its mandate with the allocator, and places each resulting
intent through the ``OrderPipeline`` (guard chain, signed approval, OMS). Every step is
recorded in the journal (``cycle_records``): the signals (and the rejected ones), each symbol's
decision with its mandate and contributions, each sizing outcome, and — by the pipeline — every
risk decision. A cycle with no signals records nothing and costs little, which
is what lets a backtest run the same cycle on every bar.

Orders are worked over time by ``order_schedule.OrderSchedule`` (TWAP slices, re-quotes of
resting limit orders): its timers are checked every cycle after the decisions, signals or not;
holding none costs a quiet cycle one dict emptiness check. ``has_timers`` tells a caller that
skips ``act`` on quiet cycles (the backtest runner) when it must not. After a restart,
``restore`` rebuilds the schedule from the journal, so the remaining slices are placed once
and watched orders are still re-quoted.

Backtest and paper/live differ only in how agents are run: inline in a backtest (the clock is
simulated, so a wall-clock timeout means nothing and the result must be deterministic), on
worker threads with a timeout in paper and live mode. A timed-out agent is skipped until its
thread returns, so two cycles never run one agent's state at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from aiswarm.agents import Agent, Proposal
from aiswarm.clock import Clock, from_ns
from aiswarm.execution import EventJournal, OrderManager
from aiswarm.orchestration.arbitration import (
    AgentWeights,
    ArbitrationConfig,
    ArbitrationDecision,
    arbitrate,
)
from aiswarm.orchestration.cycle_records import decision_payload, signals_payload
from aiswarm.orchestration.mandate_routing import MandateRouting, mandate_exposure_usd
from aiswarm.orchestration.order_pipeline import OrderPipeline, Placement, working_quantities
from aiswarm.orchestration.order_schedule import OrderSchedule
from aiswarm.portfolio import AllocatorConfig, NoOrder, NoOrderReason, size
from aiswarm.risk import MarketView
from aiswarm.types import (
    AccountId,
    AgentId,
    Direction,
    EventType,
    Instrument,
    Mandate,
    MandateId,
    MarketFrame,
    OrderIntent,
    PortfolioSnapshot,
    Signal,
    Symbol,
)

__all__ = [
    "AgentStopwatch",
    "Collected",
    "Coordinator",
    "CycleOutcome",
    "TradingContext",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TradingContext:
    """What one cycle's orders are sized and judged against, built only when needed.

    ``mandate`` is the one an order is sized and judged under: the account's default, replaced
    per decision by the mandate of the agents that decided it. ``mandates`` holds every mandate
    the engine runs, by id (the default among them); an id not in it is judged with no mandate
    (refused: MANDATE_INACTIVE).
    """

    portfolio: PortfolioSnapshot
    markets: Mapping[Symbol, MarketView]
    instruments: Mapping[Symbol, Instrument]
    mandate: Mandate
    limit_position_notional_usd: Decimal
    mandates: Mapping[MandateId, Mandate] = field(default_factory=dict)

    def mandate_by_id(self, mandate_id: MandateId) -> Mandate | None:
        """Return the mandate ``mandate_id`` names, or None when the engine runs no such one."""
        if mandate_id == self.mandate.mandate_id:
            return self.mandate
        return self.mandates.get(mandate_id)


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    """What a cycle did; counts feed the status line and the cycle record."""

    signals: tuple[Signal, ...] = ()
    failures: tuple[tuple[AgentId, str], ...] = ()
    decisions: tuple[ArbitrationDecision, ...] = ()
    intents: tuple[OrderIntent, ...] = ()
    no_orders: tuple[tuple[Symbol, NoOrder], ...] = ()
    placements: tuple[Placement, ...] = ()

    @property
    def orders_placed(self) -> int:
        """Return how many intents the OMS accepted (new or already held)."""
        return sum(1 for placement in self.placements if placement.is_live)


_EMPTY = CycleOutcome()
_SIGN = {Direction.LONG: 1, Direction.SHORT: -1, Direction.FLAT: 0}

Collected = tuple[list[Signal], list[Any], list[tuple[AgentId, str]]]
"""What the agents said this cycle: valid signals, rejected ones with problems, failures."""


class AgentStopwatch(Protocol):
    """Times each agent's ``propose`` (metrics); the runtime provides it, on a wall clock."""

    def monotonic_ns(self) -> int:
        """Return a monotonic counter in nanoseconds."""
        ...

    def agent_took(self, agent_id: str, duration_ns: int) -> None:
        """Take how long one agent's ``propose`` ran."""
        ...


class Coordinator:
    """Run cycles for one account and mandate; see the module docstring."""

    def __init__(
        self,
        *,
        agents: Sequence[Agent],
        weights: AgentWeights,
        arbitration: ArbitrationConfig,
        allocator: AllocatorConfig,
        pipeline: OrderPipeline,
        oms: OrderManager,
        journal: EventJournal,
        clock: Clock,
        account: AccountId,
        routing: MandateRouting | None = None,
    ) -> None:
        self._agents = tuple(agents)
        self._routing = (routing or MandateRouting()).with_types_of(self._agents)
        self._weights = weights
        self._arbitration = arbitration
        self._allocator = allocator
        self._pipeline = pipeline
        self._oms = oms
        self._journal = journal
        self._clock = clock
        self._account = account
        self._busy: dict[AgentId, asyncio.Future[Proposal]] = {}
        # Each agent's latest call per symbol: (direction sign, price), for its track record.
        self._calls: dict[tuple[AgentId, Symbol], tuple[int, float]] = {}
        self._schedule = OrderSchedule(allocator, oms, journal)
        self._timers = self._schedule.timers  # empty: nothing to follow up this cycle
        self._stopwatch: AgentStopwatch | None = None

    def use_stopwatch(self, stopwatch: AgentStopwatch | None) -> None:
        """Time every agent's ``propose`` with ``stopwatch`` from now on (None: stop timing)."""
        self._stopwatch = stopwatch

    def _propose(self, agent: Agent, frame: MarketFrame) -> Proposal:
        """Ask ``agent``, timed when a stopwatch is set (also when it raises)."""
        stopwatch = self._stopwatch
        if stopwatch is None:
            return agent.propose(frame)
        started = stopwatch.monotonic_ns()
        try:
            return agent.propose(frame)
        finally:
            stopwatch.agent_took(agent.agent_id, stopwatch.monotonic_ns() - started)

    def restore(self, records: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Rebuild the order schedule (slices owed, orders watched) from the account's journal.

        ``records`` are the journal's ``(type, payload)`` pairs, oldest first: the list the
        OMS was restored from. Call once at start-up, right after ``OrderManager.restore``
        and before the first cycle; see ``order_schedule`` for what comes back.
        """
        self._schedule.restore(records)

    @property
    def has_timers(self) -> bool:
        """Return True while slices are owed or orders watched: run ``act`` every cycle then."""
        return bool(self._timers)

    @property
    def agents(self) -> tuple[Agent, ...]:
        """Return the agents this coordinator asks, in order."""
        return self._agents

    # ----------------------------------------------------------------- agents

    def collect(self, frame: MarketFrame) -> Collected:
        """Ask every agent inline; return signals, rejected signals and failures."""
        signals: list[Signal] = []
        rejected: list[Any] = []
        failures: list[tuple[AgentId, str]] = []
        for agent in self._agents:
            try:
                proposal = self._propose(agent, frame)
            except Exception as exc:  # noqa: BLE001 - one agent's bug must not stop the cycle
                failures.append((agent.agent_id, f"{type(exc).__name__}: {exc}"))
                continue
            if proposal.signals:
                signals.extend(proposal.signals)
            if proposal.rejected:
                rejected.extend(proposal.rejected)
        return signals, rejected, failures

    async def collect_concurrently(self, frame: MarketFrame, timeout_s: float) -> Collected:
        """Ask every agent on its own thread, each bounded by ``timeout_s`` wall seconds."""
        signals: list[Signal] = []
        rejected: list[Any] = []
        failures: list[tuple[AgentId, str]] = []
        running: dict[AgentId, asyncio.Future[Proposal]] = {}
        for agent in self._agents:
            previous = self._busy.get(agent.agent_id)
            if previous is not None and not previous.done():
                failures.append((agent.agent_id, "still running its previous cycle; skipped"))
                continue
            running[agent.agent_id] = asyncio.ensure_future(
                asyncio.to_thread(self._propose, agent, frame)
            )
        if running:
            await asyncio.wait(running.values(), timeout=timeout_s)
        for agent_id, future in running.items():
            if not future.done():
                self._busy[agent_id] = future
                failures.append((agent_id, f"timed out after {timeout_s:g}s; result discarded"))
                continue
            self._busy.pop(agent_id, None)
            error = future.exception()
            if error is not None:
                failures.append((agent_id, f"{type(error).__name__}: {error}"))
                continue
            proposal = future.result()
            signals.extend(proposal.signals)
            rejected.extend(proposal.rejected)
        return signals, rejected, failures

    def observe(self, signals: list[Signal]) -> None:
        """Score ``signals`` for the adaptive weights without deciding anything.

        Used to warm an engine after a restart on bars it already traded, so its weights are
        the ones an uninterrupted run would have.
        """
        self._score_calls(signals)

    # ----------------------------------------------------------------- decide

    async def cycle(
        self,
        frame: MarketFrame,
        context: Callable[[], TradingContext],
        *,
        agent_timeout_s: float | None = None,
    ) -> CycleOutcome:
        """Run one cycle; ``context`` is called only when there is something to decide."""
        if agent_timeout_s is None:
            collected = self.collect(frame)
        else:
            collected = await self.collect_concurrently(frame, agent_timeout_s)
        return await self.act(frame, collected, context)

    async def act(
        self, frame: MarketFrame, collected: Collected, context: Callable[[], TradingContext]
    ) -> CycleOutcome:
        """Record what the agents said, decide and place orders, then follow the schedule."""
        signals, rejected, failures = collected
        if failures:
            await self._journal.append_many(
                (EventType.AGENT_FAILED, {"agent_id": agent_id, "error": error})
                for agent_id, error in failures
            )
            for agent_id, error in failures:
                _log.warning("agent isolated: %s: %s", agent_id, error)
        if not signals and not rejected:
            outcome = _EMPTY if not failures else CycleOutcome(failures=tuple(failures))
            return await self._follow(frame, outcome, context) if self._timers else outcome
        await self._journal.append(EventType.CYCLE_SIGNALS, signals_payload(signals, rejected))
        if not signals:
            outcome = CycleOutcome(failures=tuple(failures))
            return await self._follow(frame, outcome, context) if self._timers else outcome
        built = context()
        outcome = await self._decide(frame, signals, failures, built)
        return await self._follow(frame, outcome, lambda: built) if self._timers else outcome

    async def _follow(
        self, frame: MarketFrame, outcome: CycleOutcome, context: Callable[[], TradingContext]
    ) -> CycleOutcome:
        """Place the slices and re-quotes due now; add their placements to ``outcome``."""
        placements = await self._schedule.follow(frame.now_ns, context, self._place)
        if not placements:
            return outcome
        return replace(outcome, placements=outcome.placements + tuple(placements))

    async def _place(
        self,
        intent: OrderIntent,
        context: TradingContext,
        decision: ArbitrationDecision | None = None,
    ) -> Placement:
        """Send ``intent`` through the pipeline, judged under its own mandate in ``context``."""
        mandate = context.mandate_by_id(intent.mandate_id)
        return await self._pipeline.place(
            intent,
            instrument=context.instruments.get(intent.symbol),
            portfolio=context.portfolio,
            mandate=mandate,
            market=context.markets.get(intent.symbol),
            # Live: orders placed earlier in this cycle count against the budget.
            mandate_exposure_usd=None
            if mandate is None
            else mandate_exposure_usd(
                mandate, context.portfolio, context.markets, self._oms.activity
            ),
            strategy_types=self._routing.strategy_types(
                decision, intent.mandate_id, context.mandate.mandate_id
            ),
        )

    async def _decide(
        self,
        frame: MarketFrame,
        signals: list[Signal],
        failures: list[tuple[AgentId, str]],
        context: TradingContext,
    ) -> CycleOutcome:
        self._score_calls(signals)
        decisions: list[ArbitrationDecision] = []
        intents: list[OrderIntent] = []
        no_orders: list[tuple[Symbol, NoOrder]] = []
        placements: list[Placement] = []
        ts_event = from_ns(frame.now_ns)
        groups = self._routing.group(signals, context.mandate.mandate_id)
        for mandate_id, grouped in groups.items():
            mandate = context.mandate_by_id(mandate_id)
            if mandate is None or not mandate.is_tradable(frame.now_ns):
                continue  # expired, paused or outside its window: its agents only watch
            under = context if mandate is context.mandate else replace(context, mandate=mandate)
            decided = arbitrate(grouped, self._weights, self._arbitration)
            decisions.extend(decided.values())
            await self._journal.append_many(
                (EventType.ARBITRATION_DECISION, decision_payload(decision, mandate_id))
                for decision in decided.values()
            )
            for symbol, decision in decided.items():
                if decision.direction is not None and self._timers:
                    await self._schedule.replace(symbol, f"new decision: {decision.direction}")
                outcome = self._size(symbol, decision, under, ts_event)
                if isinstance(outcome, NoOrder):
                    no_orders.append((symbol, outcome))
                    await self._journal.append(
                        EventType.ALLOCATION,
                        {
                            "symbol": symbol,
                            "order": None,
                            "reason": outcome.reason.value,
                            "detail": outcome.detail,
                        },
                    )
                    continue
                intents.append(outcome)
                await self._journal.append(
                    EventType.ALLOCATION,
                    {"symbol": symbol, "order": outcome.model_dump(mode="json")},
                )

                async def place(
                    intent: OrderIntent,
                    context: TradingContext,
                    decision: ArbitrationDecision = decision,
                ) -> Placement:
                    return await self._place(intent, context, decision)

                placements.append(await self._schedule.start(outcome, frame.now_ns, under, place))
        return CycleOutcome(
            signals=tuple(signals),
            failures=tuple(failures),
            decisions=tuple(decisions),
            intents=tuple(intents),
            no_orders=tuple(no_orders),
            placements=tuple(placements),
        )

    def _score_calls(self, signals: list[Signal]) -> None:
        """Feed each agent's realised performance to the adaptive weights.

        An agent's call on a symbol is scored when its next call on that symbol arrives: the
        return of having followed it (LONG +1, SHORT -1, FLAT 0) from the price it was made at
        to the price of the next call. Signals without a positive ``price`` in their evidence
        are not scored.
        """
        for signal in signals:
            price = signal.evidence.get("price")
            if not isinstance(price, int | float) or not price > 0:
                continue
            key = (signal.agent_id, signal.symbol)
            previous = self._calls.get(key)
            if previous is not None and previous[0] != 0:
                sign, then = previous
                self._weights.record_outcome(signal.agent_id, sign * (float(price) / then - 1.0))
            self._calls[key] = (_SIGN[signal.direction], float(price))

    def _size(
        self,
        symbol: Symbol,
        decision: ArbitrationDecision,
        context: TradingContext,
        ts_event: datetime,
    ) -> OrderIntent | NoOrder:
        instrument = context.instruments.get(symbol)
        market = context.markets.get(symbol)
        if instrument is None:
            return NoOrder(
                NoOrderReason.NO_PRICE, f"{symbol} has no instrument here, so no price: not traded"
            )
        held = context.portfolio.position(symbol, instrument.venue)
        working, selling = working_quantities(self._oms, symbol, instrument.venue)
        return size(
            decision,
            mark=market.mark if market is not None else None,
            position=held.quantity if held is not None else Decimal(0),
            open_order_quantity=working,
            working_sell_quantity=selling,
            nav=context.portfolio.nav,
            instrument=instrument,
            mandate=context.mandate,
            limit_position_notional_usd=context.limit_position_notional_usd,
            config=self._allocator,
            ts_event=ts_event,
            account=self._account,
            reason=decision.explanation,
        )
