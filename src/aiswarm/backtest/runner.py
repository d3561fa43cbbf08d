"""Run the live pipeline over historical bars on a simulated clock: a backtest.

Nothing here re-implements trading: the backtest is a driver of the same ``TradingEngine`` that
paper, shadow and live mode drive: one ``step`` per bar, at the bar's close, with the same
agents, arbitration, allocator, guard chain, signed approvals, OMS, ``PaperVenue`` matching,
portfolio accounting and kill switch. Every decision is written to a hash-chained
``MemoryJournal`` with the event store's encoding. Only the clock (simulated), the feed (the
file preloaded as columns: a step's event is the index of the bar that closed) and the journal
(in memory, sealed at the end) differ.

Timing per bar ``t`` (``ts`` is the bar's open time, ``interval`` its length): at ``ts`` the
venue matches resting orders against bar ``t`` (so an order decided at the close of ``t - 1``
fills at ``t``'s open plus slippage: one bar of latency); at ``ts + interval`` (bar ``t``'s
close) the agents see bars ``[0, t]`` and the coordinator decides, and the kill switch judges
the marked book. The equity curve is computed afterwards from the fills and closes, column-wise:
each fill is placed on its bar by timestamp (``_bar_of_fills``), so gaps in the data (minutes
with no trades are absent from exchange files) do not shift fills onto later bars.

Funding rates (``BacktestSetup.funding``, a perpetual's settlements) are stepped in as a paper
replay steps them (``replay_driver.step_events``): each joins the first bar close at or after
its settlement, before that bar if it settled by the bar's open and after it otherwise; the
agents see the rate in the frame, the venue settles it on the position held, and the payment
is in the equity curve from that bar on. Rates settled after the last close are not stepped.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from aiswarm.agents import Agent
from aiswarm.backtest.results import BacktestResult, EquityCurve, OrderRecord
from aiswarm.backtest.step_times import StepTimes
from aiswarm.clock import Clock, SimulatedClock, WallClock, from_ns, to_ns
from aiswarm.market.bar_arrays import BarArrays
from aiswarm.market.market_state import BarClosed, MarketEvent
from aiswarm.orchestration import ArbitrationConfig
from aiswarm.portfolio import AllocatorConfig
from aiswarm.risk import KillTrigger, RiskLimits
from aiswarm.runtime.composition import preloaded_engine
from aiswarm.runtime.engine import EngineSetup, TradingEngine
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import (
    AccountId,
    EventType,
    Fill,
    FundingRate,
    Instrument,
    Mandate,
    OrderSpec,
)
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
    funding: Sequence[FundingRate] = ()


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
    trips: int = 0

    @property
    def bars(self) -> int:
        """Return the number of bars replayed."""
        return self.result.bars


def _engine(setup: BacktestSetup, fills: list[Fill]) -> tuple[TradingEngine, MemoryJournal]:
    """Wire one run: simulated clock, in-memory journal, paper venue, spine and engine.

    ``fills`` receives every fill the OMS books, after its record is journaled.
    """
    bars = setup.bars
    clock = SimulatedClock(from_ns(int(bars.ts_ns[0])))
    journal = MemoryJournal(clock, setup.account)
    engine = preloaded_engine(
        feeds={bars.symbol: bars},
        instruments={bars.symbol: setup.instrument},
        agents=setup.agents,
        setup=EngineSetup(
            account=setup.account,
            instruments={bars.symbol: setup.instrument},
            mandate=setup.mandate,
            limits=setup.limits,
            arbitration=setup.arbitration,
            allocator=setup.allocator,
        ),
        journal=journal,
        clock=clock,
        approval_secret=setup.approval_secret,
        fee_model=setup.fee_model,
        slippage=setup.slippage,
        max_participation_frac=setup.max_participation_frac,
        liquidity_window_bars=setup.liquidity_window_bars,
        order_ttl_s=setup.order_ttl_s,
        kept_fills=fills,
    )
    return engine, journal


async def run_backtest(
    setup: BacktestSetup,
    *,
    timer: Clock | None = None,
    progress: Callable[[int, int], None] | None = None,
    step_times: StepTimes | None = None,
) -> BacktestRun:
    """Replay ``setup.bars`` through the trading engine; see the module docstring.

    ``step_times``, when given, times every step and splits the loop between quiet bars and
    busy ones (a benchmark's figures; see ``step_times``).
    """
    timer = timer or WallClock()
    started = timer.monotonic_ns()
    fills: list[Fill] = []
    engine, journal = _engine(setup, fills)
    await engine.fund(setup.starting_cash)
    await engine.spine.kill_switch.command(KillTrigger.ENABLE, "backtest start")
    # What exists before the loop (bars, engine, modules) lives through the run: frozen, the
    # collector stops scanning it (a full collection over it took 4 % of a 50,000-bar run).
    # Unfrozen at the end, so nothing outlives the run because of it; a caller's own freeze
    # (objects already frozen) is left as it is.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        return await _loop(setup, engine, journal, fills, (timer, started), progress, step_times)
    finally:
        if freeze:
            gc.unfreeze()


async def _loop(
    setup: BacktestSetup,
    engine: TradingEngine,
    journal: MemoryJournal,
    fills: list[Fill],
    timing: tuple[Clock, int],
    progress: Callable[[int, int], None] | None,
    step_times: StepTimes | None,
) -> BacktestRun:
    """Step the engine over every bar, then build the result and seal the journal.

    ``timing`` is the timer and when (by it) the run started.
    """
    timer, started = timing
    bars = setup.bars
    close_ns = (bars.ts_ns + bars.interval_s * _NS).tolist()
    count = len(close_ns)
    symbol = bars.symbol
    step = engine.step
    activity = engine.spine.oms.activity
    every = max(1, count // 100)
    funding = _funding_by_step(bars, setup.funding)

    loop_started = timer.monotonic_ns()
    for index in range(count):
        events: tuple[MarketEvent, ...] = (BarClosed(symbol, index),)
        settled = funding.get(index)
        if settled is not None:
            events = (*settled[0], *events, *settled[1])
        if step_times is None:
            await step(close_ns[index], events)
        else:
            await step_times.step(step, activity, close_ns[index], events)
        if progress is not None and index % every == 0:
            progress(index, count)
    loop_ns = timer.monotonic_ns() - loop_started

    oms = engine.spine.oms
    result = _result(setup, engine, journal, fills)
    journal.seal()
    if progress is not None:
        progress(count, count)
    return BacktestRun(
        result=result,
        journal=journal,
        specs=tuple(order.spec for order in oms.orders.values()),
        orders=len(oms.orders),
        fills=result.fills_count,
        loop_ns=loop_ns,
        total_ns=timer.monotonic_ns() - started,
        trips=engine.trips,
    )


_Settlements = tuple[tuple[FundingRate, ...], tuple[FundingRate, ...]]


def _funding_by_step(bars: BarArrays, funding: Sequence[FundingRate]) -> dict[int, _Settlements]:
    """Return, per bar index, the funding settled before the bar's open and after it.

    A rate joins the first bar whose close is at or after it settled; one at the bar's open
    goes first. Rates must be in time order and for the traded symbol.
    """
    if not funding:
        return {}
    opens = bars.ts_ns
    closes = opens + bars.interval_s * _NS
    steps: dict[int, tuple[list[FundingRate], list[FundingRate]]] = {}
    previous = -1
    for rate in funding:
        if rate.symbol != bars.symbol or rate.venue != bars.venue or rate.ts_ns < previous:
            raise ValueError(
                f"funding {rate.venue}:{rate.symbol}@{rate.ts_ns} for a backtest of "
                f"{bars.venue}:{bars.symbol}: pass that series' rates, in time order"
            )
        previous = rate.ts_ns
        index = int(np.searchsorted(closes, rate.ts_ns, side="left"))
        if index < len(closes):
            before, after = steps.setdefault(index, ([], []))
            (before if rate.ts_ns <= int(opens[index]) else after).append(rate)
    return {index: (tuple(before), tuple(after)) for index, (before, after) in steps.items()}


def _bar_of_fills(
    close_ns: npt.NDArray[np.int64], fill_ns: npt.NDArray[np.int64]
) -> npt.NDArray[np.intp]:
    """Return, for each fill, the index of the first bar whose close is after it.

    That is the bar whose half-open interval ``[open, close)`` contains the fill: a fill at a
    bar boundary (the close of one bar is the open of the next) belongs to the later bar, since
    the earlier bar's mark is taken at that instant, before the next bar trades. A fill inside
    a gap in the data (no bar covers it) goes to the next bar, the first mark after it, and a
    fill at or after the last close (there is no later mark) to the last bar. Searching the
    timestamps, not ``(ts - first) // interval``, keeps every fill on its own bar across gaps.
    """
    index = np.searchsorted(close_ns, fill_ns, side="right")
    return np.minimum(index, close_ns.size - 1)


def _result(
    setup: BacktestSetup, engine: TradingEngine, journal: MemoryJournal, fills: list[Fill]
) -> BacktestResult:
    """Build the result: the booked fills, equity marked column-wise at every close.

    ``fills`` are the ones the OMS booked, each after its record was journaled: the same fills,
    in the same order, as the journal's ``order.event`` records hold, without decoding them.
    """
    bars = setup.bars
    count = len(bars)
    close_ns = bars.ts_ns + bars.interval_s * _NS
    fill_ns = np.array([to_ns(fill.ts_event) for fill in fills], dtype=np.int64)
    signed = np.array([float(fill.quantity) * fill.side.sign for fill in fills], dtype=np.float64)
    price = np.array([float(fill.price) for fill in fills], dtype=np.float64)
    fee = np.array([float(fill.fee) for fill in fills], dtype=np.float64)
    index = _bar_of_fills(close_ns, fill_ns)
    position_change = np.bincount(index, weights=signed, minlength=count)
    cash_change = np.bincount(index, weights=-(signed * price + fee), minlength=count)
    paid = [
        (int(event.payload["ts_ns"]), float(event.payload["amount"]))
        for event in journal.events((EventType.FUNDING,))
    ]
    if paid:
        # Booked in the step of the first close at or after the settlement.
        at = np.searchsorted(close_ns, np.array([ts for ts, _ in paid]), side="left")
        amounts = np.array([amount for _, amount in paid], dtype=np.float64)
        cash_change -= np.bincount(np.minimum(at, count - 1), weights=amounts, minlength=count)
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
        for order in engine.spine.oms.orders.values()
    )
    held = engine.spine.portfolio.position(bars.venue, bars.symbol)
    return BacktestResult(
        equity=EquityCurve(close_ns, equity),
        fills=tuple(fills),
        orders=orders,
        starting_cash=setup.starting_cash,
        final_cash=engine.spine.portfolio.cash,
        final_positions={bars.symbol: held.quantity if held is not None else Decimal(0)},
        params=dict(setup.params),
        interval_s=bars.interval_s,
    )
