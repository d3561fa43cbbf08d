"""Measure one full engine step with N symbols x 10 agents, as ``aiswarm bench cycle``.

Workload (shared BENCHMARKS.md): N synthetic 1-minute symbols (100 by default; the benchmark
generator with seeds 1..N), 10 agents each watching every symbol (EMA cross in four parameter
sets, momentum in two, Bollinger/RSI mean reversion, Keltner breakout, Donchian breakout and the
volume-spike scanner), paper venue, portfolio, guard chain, approvals, OMS, and the decision
log. The desk first warms up over ``warmup`` cycles (indicators fill, positions open); then
``cycles`` more cycles are timed one by one, each covering: showing the venue the new bars,
agents, arbitration, sizing, guards, approvals, OMS, venue, portfolio marks, kill-switch
evaluation and every journal record. The journal is in memory (chained at the end); see
docs/performance.md for what a durable journal adds.

Scaling: given several symbol counts, the same workload runs for each in turn (a fresh desk,
after a full garbage collection), and the report divides each median by its symbols. Signals
and orders per cycle grow in proportion to the symbols, so a cycle whose cost is linear in
them shows the same per-symbol figure at every size; each count's figure is also given over
the first count's. A machine baseline (``bench.machine.baseline``) is measured before each
timed run, and before and after the whole, so figures from different days can be compared.

Wall time is the figure; the process's CPU time per cycle (``cpu_ns``, injected like the
timer) is reported beside it because the VM's two cores are shared: another process running
meanwhile lengthens wall time, but not this process's CPU time.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from aiswarm.agents import Agent, AgentConfig
from aiswarm.agents.registry import build_agent
from aiswarm.bench.machine import baseline, machine_info
from aiswarm.bench.synthetic_bars import make_bars
from aiswarm.clock import Clock, SimulatedClock, from_ns
from aiswarm.market.bar_arrays import BarArrays
from aiswarm.market.market_state import BarClosed
from aiswarm.orchestration import ArbitrationConfig
from aiswarm.portfolio import AllocationMode, AllocatorConfig
from aiswarm.risk import KillTrigger, RiskLimits
from aiswarm.runtime.composition import instrument_for, preloaded_engine
from aiswarm.runtime.engine import EngineSetup, TradingEngine
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import AccountId, Mandate, MandateId, MandateStatus, Side, Symbol, VenueId
from aiswarm.venues.fill_models import FeeModel

__all__ = ["run_cycle_bench"]

TARGET_MS = 25.0  # median ms per cycle at 100 symbols
TARGET_PER_SYMBOL_RATIO = 1.3  # per-symbol cost at 1,000 symbols over that at 100
_VENUE = VenueId("bench")
_AGENTS: tuple[tuple[str, dict[str, object]], ...] = (
    ("ema_cross", {"fast": 9, "slow": 21}),
    ("ema_cross", {"fast": 5, "slow": 13}),
    ("ema_cross", {"fast": 12, "slow": 26}),
    ("ema_cross", {"fast": 20, "slow": 50}),
    ("momentum", {"lookback": 20}),
    ("momentum", {"lookback": 60}),
    ("mean_reversion", {}),
    ("breakout", {}),
    ("breakout", {"channel": "donchian"}),
    ("volume_spike", {}),
)


def _feeds(symbols: int, bars: int) -> dict[Symbol, BarArrays]:
    feeds: dict[Symbol, BarArrays] = {}
    for number in range(1, symbols + 1):
        symbol = Symbol(f"S{number:03d}/USDT")
        generated = make_bars(bars, seed=number)
        feeds[symbol] = BarArrays(
            venue=_VENUE,
            symbol=symbol,
            interval_s=60,
            ts_ns=generated.ts_ns,
            open=generated.open,
            high=generated.high,
            low=generated.low,
            close=generated.close,
            volume=generated.volume,
            price_decimals=2,
            volume_decimals=3,
        )
    return feeds


def _agents() -> list[Agent]:
    return [
        build_agent(AgentConfig(name=name, id=f"{name}-{number}", params=params))
        for number, (name, params) in enumerate(_AGENTS)
    ]


def _engine(feeds: dict[Symbol, BarArrays], clock: SimulatedClock) -> TradingEngine:
    instruments = {symbol: instrument_for(bars) for symbol, bars in feeds.items()}
    limits = RiskLimits(
        max_open_orders=500,
        max_orders_per_second=1_000,
        max_orders_per_day=100_000,
        max_gross_exposure_usd=Decimal(10_000_000),
        max_net_exposure_usd=Decimal(10_000_000),
        max_leverage=Decimal(5),
        max_drawdown_frac=Decimal("0.9"),
        max_daily_loss_frac=Decimal("0.9"),
    )
    start = from_ns(_first_close_ns(feeds))
    mandate = Mandate(
        mandate_id=MandateId("bench-cycle"),
        owner="benchmark",
        description=f"{len(feeds)} symbols x 10 agents",
        venues=(_VENUE,),
        symbols=tuple(feeds),
        max_notional_usd=Decimal(10_000_000),
        max_position_usd=Decimal(25_000),
        allowed_sides=(Side.BUY, Side.SELL),
        strategy_template="agents",
        params={},
        valid_from=start - timedelta(days=1),
        valid_until=start + timedelta(days=30),
        status=MandateStatus.ACTIVE,
    )
    account = AccountId("bench")
    return preloaded_engine(
        feeds=feeds,
        instruments=instruments,
        agents=_agents(),
        setup=EngineSetup(
            account=account,
            instruments=instruments,
            mandate=mandate,
            limits=limits,
            arbitration=ArbitrationConfig(),
            allocator=AllocatorConfig(
                mode=AllocationMode.FIXED_NOTIONAL,
                fixed_notional_usd=Decimal(5_000),
                long_only=True,
            ),
        ),
        journal=MemoryJournal(clock, account),
        clock=clock,
        approval_secret=b"c" * 32,
        fee_model=FeeModel(taker_fee_frac=Decimal("0.001")),
    )


def _first_close_ns(feeds: dict[Symbol, BarArrays]) -> int:
    return min(int(bars.ts_ns[0]) + bars.interval_s * 1_000_000_000 for bars in feeds.values())


@dataclass(frozen=True, slots=True)
class _Timed:
    """One fresh desk's timed cycles: wall and CPU ms per cycle, and what they did."""

    wall_ms: list[float]
    cpu_ms: list[float]
    signals_per_cycle: float
    orders_per_cycle: float
    journal_events: int | None
    loop_ns: float  # the machine baseline measured just before


async def _time_cycles(
    *, symbols: int, warmup: int, cycles: int, timer: Clock, cpu_ns: Callable[[], int]
) -> _Timed:
    """Warm up a fresh desk over ``symbols`` symbols, then time ``cycles`` cycles."""
    feeds = _feeds(symbols, warmup + cycles + 5)
    first_close = _first_close_ns(feeds)
    clock = SimulatedClock(from_ns(first_close - 60 * 1_000_000_000))
    engine = _engine(feeds, clock)
    spine = engine.spine
    await engine.fund(Decimal(10_000_000))
    await spine.kill_switch.command(KillTrigger.ENABLE, "benchmark")
    gc.collect()  # each run starts from the same heap, not the last one's leftovers
    loop_ns = baseline(timer)["loop_ns"]
    wall_ms: list[float] = []
    cpu_ms: list[float] = []
    signals = orders = 0
    for number in range(warmup + cycles):
        events = [BarClosed(symbol, number) for symbol in feeds]
        now_ns = first_close + number * 60 * 1_000_000_000
        started, cpu_started = timer.monotonic_ns(), cpu_ns()
        report = await engine.step(now_ns, events)
        elapsed, cpu = (timer.monotonic_ns() - started) / 1e6, (cpu_ns() - cpu_started) / 1e6
        if number >= warmup:
            wall_ms.append(elapsed)
            cpu_ms.append(cpu)
            signals += report.signals
            orders += report.orders
    journal = spine.journal
    return _Timed(
        wall_ms=wall_ms,
        cpu_ms=cpu_ms,
        signals_per_cycle=signals / cycles,
        orders_per_cycle=orders / cycles,
        journal_events=len(journal) if isinstance(journal, MemoryJournal) else None,
        loop_ns=loop_ns,
    )


def _summary(symbols: int, timed: list[_Timed]) -> dict[str, Any]:
    """Return one symbol count's figures: medians over its runs, with their spread."""
    medians = sorted(statistics.median(run.wall_ms) for run in timed)
    cpu_medians = sorted(statistics.median(run.cpu_ms) for run in timed)
    every = sorted(ms for run in timed for ms in run.wall_ms)
    median_ms, cpu_median_ms = statistics.median(medians), statistics.median(cpu_medians)
    loop_ns = statistics.median(run.loop_ns for run in timed)
    return {
        "symbols": symbols,
        "median_ms": round(median_ms, 3),
        "median_ms_min_max": [round(medians[0], 3), round(medians[-1], 3)],
        "p90_ms": round(every[int(0.9 * (len(every) - 1))], 3),
        "max_ms": round(every[-1], 3),
        "per_symbol_us": round(median_ms * 1_000 / symbols, 2),
        "cpu_median_ms": round(cpu_median_ms, 3),
        "cpu_per_symbol_us": round(cpu_median_ms * 1_000 / symbols, 2),
        # The per-symbol cost in bare-loop iterations: comparable across days and machines.
        "per_symbol_in_loop_iterations": round(median_ms * 1e6 / symbols / loop_ns),
        "baseline_loop_ns": round(loop_ns, 2),
        "signals_per_cycle": round(timed[0].signals_per_cycle, 2),
        "orders_per_cycle": round(timed[0].orders_per_cycle, 2),
        "journal_events": timed[0].journal_events,
    }


async def run_cycle_bench(
    *,
    symbols: Sequence[int],
    warmup: int,
    cycles: int,
    repeats: int,
    timer: Clock,
    cpu_ns: Callable[[], int],
) -> dict[str, Any]:
    """Time the cycle at each symbol count, ``repeats`` rounds; report medians and ratios.

    Each round runs every count once, in the order given, so a slow spell of the machine
    lands on all of them rather than on one. ``cpu_ns`` reads this process's CPU time in ns
    (``time.process_time_ns``). Each count's per-symbol figures are also given as a ratio to
    the first count's, the figure the scaling target is about (``--symbols 100,1000``).
    """
    counts = list(dict.fromkeys(symbols))
    before = baseline(timer)
    timed: dict[int, list[_Timed]] = {count: [] for count in counts}
    for _ in range(repeats):
        for count in counts:
            timed[count].append(
                await _time_cycles(
                    symbols=count, warmup=warmup, cycles=cycles, timer=timer, cpu_ns=cpu_ns
                )
            )
    after = baseline(timer)
    runs = [_summary(count, timed[count]) for count in counts]
    first = runs[0]
    for run in runs[1:]:
        run[f"per_symbol_over_{first['symbols']}_symbols"] = round(
            run["per_symbol_us"] / first["per_symbol_us"], 3
        )
        run[f"cpu_per_symbol_over_{first['symbols']}_symbols"] = round(
            run["cpu_per_symbol_us"] / first["cpu_per_symbol_us"], 3
        )
    return {
        "benchmark": "one engine step, full pipeline",
        "agents": len(_AGENTS),
        "warmup_cycles": warmup,
        "timed_cycles": cycles,
        "repeats": repeats,
        "runs": runs,
        "baseline": {"before": before, "after": after},
        "targets": {
            "median_ms_at_100_symbols": TARGET_MS,
            "per_symbol_1000_over_100_symbols": TARGET_PER_SYMBOL_RATIO,
        },
        "machine": machine_info(),
    }
