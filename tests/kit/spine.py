"""A wired safety spine for integration tests: real store, engine, OMS, paper venue, portfolio.

The account starts with 100,000 USDT, trading is enabled by an operator, and the market for
BTC/USDT is marked at 50,000 unless a test moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiswarm.clock import SimulatedClock
from aiswarm.execution import EventJournal
from aiswarm.orchestration import FlattenInputs
from aiswarm.risk import (
    Algorithm,
    KillSwitch,
    KillTrigger,
    LiquiditySource,
    MarketView,
    RiskLimits,
)
from aiswarm.runtime.spine import Spine, assemble_spine, open_spine
from aiswarm.store import EventStore, open_event_store
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import (
    Bar,
    Instrument,
    Mandate,
    OrderIntent,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from aiswarm.venues import PaperVenue
from aiswarm.venues.fill_models import FeeModel
from kit.builders import ACCOUNT, MANDATE, SYMBOL, T0, VENUE, instrument, mandate

SECRET = b"an-approval-secret-of-32-bytes!!"
OPERATOR = "ops-1"
START = T0 + timedelta(hours=1)
MARK = Decimal("50000")


def limits(**overrides: Any) -> RiskLimits:
    """Return limits roomy enough for a 1 BTC order on a 100,000 USDT account."""
    fields: dict[str, Any] = {
        "max_order_notional_usd": Decimal("60000"),
        "max_position_notional_usd": Decimal("60000"),
        "max_gross_exposure_usd": Decimal("150000"),
        "max_net_exposure_usd": Decimal("150000"),
        "max_daily_loss_frac": Decimal("0.02"),
        "max_drawdown_frac": Decimal("0.10"),
        "duplicate_window_s": 1.0,
    }
    return RiskLimits(**(fields | overrides))


def trading_mandate() -> Any:
    """Return the BTC/USDT mandate with room for 1 BTC."""
    return mandate(max_notional_usd=Decimal("100000"), max_position_usd=Decimal("60000"))


@dataclass
class Desk:
    """One test's trading desk: clock, store, venue and the spine over them.

    A desk over an in-memory journal (``memory_desk``) has no store (None).
    """

    clock: SimulatedClock
    store: EventStore | None
    venue: PaperVenue
    spine: Spine
    mark: Decimal = MARK

    def market(self, **overrides: Any) -> MarketView:
        """Return a fresh market view at the current mark (5,000,000 USDT of book depth)."""
        fields: dict[str, Any] = {
            "venue": VENUE,
            "symbol": SYMBOL,
            "mark": self.mark,
            "best_bid": self.mark - Decimal("0.01"),
            "best_ask": self.mark + Decimal("0.01"),
            "updated_ns": self.clock.now_ns(),
            "liquidity_usd": Decimal("5000000"),
            "liquidity_source": LiquiditySource.BOOK_DEPTH,
        }
        return MarketView(**(fields | overrides))

    async def check(
        self,
        rules: Instrument | None = None,
        under: Mandate | None = None,
        **market_overrides: Any,
    ) -> tuple[Any, list[Any]]:
        """Value the book and run the kill switch's check, as each engine step does.

        The flatten is judged on this desk's market view (with ``market_overrides``), on
        the instrument ``rules`` (default: the kit's BTC/USDT) and under the mandate ``under``
        (default: the trading mandate).
        """
        self.spine.portfolio.mark(VENUE, SYMBOL, self.mark)
        snapshot = self.spine.portfolio.snapshot(self.clock.now())
        known = rules or instrument()

        def inputs(position: Position) -> FlattenInputs:
            market = self.market(**market_overrides)
            return FlattenInputs(known, under or trading_mandate(), market, Decimal(0))

        return await self.spine.kill_switch.check(snapshot, inputs)

    def held(self) -> Decimal:
        """Return the BTC/USDT position (0 when flat or never traded)."""
        position = self.spine.portfolio.position(VENUE, SYMBOL)
        return Decimal(0) if position is None else position.quantity

    def intent(self, quantity: str, side: Side = Side.BUY, **overrides: Any) -> OrderIntent:
        """Return a market intent for ``quantity`` BTC decided now."""
        fields: dict[str, Any] = {
            "mandate_id": MANDATE,
            "account": ACCOUNT,
            "venue": VENUE,
            "symbol": SYMBOL,
            "side": side,
            "order_type": OrderType.MARKET,
            "quantity": Decimal(quantity),
            "time_in_force": TimeInForce.GTC,
            "reason": "test",
            "ts_event": self.clock.now(),
        }
        return OrderIntent(**(fields | overrides))

    async def place(self, intent: OrderIntent) -> Any:
        """Send ``intent`` through the pipeline with this desk's market inputs."""
        self.spine.portfolio.mark(VENUE, SYMBOL, self.mark)
        return await self.spine.pipeline.place(
            intent,
            instrument=instrument(),
            portfolio=self.spine.portfolio.snapshot(self.clock.now()),
            mandate=trading_mandate(),
            market=self.market(),
            mandate_exposure_usd=Decimal(0),
        )

    async def next_bar(self, price: Decimal | None = None) -> None:
        """Move a minute on, trade a bar at ``price`` (default the mark), apply the reports."""
        self.clock.advance(60)
        if price is not None:
            self.mark = price
        self.venue.on_bar(
            Bar(
                venue=VENUE,
                symbol=SYMBOL,
                ts_ns=self.clock.now_ns(),
                interval_s=60,
                open=self.mark,
                high=self.mark,
                low=self.mark,
                close=self.mark,
                volume=Decimal("100"),
            )
        )
        await self.spine.oms.process_reports()
        self.spine.portfolio.mark(VENUE, SYMBOL, self.mark)


def paper_venue(clock: SimulatedClock, **instrument_overrides: Any) -> PaperVenue:
    """Return the paper venue listing BTC/USDT, 0.1 % taker fee, no latency.

    ``instrument_overrides`` give the venue rules of its own (say, a larger minimum notional
    than the guard chain knows), so that it rejects orders the chain approved.
    """
    return PaperVenue(
        VENUE,
        {SYMBOL: instrument(**instrument_overrides)},
        clock,
        fee_model=FeeModel(maker_fee_frac=Decimal("0.0005"), taker_fee_frac=Decimal("0.001")),
        max_participation_frac=Decimal("1"),
    )


async def open_desk(
    path: Path,
    *,
    venue: PaperVenue | None = None,
    clock: SimulatedClock | None = None,
    fresh: bool = True,
    approval_ttl_s: float = 5.0,
    algorithm: Algorithm = Algorithm.HMAC_SHA256,
    order_ttl_s: float | None = None,
    **limit_overrides: Any,
) -> Desk:
    """Open (or, with ``fresh=False``, reopen) a desk whose store is the file at ``path``."""
    clock = clock or SimulatedClock(START)
    store = await open_event_store(f"sqlite+aiosqlite:///{path}", clock)
    chosen = venue or paper_venue(clock)
    spine = await open_spine(
        store=store,
        venue=chosen,
        clock=clock,
        account=ACCOUNT,
        instruments={SYMBOL: instrument()},
        approval_secret=SECRET,
        limits=limits(**limit_overrides),
        operators=(OPERATOR,),
        approval_ttl_s=approval_ttl_s,
        algorithm=algorithm,
        order_ttl_s=order_ttl_s,
    )
    if fresh:
        await _fund_and_enable(spine)
    return Desk(clock, store, chosen, spine)


async def _fund_and_enable(spine: Spine) -> None:
    """Deposit 100,000 USDT and let an operator enable trading: a fresh desk."""
    await spine.deposit(Decimal("100000"))
    await spine.kill_switch.command(KillTrigger.ENABLE, "start of test")


async def memory_desk(
    journal: EventJournal | None = None,
    *,
    venue: PaperVenue | None = None,
    clock: SimulatedClock | None = None,
    **limit_overrides: Any,
) -> tuple[Desk, EventJournal]:
    """Return a funded, enabled desk over an in-memory journal (fast, for property tests).

    It has no store: read what was recorded from the returned ``journal`` (a
    ``MemoryJournal`` unless one is given).
    """
    clock = clock or SimulatedClock(START)
    journal = journal or MemoryJournal(clock, ACCOUNT)
    chosen = venue or paper_venue(clock)
    spine = assemble_spine(
        journal=journal,
        venue=chosen,
        clock=clock,
        account=ACCOUNT,
        instruments={SYMBOL: instrument()},
        approval_secret=SECRET,
        limits=limits(**limit_overrides),
        switch=KillSwitch((OPERATOR,)),
    )
    await _fund_and_enable(spine)
    return Desk(clock, None, chosen, spine), journal
