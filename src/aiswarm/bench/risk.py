"""Measure the guard chain with signing, and OMS-side verification, as ``aiswarm bench risk``.

Workload (shared BENCHMARKS.md): N prebuilt orders (BUY 0.02 BTC at 50,000 = 1,000 USDT
notional, each with its own client order id) on a flat 100,000 USDT account, fresh market data.

* ``chain_and_sign``: ``RiskEngine.evaluate`` per order: the guard context, all guards, and the
  HMAC-SHA256 approval over every signed field with a fresh nonce.
* ``verify_and_nonce``: what the OMS does before recording: ``ApprovalVerifier.verify`` (key,
  signature, expiry, every field) plus the nonce ledger's check-and-mark.

Each scenario runs ``repeats`` times over all N orders; a run's figure is its mean µs per order,
and the report gives the median and spread of the runs. Logging stays at its production level
(WARNING): nothing on these paths logs. Timing uses ``clock.monotonic_ns()``.

Fairness: the engine is called with keywords, as the order pipeline calls it. Before each timed
run the previous run's results are dropped and ``gc.collect()`` runs, so every run starts from
the same heap; the garbage collector stays on, and every collection the run's own allocations
trigger is in its figure. (Without this, a full collection of the orders earlier runs left
behind lands in some runs and not others: 3 us per order in those runs, none in the rest.)
"""

from __future__ import annotations

import gc
import logging
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiswarm.bench.machine import machine_info
from aiswarm.clock import Clock, SimulatedClock
from aiswarm.risk import (
    ActivitySnapshot,
    ApprovalSigner,
    ApprovalVerifier,
    Approved,
    Decision,
    HmacKeyring,
    KillSwitch,
    KillTrigger,
    LiquiditySource,
    MarketView,
    NonceLedger,
    RiskEngine,
    RiskLimits,
)
from aiswarm.types import (
    AccountId,
    ClientOrderId,
    Instrument,
    InstrumentKind,
    Mandate,
    MandateId,
    MandateStatus,
    OrderSpec,
    OrderType,
    PortfolioSnapshot,
    Side,
    Symbol,
    TimeInForce,
    VenueId,
)

__all__ = ["run_risk_bench"]

TARGET_CHAIN_US = 4.0
TARGET_VERIFY_US = 1.5
_START = datetime(2024, 1, 1, 1, tzinfo=UTC)
_VENUE = VenueId("binance")
_SYMBOL = Symbol("BTC/USDT")
_ACCOUNT = AccountId("bench")
_MANDATE = MandateId("bench-mandate")


def _specs(count: int) -> list[OrderSpec]:
    base = OrderSpec(
        client_order_id=ClientOrderId("bench-0"),
        mandate_id=_MANDATE,
        account=_ACCOUNT,
        venue=_VENUE,
        symbol=_SYMBOL,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.02"),
        limit_price=Decimal("50000"),
        time_in_force=TimeInForce.GTC,
        created_at=_START,
    )
    return [
        base.model_copy(update={"client_order_id": ClientOrderId(f"bench-{i}")})
        for i in range(count)
    ]


def _inputs(clock: Clock) -> dict[str, Any]:
    instrument = Instrument(
        venue=_VENUE,
        symbol=_SYMBOL,
        base="BTC",
        quote="USDT",
        kind=InstrumentKind.SPOT,
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_quantity=Decimal("0.0001"),
        min_notional=Decimal("5"),
    )
    mandate = Mandate(
        mandate_id=_MANDATE,
        owner="bench",
        description="benchmark mandate",
        venues=(_VENUE,),
        symbols=(_SYMBOL,),
        max_notional_usd=Decimal("50000"),
        max_position_usd=Decimal("25000"),
        allowed_sides=(Side.BUY, Side.SELL),
        strategy_template="direct_buy",
        params={},
        valid_from=_START - timedelta(days=1),
        valid_until=_START + timedelta(days=365),
        status=MandateStatus.ACTIVE,
    )
    portfolio = PortfolioSnapshot(
        ts=_START,
        account=_ACCOUNT,
        cash=Decimal("100000"),
        nav=Decimal("100000"),
        peak_nav=Decimal("100000"),
    )
    market = MarketView(
        venue=_VENUE,
        symbol=_SYMBOL,
        mark=Decimal("50000"),
        best_bid=Decimal("49999.99"),
        best_ask=Decimal("50000.01"),
        updated_ns=clock.now_ns(),
        liquidity_usd=Decimal("2000000"),
        liquidity_source=LiquiditySource.BOOK_DEPTH,
    )
    return {
        "instrument": instrument,
        "portfolio": portfolio,
        "mandate": mandate,
        "market": market,
        "activity": ActivitySnapshot(),
        "mandate_exposure_usd": Decimal(0),
        "position_quantity": Decimal(0),
    }


def _summary(per_order_us: list[float], target: float) -> dict[str, Any]:
    median = statistics.median(per_order_us)
    return {
        "median_us": round(median, 3),
        "min_us": round(min(per_order_us), 3),
        "max_us": round(max(per_order_us), 3),
        "target_us": target,
        "meets_target": median <= target,
    }


def run_risk_bench(*, orders: int, repeats: int, timer: Clock) -> dict[str, Any]:
    """Run both scenarios and return the report (plain JSON types).

    ``timer`` must be a wall clock: it times the runs. The engine itself runs on a simulated
    clock fixed at the workload's start, so every approval is issued at the same instant.
    """
    if orders < 1 or repeats < 1:
        raise ValueError(f"orders={orders}, repeats={repeats}: use at least 1 of each")
    logging.getLogger("aiswarm").setLevel(logging.WARNING)
    clock = SimulatedClock(_START)
    keyring = HmacKeyring({"bench-key": b"b" * 32}, "bench-key")
    signer = ApprovalSigner(keyring.signer(), ttl_ns=60 * 1_000_000_000)
    verifier = ApprovalVerifier(keyring, max_skew_ns=1_000_000_000)
    switch = KillSwitch()
    switch.apply(switch.propose(KillTrigger.ENABLE, reason="benchmark", ts_ns=clock.now_ns()))
    engine = RiskEngine(signer, RiskLimits(), switch, clock)
    specs = _specs(orders)
    inputs = _inputs(clock)

    instrument = inputs["instrument"]
    portfolio = inputs["portfolio"]
    mandate = inputs["mandate"]
    market = inputs["market"]
    activity = inputs["activity"]
    mandate_exposure_usd = inputs["mandate_exposure_usd"]
    position_quantity = inputs["position_quantity"]

    chain_runs: list[float] = []
    verify_runs: list[float] = []
    decisions: list[Decision] = []
    approved: list[Approved[OrderSpec]] = []
    for _ in range(repeats):
        # Every run starts from the same heap: drop the last run's orders and collect, so a
        # run is not charged for a full collection of what earlier runs left behind. The
        # collections this run's own allocations trigger still count.
        decisions = []
        approved = []
        gc.collect()
        evaluate = engine.evaluate
        started = timer.monotonic_ns()
        # Keywords, as the order pipeline calls it (``**inputs`` would build a dict per call).
        decisions = [
            evaluate(
                spec,
                instrument=instrument,
                portfolio=portfolio,
                mandate=mandate,
                market=market,
                activity=activity,
                mandate_exposure_usd=mandate_exposure_usd,
                position_quantity=position_quantity,
            )
            for spec in specs
        ]
        chain_runs.append((timer.monotonic_ns() - started) / 1_000 / orders)
        approved = [d for d in decisions if isinstance(d, Approved)]
        if len(approved) != orders:
            raise RuntimeError(f"the workload must pass the chain; refused: {decisions[0]}")

        ledger = NonceLedger()
        verify = verifier.verify
        is_used = ledger.is_used
        mark_used = ledger.mark_used
        now_ns = clock.now_ns()
        gc.collect()
        started = timer.monotonic_ns()
        for item in approved:
            verify(item, now_ns)
            nonce = item.approval.nonce
            if is_used(nonce):
                raise RuntimeError("a nonce repeated inside the benchmark")
            mark_used(nonce)
        verify_runs.append((timer.monotonic_ns() - started) / 1_000 / orders)

    return {
        "benchmark": "guard chain with signing; OMS verification with nonce check",
        "orders": orders,
        "repeats": repeats,
        "chain_and_sign": _summary(chain_runs, TARGET_CHAIN_US),
        "verify_and_nonce": _summary(verify_runs, TARGET_VERIFY_US),
        "signature": "hmac-sha256 over every signed field",
        "machine": machine_info(),
    }
