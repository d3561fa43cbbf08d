"""Accounting holes a review found (issue 15, items 4 and 6): each test once failed on main.

A spot sale of more than the account held was approved, signed and sent; its fill then raised
``AccountingError`` inside the OMS after it was journaled, and again at every restart. And a
deposit was added to the peak and the day's opening NAV, so it diluted the measured drawdown and
daily loss: a loss that should have tripped the kill switch did not.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.orchestration.order_pipeline import client_order_id_for
from aiswarm.risk import Algorithm, ApprovalSigner, Approved, Reason, TripCause
from aiswarm.runtime.approval_keys import signing_keys
from aiswarm.runtime.spine import account_records, baseline_payload
from aiswarm.store import EventStore
from aiswarm.types import (
    EventType,
    OrderIntent,
    OrderSpec,
    OrderType,
    Side,
    Symbol,
    TimeInForce,
)
from aiswarm.venues import PaperVenue
from aiswarm.venues.fill_models import FeeModel
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument
from kit.host import SECRET as HOST_SECRET
from kit.host import paper_config, run_steps, start
from kit.spine import MARK, SECRET, START, Desk, open_desk

pytestmark = pytest.mark.integration


def _sign(spec: OrderSpec, secret: bytes, now_ns: int) -> Approved[OrderSpec]:
    """Sign ``spec`` as the risk engine would, without asking its guards."""
    signer = signing_keys(secret, Algorithm.HMAC_SHA256).signer
    return ApprovalSigner(signer, ttl_ns=5 * 10**9).approve(spec, now_ns)


def _spec(intent: OrderIntent) -> OrderSpec:
    return OrderSpec.from_intent(intent, client_order_id_for(intent), created_at=intent.ts_event)


async def _records(store: EventStore, kind: str) -> list[Mapping[str, Any]]:
    return [payload for t, payload in await account_records(store, ACCOUNT) if t == kind]


async def _oversold(path: Path) -> Desk:
    """Return a desk whose venue filled a 0.5 BTC spot sale the account never held.

    The sale is signed directly, as the risk engine signed it before the spot guard existed.
    """
    desk = await open_desk(path)
    sale = _spec(desk.intent("0.5", Side.SELL))
    submitted = await desk.spine.oms.submit(
        _sign(sale, SECRET, desk.clock.now_ns()), mark=desk.mark
    )
    assert submitted.accepted
    await desk.next_bar()  # the venue fills it; on main this raised AccountingError
    return desk


# --- the spot guard --------------------------------------------------------------------------


async def test_spot_sell_when_nothing_held_then_refused_and_never_sent(tmp_path: Path) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "a.db")

    # Act
    placed = await desk.place(desk.intent("0.5", Side.SELL))

    # Assert
    assert placed.refused is not None
    assert [r.code for r in placed.refused.refusals] == [Reason.SPOT_SELL_ABOVE_HOLDING]
    assert dict(desk.spine.oms.orders) == {}
    await desk.store.close()


async def test_spot_sell_when_working_sells_cover_the_holding_then_refused(
    tmp_path: Path,
) -> None:
    # Arrange: 1 BTC held, 0.2 of it offered above the market
    desk = await open_desk(tmp_path / "a.db")
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    offer = desk.intent(
        "0.2",
        Side.SELL,
        order_type=OrderType.LIMIT,
        limit_price=MARK + Decimal(1000),
        time_in_force=TimeInForce.GTC,
    )
    assert (await desk.place(offer)).is_live

    # Act
    too_much = await desk.place(desk.intent("0.9", Side.SELL))
    the_rest = await desk.place(desk.intent("0.8", Side.SELL))

    # Assert
    assert too_much.refused is not None
    [refusal] = too_much.refused.refusals
    assert refusal.code is Reason.SPOT_SELL_ABOVE_HOLDING
    assert "holding=1 working_sells=0.2 order=0.9" in refusal.detail
    assert the_rest.is_live
    await desk.store.close()


# --- a fill that breaks the books ------------------------------------------------------------


async def test_fill_when_spot_oversold_then_held_aside_halted_and_restart_clean(
    tmp_path: Path,
) -> None:
    # Arrange
    desk = await _oversold(tmp_path / "a.db")

    # Act
    halted = await desk.spine.halt_on_breaks()

    # Assert: the fill is recorded and held aside, unbooked; trading halted naming it
    assert halted == 1
    [held] = desk.spine.portfolio.breaks
    assert held.fill.quantity == Decimal("0.5")
    assert desk.spine.portfolio.position(VENUE, SYMBOL) is None
    assert desk.spine.portfolio.cash == Decimal("100000")
    switch = desk.spine.kill_switch.switch
    assert switch.is_latched()
    [trip] = [c for c in await _records(desk.store, EventType.KILL_SWITCH_CHANGED) if c["cause"]]
    assert trip["cause"] == TripCause.ACCOUNTING_BREAK
    assert f"trade_id={held.fill.trade_id}" in trip["reason"]
    [alert] = await _records(desk.store, EventType.PORTFOLIO_BREAK)
    assert alert["fill"]["trade_id"] == held.fill.trade_id
    assert "cannot go short" in alert["reason"]
    await desk.store.close()

    # Act: restart
    again = await open_desk(tmp_path / "a.db", venue=desk.venue, clock=desk.clock, fresh=False)

    # Assert: the replay holds the fill aside again, stays halted, and reports it once only
    assert [b.fill for b in again.spine.portfolio.breaks] == [held.fill]
    assert again.spine.kill_switch.switch.is_latched()
    assert len(await _records(again.store, EventType.PORTFOLIO_BREAK)) == 1
    assert await again.spine.halt_on_breaks() == 0
    await again.store.close()


async def test_fill_when_process_died_before_halting_then_restart_halts(tmp_path: Path) -> None:
    # Arrange: the fill is journaled, then the process dies before the halt is recorded
    desk = await _oversold(tmp_path / "a.db")
    await desk.store.close()

    # Act
    again = await open_desk(tmp_path / "a.db", venue=desk.venue, clock=desk.clock, fresh=False)

    # Assert
    assert again.spine.kill_switch.switch.is_latched()
    changes = await _records(again.store, EventType.KILL_SWITCH_CHANGED)
    assert changes[-1]["cause"] == TripCause.ACCOUNTING_BREAK
    assert len(await _records(again.store, EventType.PORTFOLIO_BREAK)) == 1
    await again.store.close()


async def test_engine_when_a_fill_breaks_the_books_then_step_halts_and_host_restarts(
    tmp_path: Path,
) -> None:
    # Arrange: a paper host whose venue receives a spot sale the account never held
    config = paper_config(tmp_path)
    host = await start(config)
    engine = host.engine
    symbol = Symbol(sorted(engine.instruments)[0])
    market = engine.instruments[symbol]
    intent = OrderIntent(
        mandate_id=engine.mandate.mandate_id,
        account=engine.account,
        venue=market.venue,
        symbol=symbol,
        side=Side.SELL,
        order_type=OrderType.MARKET,
        quantity=Decimal("0.5"),
        time_in_force=TimeInForce.IOC,
        reason="test",
        ts_event=engine.clock.now(),
    )
    spec = _spec(intent)
    assert (await engine.spine.oms.submit(_sign(spec, HOST_SECRET, engine.clock.now_ns()))).accepted

    # Act: the next bar fills it (on main that step raised AccountingError)
    reports = await run_steps(host, 2)
    await host.stop("test over")
    restarted = await start(config)

    # Assert
    assert [report.tripped for report in reports] == [False, True]
    assert [b.fill.client_order_id for b in engine.spine.portfolio.breaks] == [spec.client_order_id]
    assert restarted.engine.spine.kill_switch.switch.is_latched()
    assert len(restarted.engine.spine.portfolio.breaks) == 1
    await restarted.stop("test over")


# --- drawdown and daily loss under deposits --------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "cause"),
    [
        ({"max_drawdown_frac": Decimal("0.10"), "max_daily_loss_frac": Decimal("0.5")}, "drawdown"),
        (
            {"max_drawdown_frac": Decimal("0.5"), "max_daily_loss_frac": Decimal("0.10")},
            "daily_loss",
        ),
    ],
    ids=["drawdown", "daily-loss"],
)
async def test_deposit_when_made_at_a_loss_then_a_further_loss_still_trips(
    tmp_path: Path, limits: dict[str, Decimal], cause: str
) -> None:
    # Arrange: 1 BTC bought at 50,000 without fees on 100,000 USDT; it falls to 41,000 (-9 %)
    clock = SimulatedClock(START)
    venue = PaperVenue(
        VENUE,
        {SYMBOL: instrument()},
        clock,
        fee_model=FeeModel(maker_fee_frac=Decimal(0), taker_fee_frac=Decimal(0)),
        max_participation_frac=Decimal("1"),
    )
    desk = await open_desk(tmp_path / "a.db", venue=venue, clock=clock, **limits)
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    control = desk.spine.kill_switch
    assert (await control.check(desk.spine.portfolio.snapshot(clock.now())))[0] is None
    await desk.next_bar(Decimal("41000"))
    at_nine = desk.spine.portfolio.snapshot(clock.now())
    assert (await control.check(at_nine))[0] is None

    # Act: as much again deposited, then a further loss of 9 % of the original 100,000
    await desk.spine.deposit(at_nine.nav)
    await desk.next_bar(Decimal("32000"))
    change, _ = await control.check(desk.spine.portfolio.snapshot(clock.now()))

    # Assert: 173,000 of 200,000 in today's units is 13.5 % down, past the 10 % limit
    assert change is not None
    assert change.cause == cause
    assert "0.135" in change.reason
    await desk.store.close()


async def test_deposit_when_restarted_then_replayed_at_its_recorded_nav(tmp_path: Path) -> None:
    # Arrange: a peak of 100,000, a 9 % loss, then a deposit of as much again
    desk = await open_desk(tmp_path / "a.db")
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    desk.spine.portfolio.snapshot(desk.clock.now())
    await desk.next_bar(Decimal("41000"))
    at_nine = desk.spine.portfolio.snapshot(desk.clock.now())
    checkpoint = baseline_payload(*desk.spine.portfolio.baselines())
    await desk.spine.journal.append(EventType.PORTFOLIO_BASELINE, checkpoint)
    await desk.spine.deposit(at_nine.nav)
    expected = desk.spine.portfolio.baselines()
    await desk.store.close()

    # Act: the restart replays the deposit without the marks of the moment
    again = await open_desk(tmp_path / "a.db", venue=desk.venue, clock=desk.clock, fresh=False)

    # Assert: the same baselines as live (twice the checkpoint's), not shifted by the amount
    assert again.spine.portfolio.baselines() == expected
    assert expected[0] == 2 * Decimal(checkpoint["peak_nav"])
    await again.store.close()


async def test_deposit_when_logged_without_a_nav_then_old_log_still_restores(
    tmp_path: Path,
) -> None:
    # Arrange: a log as written before deposits carried their NAV
    desk = await open_desk(tmp_path / "a.db", fresh=False)
    await desk.spine.journal.append(EventType.PORTFOLIO_DEPOSIT, {"amount": "100000"})
    await desk.store.close()

    # Act
    again = await open_desk(tmp_path / "a.db", venue=desk.venue, clock=desk.clock, fresh=False)

    # Assert
    assert again.spine.portfolio.cash == Decimal("100000")
    await again.store.close()
