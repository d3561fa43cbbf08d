"""Restarts and awkward timings a second review found: each test once failed on the code.

Funding booked in venue order and replayed after a restart; baselines moved by deposits made
after a checkpoint; a kill-switch cancel and a recorded cancel that never reached the venue
both carried out after a restart; paper and backtest agreeing when resting orders expire.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.execution import ExecutionReport
from aiswarm.risk import KillTrigger
from aiswarm.runtime.spine import BASELINE, baseline_payload, open_spine
from aiswarm.store import open_event_store
from aiswarm.types import Bar, FundingRate, InstrumentKind, OrderStatus, OrderType
from aiswarm.venues import PaperVenue
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument
from kit.spine import MARK, OPERATOR, SECRET, START, Desk, limits, open_desk, trading_mandate

pytestmark = pytest.mark.integration

PERP = instrument(kind=InstrumentKind.PERPETUAL)


async def _perp_desk(path: Path, clock: SimulatedClock, venue: PaperVenue, fresh: bool) -> Desk:
    store = await open_event_store(f"sqlite+aiosqlite:///{path}", clock)
    spine = await open_spine(
        store=store,
        venue=venue,
        clock=clock,
        account=ACCOUNT,
        instruments={SYMBOL: PERP},
        approval_secret=SECRET,
        limits=limits(),
        operators=(OPERATOR,),
    )
    if fresh:
        await spine.deposit(Decimal("100000"))
        await spine.kill_switch.command(KillTrigger.ENABLE, "start")
    return Desk(clock, store, venue, spine)


async def _buy_one_perp(desk: Desk) -> None:
    desk.spine.portfolio.mark(VENUE, SYMBOL, MARK)
    placed = await desk.spine.pipeline.place(
        desk.intent("1"),
        instrument=PERP,
        portfolio=desk.spine.portfolio.snapshot(desk.clock.now()),
        mandate=trading_mandate(),
        market=desk.market(),
        mandate_exposure_usd=Decimal(0),
    )
    assert placed.is_live


def _bar(clock: SimulatedClock) -> Bar:
    return Bar(
        venue=VENUE,
        symbol=SYMBOL,
        ts_ns=clock.now_ns(),
        interval_s=60,
        open=MARK,
        high=MARK,
        low=MARK,
        close=MARK,
        volume=Decimal(100),
    )


async def test_funding_when_reported_with_the_opening_fill_then_booked_after_it(
    tmp_path: Path,
) -> None:
    # Arrange: the fill and the funding arrive in one batch of reports
    clock = SimulatedClock(START)
    venue = PaperVenue(VENUE, {SYMBOL: PERP}, clock, max_participation_frac=Decimal("1"))
    desk = await _perp_desk(tmp_path / "f.db", clock, venue, fresh=True)
    await _buy_one_perp(desk)
    clock.advance(60)
    venue.on_bar(_bar(clock))
    venue.on_funding(
        FundingRate(venue=VENUE, symbol=SYMBOL, ts_ns=clock.now_ns(), rate=Decimal("0.001")), MARK
    )

    # Act
    await desk.spine.oms.process_reports()

    # Assert: 1 BTC x 50,000 x 0.001
    position = desk.spine.portfolio.position(VENUE, SYMBOL)
    assert position is not None
    assert position.funding_paid == Decimal("50")
    await desk.store.close()


async def test_funding_when_restarted_then_replayed_after_the_fills(tmp_path: Path) -> None:
    # Arrange
    clock = SimulatedClock(START)
    venue = PaperVenue(VENUE, {SYMBOL: PERP}, clock, max_participation_frac=Decimal("1"))
    desk = await _perp_desk(tmp_path / "f.db", clock, venue, fresh=True)
    await _buy_one_perp(desk)
    await desk.next_bar()
    venue.on_funding(
        FundingRate(venue=VENUE, symbol=SYMBOL, ts_ns=clock.now_ns(), rate=Decimal("0.001")), MARK
    )
    await desk.spine.oms.process_reports()
    cash_live = desk.spine.portfolio.cash
    await desk.store.close()

    # Act
    again = await _perp_desk(tmp_path / "f.db", clock, venue, fresh=False)

    # Assert
    position = again.spine.portfolio.position(VENUE, SYMBOL)
    assert position is not None
    assert position.funding_paid == Decimal("50")
    assert again.spine.portfolio.cash == cash_live
    await again.store.close()


async def test_baselines_when_deposit_follows_checkpoint_then_restart_keeps_daily_pnl(
    tmp_path: Path,
) -> None:
    # Arrange: checkpoint, then a deposit, then a crash before the next checkpoint
    desk = await open_desk(tmp_path / "b.db")
    live = desk.spine.portfolio
    live.snapshot(desk.clock.now())
    await desk.spine.journal.append(BASELINE, baseline_payload(*live.baselines()))
    await desk.spine.deposit(Decimal("50000"))
    expected = live.snapshot(desk.clock.now())
    await desk.store.close()

    # Act
    again = await open_desk(tmp_path / "b.db", venue=desk.venue, clock=desk.clock, fresh=False)
    replayed = again.spine.portfolio.snapshot(desk.clock.now())

    # Assert: a deposit is not profit
    assert replayed.daily_pnl == expected.daily_pnl == 0
    assert replayed.peak_nav == expected.peak_nav
    await again.store.close()


class _AckLaterVenue(PaperVenue):
    """Keeps its reports back until told to let them through."""

    hold = True

    def drain_reports(self) -> list[ExecutionReport]:
        return [] if self.hold else super().drain_reports()


async def test_kill_switch_when_tripped_before_ack_and_restarted_then_order_cancelled(
    tmp_path: Path,
) -> None:
    # Arrange: a resting buy the venue has not acknowledged; trip; crash; the ack arrives
    clock = SimulatedClock(START)
    venue = _AckLaterVenue(VENUE, {SYMBOL: instrument()}, clock, max_participation_frac=None)
    desk = await open_desk(tmp_path / "k.db", venue=venue, clock=clock)
    placed = await desk.place(
        desk.intent("0.1", order_type=OrderType.LIMIT, limit_price=Decimal("49000"))
    )
    await desk.spine.kill_switch.command(KillTrigger.TRIP, "manual trip")
    await desk.store.close()
    clock.advance(20)
    venue.hold = False

    # Act
    again = await open_desk(tmp_path / "k.db", venue=venue, clock=clock, fresh=False)
    await again.next_bar()

    # Assert
    order = again.spine.oms.orders[placed.spec.client_order_id]
    assert again.spine.kill_switch.switch.is_latched()
    assert order.status is OrderStatus.CANCELED
    assert await venue.open_orders() == []
    await again.store.close()


async def test_cancel_when_recorded_but_never_sent_then_asked_again_after_restart(
    tmp_path: Path,
) -> None:
    # Arrange: the cancel request is recorded, then the process dies before the venue hears
    desk = await open_desk(tmp_path / "c.db")
    placed = await desk.place(
        desk.intent("0.1", order_type=OrderType.LIMIT, limit_price=Decimal("49000"))
    )
    real_cancel = desk.venue.cancel

    async def die(_: Any) -> Any:
        raise RuntimeError("process killed")

    desk.venue.cancel = die  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await desk.spine.oms.cancel(placed.spec.client_order_id, "operator")
    await desk.store.close()
    desk.venue.cancel = real_cancel  # type: ignore[method-assign]

    # Act
    again = await open_desk(tmp_path / "c.db", venue=desk.venue, clock=desk.clock, fresh=False)
    await again.next_bar()
    await again.next_bar()

    # Assert
    seen = await desk.venue.query(placed.spec.client_order_id)
    assert seen is not None
    assert seen.status is OrderStatus.CANCELED
    assert again.spine.oms.orders[placed.spec.client_order_id].status is OrderStatus.CANCELED
    await again.store.close()
