"""Run the live pipeline over historical bars on a simulated clock: a backtest.

Nothing here re-implements trading: every bar goes through the same ``Coordinator`` (agents,
arbitration, allocator), the same ``OrderPipeline`` (guard chain, signed approval, OMS
verification), the same ``PaperVenue`` matching and the same ``Portfolio`` accounting as paper
mode, and every decision is written to a hash-chained ``MemoryJournal`` with the event store's
encoding. Only the clock (simulated), the feed (arrays in memory) and the journal (in memory,
sealed at the end) differ.

Timing per bar ``t`` (``ts`` is the bar's open time, ``interval`` its length): at ``ts`` the
venue matches resting orders against bar ``t`` (so an order decided at the close of ``t - 1``
fills at ``t``'s open plus slippage: one bar of latency); at ``ts + interval`` (bar ``t``'s
close) the agents see bars ``[0, t]`` and the coordinator decides. The venue is only shown a bar
when an order is working, and the portfolio is only marked when a decision needs a snapshot:
the equity curve is computed afterwards from the fills and closes, column-wise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from aiswarm.agents import Agent
from aiswarm.backtest.results import BacktestResult, EquityCurve, OrderRecord
from aiswarm.clock import Clock, SimulatedClock, WallClock, from_ns, to_ns
from aiswarm.market.bar_arrays import BarArrays
from aiswarm.orchestration import ArbitrationConfig, TradingContext
from aiswarm.portfolio import AllocatorConfig
from aiswarm.risk import KillSwitch, KillTrigger, RiskLimits
from aiswarm.runtime.desk import TradingDesk
from aiswarm.runtime.spine import Spine, assemble_spine
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import (
    AccountId,
    Fill,
    Instrument,
    Mandate,
    MarketFrame,
    OrderSpec,
    Side,
    SymbolFrame,
)
from aiswarm.venues import PaperVenue
from aiswarm.venues.fill_models import FeeModel, SlippageModel

__all__ = ["BacktestRun", "BacktestSetup", "run_backtest"]

_NS = 1_000_000_000
_BACKTEST_ACCOUNT = AccountId("backtest")


@dataclass(frozen=True)
class BacktestSetup:
    """Everything a run needs. Limits and mandate apply exactly as they would live."""

    bars: BarArrays
    instrument: Instrument
    agents: Sequence[Agent]
    arbitration: ArbitrationConfig
    allocator: AllocatorConfig
    limits: RiskLimits
    mandate: Mandate
    starting_cash: Decimal
    fee_model: FeeModel
    slippage: SlippageModel | None = None
    max_participation_frac: Decimal | None = Decimal("0.1")
    liquidity_window_bars: int = 60
    account: AccountId = _BACKTEST_ACCOUNT
    params: dict[str, float | int | str] = field(default_factory=dict)
    approval_secret: bytes = b"backtest-approval-secret-32-byte"
    order_ttl_s: float | None = None


@dataclass(frozen=True)
class BacktestRun:
    """A finished run: its result, its sealed journal and how long each part took (ns)."""

    result: BacktestResult
    journal: MemoryJournal
    specs: tuple[OrderSpec, ...]
    orders: int
    fills: int
    loop_ns: int
    total_ns: int

    @property
    def bars(self) -> int:
        """Return the number of bars replayed."""
        return self.result.bars


class _Run:
    """One run's wiring: simulated clock, in-memory journal, paper venue, spine and desk."""

    def __init__(self, setup: BacktestSetup) -> None:
        bars = setup.bars
        self.setup = setup
        self.clock = SimulatedClock(from_ns(int(bars.ts_ns[0])))
        self.journal = MemoryJournal(self.clock, setup.account)
        instruments = {bars.symbol: setup.instrument}
        self.venue = PaperVenue(
            bars.venue,
            instruments,
            self.clock,
            fee_model=setup.fee_model,
            slippage=setup.slippage,
            max_participation_frac=setup.max_participation_frac,
        )
        self.spine: Spine = assemble_spine(
            journal=self.journal,
            venue=self.venue,
            clock=self.clock,
            account=setup.account,
            instruments=instruments,
            approval_secret=setup.approval_secret,
            limits=setup.limits,
            switch=KillSwitch(),
            order_ttl_s=setup.order_ttl_s,
        )
        self.desk = TradingDesk(
            feeds={bars.symbol: bars},
            instruments=instruments,
            venue=self.venue,
            spine=self.spine,
            agents=list(setup.agents),
            arbitration=setup.arbitration,
            allocator=setup.allocator,
            limits=setup.limits,
            mandate=setup.mandate,
            clock=self.clock,
            account=setup.account,
            liquidity_window_bars=setup.liquidity_window_bars,
        )
        self.index = 0

    def context(self) -> TradingContext:
        return self.desk.context({self.setup.bars.symbol: self.index + 1})


async def run_backtest(
    setup: BacktestSetup,
    *,
    timer: Clock | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestRun:
    """Replay ``setup.bars`` through the pipeline; see the module docstring."""
    timer = timer or WallClock()
    started = timer.monotonic_ns()
    desk = _Run(setup)
    bars = setup.bars
    await desk.spine.deposit(setup.starting_cash)
    await desk.spine.kill_switch.command(KillTrigger.ENABLE, "backtest start")

    series = desk.desk.series[bars.symbol]
    timestamps = bars.ts_ns.tolist()
    interval_ns = bars.interval_s * _NS
    count = len(timestamps)
    clock = desk.clock
    venue = desk.venue
    oms = desk.spine.oms
    activity = oms.activity
    coordinator = desk.desk.coordinator
    collect = coordinator.collect
    act = coordinator.act
    context = desk.context
    symbol, venue_id, interval_s = bars.symbol, bars.venue, bars.interval_s
    step = max(1, count // 100)

    loop_started = timer.monotonic_ns()
    for index in range(count):
        opened = timestamps[index]
        now = opened + interval_ns
        if activity.open_orders_count:
            clock.set_ns(opened)
            venue.on_bar(bars.bar_at(index))
            # Reports are handled once the bar has closed, as a paper session does.
            clock.set_ns(now)
            await oms.process_reports()
        clock.set_ns(now)
        frame = MarketFrame(
            now, {symbol: SymbolFrame(venue_id, symbol, interval_s, series, index + 1)}
        )
        collected = collect(frame)
        if collected[0] or collected[1] or collected[2] or coordinator.has_timers:
            desk.index = index
            await act(frame, collected, context)
        if progress is not None and index % step == 0:
            progress(index, count)
    loop_ns = timer.monotonic_ns() - loop_started

    result = _result(desk)
    desk.journal.seal()
    if progress is not None:
        progress(count, count)
    return BacktestRun(
        result=result,
        journal=desk.journal,
        specs=tuple(order.spec for order in oms.orders.values()),
        orders=len(oms.orders),
        fills=result.fills_count,
        loop_ns=loop_ns,
        total_ns=timer.monotonic_ns() - started,
    )


def _fills(journal: MemoryJournal) -> list[Fill]:
    fills: list[Fill] = []
    for event in journal.events(("order.event",)):
        # Only a payload with a "fill" key holds the text '"fill":' (inside a JSON string a
        # quote is escaped), so the others (acks, cancels) need not be decoded.
        if '"fill":' in event.payload_text:
            payload = event.payload
            if "fill" in payload:
                fills.append(Fill.model_validate(payload["fill"]))
    return fills


def _result(desk: _Run) -> BacktestResult:
    """Build the result: fills from the journal, equity marked column-wise at every close."""
    setup = desk.setup
    bars = setup.bars
    fills = _fills(desk.journal)
    count = len(bars)
    position_change = np.zeros(count)
    cash_change = np.zeros(count)
    first = int(bars.ts_ns[0])
    step = bars.interval_s * _NS
    for fill in fills:
        index = min(count - 1, max(0, (to_ns(fill.ts_event) - first) // step))
        signed = float(fill.quantity) * (1 if fill.side is Side.BUY else -1)
        position_change[index] += signed
        cash_change[index] -= signed * float(fill.price) + float(fill.fee)
    position = np.cumsum(position_change)
    cash = float(setup.starting_cash) + np.cumsum(cash_change)
    equity = cash + position * bars.close
    orders = tuple(
        OrderRecord(
            ts_ns=order.last_ts_ns,
            client_order_id=order.client_order_id,
            symbol=order.spec.symbol,
            side=order.spec.side,
            quantity=order.spec.quantity,
            price=order.average_fill_price,
            status=order.status,
        )
        for order in desk.spine.oms.orders.values()
    )
    held = desk.spine.portfolio.position(bars.venue, bars.symbol)
    return BacktestResult(
        equity=EquityCurve(bars.ts_ns + step, equity),
        fills=tuple(fills),
        orders=orders,
        starting_cash=setup.starting_cash,
        final_cash=desk.spine.portfolio.cash,
        final_positions={bars.symbol: held.quantity if held is not None else Decimal(0)},
        params=dict(setup.params),
        interval_s=bars.interval_s,
    )
