"""The headline benchmark: EMA(9/21) long-only cross over 500,000 bars through the full pipeline.

Workload (shared BENCHMARKS.md): the synthetic bars of ``synthetic_bars`` (or any bar file
given with ``--data``), BTC/USDT spot with tick 0.01 and step 0.000001, 10,000,000 USDT, 0.1 %
taker fee, one bar of latency (decided at a bar's close, filled at the next bar's open), 1 BTC
market orders: buy on a cross up while flat, sell on a cross down while long. Every order goes
through arbitration, the allocator (fixed quantity), the guard chain, a signed approval, OMS
verification, the paper venue, the portfolio and the hash-chained journal.

The risk limits are set wide enough for this strategy (1 BTC orders, drawdown and daily loss
that a 0.1 % fee on 23,162 orders produces), because the peers ran it without limits; every
guard still runs on every order. Reported: orders, fills, bars/s end-to-end (setup, loop,
result building and sealing the journal's hash chain) and loop only, final cash and position.
"""

from __future__ import annotations

import statistics
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from aiswarm.agents import AgentConfig
from aiswarm.agents.registry import build_agent
from aiswarm.backtest.runner import BacktestRun, BacktestSetup, run_backtest
from aiswarm.backtest.step_times import StepTimes
from aiswarm.bench.machine import machine_info
from aiswarm.bench.order_floor import minimal_order_path_ns
from aiswarm.bench.synthetic_bars import make_bars
from aiswarm.clock import Clock, from_ns
from aiswarm.market import BarArrays, read_bar_file
from aiswarm.orchestration import ArbitrationConfig
from aiswarm.portfolio import AllocationMode, AllocatorConfig
from aiswarm.risk import RiskLimits
from aiswarm.types import (
    Instrument,
    InstrumentKind,
    Mandate,
    MandateId,
    MandateStatus,
    Side,
    Symbol,
    VenueId,
)
from aiswarm.venues.fill_models import FeeModel

__all__ = ["REFERENCE_ORDERS", "benchmark_setup", "run_backtest_bench", "synthetic_arrays"]

REFERENCE_ORDERS = {500_000: 23_162, 50_000: 2_347, 10_000: 453}
"""Orders the EMA(9/21) long-only cross must make on the first N synthetic bars."""
TARGET_BARS_PER_S = 300_000
_VENUE = VenueId("binance")
_SYMBOL = Symbol("BTC/USDT")


def synthetic_arrays(count: int = 500_000) -> BarArrays:
    """Return the first ``count`` synthetic benchmark bars as columns."""
    bars = make_bars(count)
    return BarArrays(
        venue=_VENUE,
        symbol=_SYMBOL,
        interval_s=60,
        ts_ns=bars.ts_ns,
        open=bars.open,
        high=bars.high,
        low=bars.low,
        close=bars.close,
        volume=bars.volume,
        price_decimals=2,
        volume_decimals=3,
    )


def benchmark_setup(bars: BarArrays) -> BacktestSetup:
    """Return the benchmark's venue, strategy, sizing and (wide) limits over ``bars``."""
    instrument = Instrument(
        venue=bars.venue,
        symbol=bars.symbol,
        base="BTC",
        quote="USDT",
        kind=InstrumentKind.SPOT,
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.000001"),
        min_quantity=Decimal("0.000001"),
        min_notional=Decimal("1"),
    )
    start = from_ns(int(bars.ts_ns[0]))
    mandate = Mandate(
        mandate_id=MandateId("bench-ema-cross"),
        owner="benchmark",
        description="EMA(9/21) long-only cross, 1 BTC",
        venues=(bars.venue,),
        symbols=(bars.symbol,),
        max_notional_usd=Decimal("10000000"),
        max_position_usd=Decimal("10000000"),
        allowed_sides=(Side.BUY, Side.SELL),
        strategy_template="ema_cross",
        params={"fast": 9, "slow": 21},
        valid_from=start - timedelta(days=1),
        valid_until=from_ns(int(bars.ts_ns[-1])) + timedelta(days=1),
        status=MandateStatus.ACTIVE,
    )
    limits = RiskLimits(
        max_order_notional_usd=Decimal("10000000"),
        max_position_notional_usd=Decimal("10000000"),
        max_gross_exposure_usd=Decimal("10000000"),
        max_net_exposure_usd=Decimal("10000000"),
        max_leverage=Decimal("2"),
        max_drawdown_frac=Decimal("0.9"),
        max_daily_loss_frac=Decimal("0.5"),
        max_participation_frac=Decimal("1"),
        max_orders_per_day=100_000,
        max_market_data_age_s=3600.0,
    )
    agent = build_agent(
        AgentConfig(
            name="ema_cross", id="ema-cross", symbols=(bars.symbol,), params={"fast": 9, "slow": 21}
        )
    )
    return BacktestSetup(
        bars=bars,
        instrument=instrument,
        agents=[agent],
        arbitration=ArbitrationConfig(),
        allocator=AllocatorConfig(
            mode=AllocationMode.FIXED_QUANTITY, fixed_quantity=Decimal("1"), long_only=True
        ),
        limits=limits,
        mandate=mandate,
        starting_cash=Decimal("10000000"),
        fee_model=FeeModel(maker_fee_frac=Decimal("0.001"), taker_fee_frac=Decimal("0.001")),
        max_participation_frac=None,
        params={"fast": 9, "slow": 21},
    )


def _once(run: BacktestRun) -> dict[str, Any]:
    bars = run.bars
    position = run.result.final_positions
    return {
        "orders": run.orders,
        "fills": run.fills,
        "bars": bars,
        "bars_per_s_end_to_end": round(bars / (run.total_ns / 1e9)),
        "bars_per_s_loop_only": round(bars / (run.loop_ns / 1e9)),
        "final_cash": run.result.final_cash,
        "final_position": dict(position),
        "journal_events": len(run.journal),
        "chain_ok": run.journal.verify().ok,
    }


def minimal_loop_ns(closes: list[float], timer: Clock) -> int:
    """Time a bare Python EMA(9/21) cross over ``closes``: the same-run baseline.

    The machine's speed drifts 2.5-3x from day to day, so a bars/s figure means something only
    beside a baseline timed in the same run: this is the floor of the per-bar work, with no
    orders, guards, journal or accounting.
    """
    fast_alpha, slow_alpha = 2 / 10, 2 / 22
    fast = slow = closes[0]
    above = False
    started = timer.monotonic_ns()
    for close in closes:
        fast += fast_alpha * (close - fast)
        slow += slow_alpha * (close - slow)
        now_above = fast > slow
        if now_above is not above:
            above = now_above
    return timer.monotonic_ns() - started


async def _unit_costs(
    arrays: BarArrays, closes: list[float], orders: int, timer: Clock
) -> dict[str, Any]:
    """Time one more run step by step: µs per order and per quiet bar, beside their floors.

    The floors are timed right after it, in the same process: the bare per-bar loop
    (``minimal_loop_ns``) and the bare safety work of an order (``minimal_order_path_ns``).
    """
    times = StepTimes(timer)
    await run_backtest(benchmark_setup(arrays), timer=timer, step_times=times)
    floor_order_us = minimal_order_path_ns(max(orders, 1), timer) / max(orders, 1) / 1e3
    floor_bar_us = minimal_loop_ns(closes, timer) / len(closes) / 1e3
    order_us = times.busy_ns / max(orders, 1) / 1e3
    quiet_us = times.quiet_ns / max(times.quiet_steps, 1) / 1e3
    return {
        "us_per_order": round(order_us, 2),
        "us_per_quiet_bar": round(quiet_us, 3),
        "quiet_bars": times.quiet_steps,
        "busy_bars": times.busy_steps,
        "minimal_order_path_us": round(floor_order_us, 3),
        "minimal_loop_us_per_bar": round(floor_bar_us, 4),
        "order_vs_floor": round(order_us / floor_order_us, 1),
        "quiet_bar_vs_floor": round(quiet_us / floor_bar_us, 1),
    }


async def run_backtest_bench(
    *, data: Path | None, bars: int, repeats: int, timer: Clock
) -> dict[str, Any]:
    """Run the workload ``repeats`` times, each on a fresh pipeline; report medians."""
    arrays = (
        read_bar_file(data, _VENUE, _SYMBOL).bars if data is not None else synthetic_arrays(bars)
    )
    closes = np.asarray(arrays.close).tolist()
    runs: list[dict[str, Any]] = []
    for _ in range(repeats):  # baseline and pipeline alternate, so both see the same machine
        baseline_ns = minimal_loop_ns(closes, timer)
        run = _once(await run_backtest(benchmark_setup(arrays), timer=timer))
        run["baseline_bars_per_s"] = round(len(closes) / (baseline_ns / 1e9))
        run["loop_vs_baseline"] = run["bars_per_s_loop_only"] / run["baseline_bars_per_s"]
        runs.append(run)
    orders = {run["orders"] for run in runs}
    if len(orders) != 1:
        raise RuntimeError(f"runs disagree on the order count: {sorted(orders)}")
    reference = None if data is not None else REFERENCE_ORDERS.get(len(arrays))
    end_to_end = [run["bars_per_s_end_to_end"] for run in runs]
    loop_only = [run["bars_per_s_loop_only"] for run in runs]
    costs = await _unit_costs(arrays, closes, runs[0]["orders"], timer)
    return {
        "benchmark": "EMA(9/21) long-only cross, full pipeline",
        "data": str(data) if data is not None else f"synthetic seed 42, {len(arrays)} bars",
        "orders": runs[0]["orders"],
        "reference_orders": reference,
        "matches_reference": reference is None or runs[0]["orders"] == reference,
        "fills": runs[0]["fills"],
        "bars": len(arrays),
        "bars_per_s_end_to_end": {
            "median": round(statistics.median(end_to_end)),
            "min": min(end_to_end),
            "max": max(end_to_end),
        },
        "bars_per_s_loop_only": {
            "median": round(statistics.median(loop_only)),
            "min": min(loop_only),
            "max": max(loop_only),
        },
        "baseline_bars_per_s": round(statistics.median(run["baseline_bars_per_s"] for run in runs)),
        "loop_vs_baseline": round(statistics.median(run["loop_vs_baseline"] for run in runs), 5),
        "target_bars_per_s": TARGET_BARS_PER_S,
        **costs,
        "final_cash": runs[0]["final_cash"],
        "final_position": runs[0]["final_position"],
        "journal_events": runs[0]["journal_events"],
        "chain_ok": all(run["chain_ok"] for run in runs),
        "repeats": repeats,
        "first_close": float(np.asarray(arrays.close)[0]),
        "machine": machine_info(),
    }
