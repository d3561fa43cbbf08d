"""Measure one full coordinator cycle with 100 symbols x 10 agents, as ``aiswarm bench cycle``.

Workload (shared BENCHMARKS.md): 100 synthetic 1-minute symbols (the benchmark generator with
seeds 1..100), 10 agents each watching every symbol (EMA cross in four parameter sets, momentum
in two, Bollinger/RSI mean reversion, Keltner breakout, Donchian breakout and the volume-spike
scanner), paper venue, portfolio, guard chain, approvals, OMS, and the decision log. The desk
first warms up over ``warmup`` cycles (indicators fill, positions open); then ``cycles`` more
cycles are timed one by one, each covering: showing the venue the new bars, agents,
arbitration, sizing, guards, approvals, OMS, venue, portfolio marks, kill-switch evaluation and
every journal record. The journal is in memory (chained at the end); see docs/performance.md
for what a durable journal adds.
"""

from __future__ import annotations

import statistics
from datetime import timedelta
from decimal import Decimal
from typing import Any

from aiswarm.agents import Agent, AgentConfig
from aiswarm.agents.registry import build_agent
from aiswarm.bench.machine import machine_info
from aiswarm.bench.synthetic_bars import make_bars
from aiswarm.clock import Clock, SimulatedClock, from_ns
from aiswarm.market.bar_arrays import BarArrays
from aiswarm.orchestration import ArbitrationConfig
from aiswarm.portfolio import AllocationMode, AllocatorConfig
from aiswarm.risk import KillSwitch, KillTrigger, RiskLimits
from aiswarm.runtime.desk import TradingDesk
from aiswarm.runtime.paper_session import PaperSession, first_close_ns, instrument_for
from aiswarm.runtime.spine import assemble_spine
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import AccountId, Mandate, MandateId, MandateStatus, Side, Symbol, VenueId
from aiswarm.venues import PaperVenue
from aiswarm.venues.fill_models import FeeModel

__all__ = ["run_cycle_bench"]

TARGET_MS = 25.0
_VENUE = VenueId("bench")
_ACCOUNT = AccountId("bench")
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


def _session(feeds: dict[Symbol, BarArrays], clock: SimulatedClock) -> PaperSession:
    instruments = {symbol: instrument_for(bars) for symbol, bars in feeds.items()}
    journal = MemoryJournal(clock, _ACCOUNT)
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
    venue = PaperVenue(
        _VENUE, instruments, clock, fee_model=FeeModel(taker_fee_frac=Decimal("0.001"))
    )
    switch = KillSwitch()
    spine = assemble_spine(
        journal=journal,
        venue=venue,
        clock=clock,
        account=_ACCOUNT,
        instruments=instruments,
        approval_secret=b"c" * 32,
        limits=limits,
        switch=switch,
    )
    start = from_ns(first_close_ns(feeds))
    mandate = Mandate(
        mandate_id=MandateId("bench-cycle"),
        owner="benchmark",
        description="100 symbols x 10 agents",
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
    desk = TradingDesk(
        feeds=feeds,
        instruments=instruments,
        venue=venue,
        spine=spine,
        agents=_agents(),
        arbitration=ArbitrationConfig(),
        allocator=AllocatorConfig(
            mode=AllocationMode.FIXED_NOTIONAL, fixed_notional_usd=Decimal(5_000), long_only=True
        ),
        limits=limits,
        mandate=mandate,
        clock=clock,
        account=_ACCOUNT,
    )
    return PaperSession(desk, feeds, None, clock, clock)


async def run_cycle_bench(
    *, symbols: int, warmup: int, cycles: int, timer: Clock
) -> dict[str, Any]:
    """Warm up, then time ``cycles`` cycles; report the median and spread in ms."""
    feeds = _feeds(symbols, warmup + cycles + 5)
    clock = SimulatedClock(from_ns(first_close_ns(feeds)))
    session = _session(feeds, clock)
    spine = session.desk.spine
    await spine.deposit(Decimal(10_000_000))
    await spine.kill_switch.command(KillTrigger.ENABLE, "benchmark")
    durations_ms: list[float] = []
    signals = orders = 0
    for number in range(1, warmup + cycles + 1):
        started = timer.monotonic_ns()
        counts = await session.cycle(number)
        elapsed = (timer.monotonic_ns() - started) / 1e6
        if number > warmup:
            durations_ms.append(elapsed)
            signals += counts.signals
            orders += counts.orders
        clock.advance(60)
    durations_ms.sort()
    return {
        "benchmark": "one coordinator cycle, full pipeline",
        "symbols": symbols,
        "agents": len(session.desk.coordinator.agents),
        "warmup_cycles": warmup,
        "timed_cycles": cycles,
        "median_ms": round(statistics.median(durations_ms), 3),
        "p90_ms": round(durations_ms[int(0.9 * (len(durations_ms) - 1))], 3),
        "max_ms": round(durations_ms[-1], 3),
        "target_ms": TARGET_MS,
        "signals_per_cycle": round(signals / cycles, 2),
        "orders_per_cycle": round(orders / cycles, 2),
        "journal_events": len(spine.journal) if isinstance(spine.journal, MemoryJournal) else None,
        "machine": machine_info(),
    }
