"""The safety spine end to end: real SQLite store, engine, signed approvals, OMS, paper venue.

"No order executes without cryptographic risk approval, and the system fails closed."
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.execution import OrderManager
from aiswarm.risk import (
    ApprovalVerifier,
    Approved,
    Authorisation,
    HmacKeyring,
    KillTrigger,
    NonceLedger,
    Reason,
    Refused,
)
from aiswarm.types import OrderSpec, OrderStatus, Side, TradingState
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument
from kit.spine import OPERATOR, SECRET, Desk, open_desk, trading_mandate

pytestmark = pytest.mark.integration


async def _types(desk: Desk) -> list[str]:
    return [event.type async for event in desk.store.replay()]


def _approve(desk: Desk, quantity: str) -> Approved[OrderSpec]:
    from aiswarm.orchestration import client_order_id_for

    intent = desk.intent(quantity)
    spec = OrderSpec.from_intent(intent, client_order_id_for(intent), intent.ts_event)
    desk.spine.portfolio.mark(VENUE, SYMBOL, desk.mark)
    decision = desk.spine.engine.evaluate(
        spec,
        instrument=instrument(),
        portfolio=desk.spine.portfolio.snapshot(desk.clock.now()),
        mandate=trading_mandate(),
        market=desk.market(),
        activity=desk.spine.oms.activity,
        mandate_exposure_usd=Decimal(0),
    )
    assert isinstance(decision, Approved), decision
    return decision


async def test_place_when_approved_then_recorded_before_venue_filled_and_booked(
    tmp_path: Path,
) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "spine.db")

    # Act
    placement = await desk.place(desk.intent("0.02"))
    await desk.next_bar()

    # Assert
    assert placement.is_live
    order = desk.spine.oms.orders[placement.spec.client_order_id]
    assert order.status is OrderStatus.FILLED
    position = desk.spine.portfolio.position(VENUE, SYMBOL)
    assert position is not None
    assert position.quantity == Decimal("0.02")
    assert desk.spine.portfolio.cash == Decimal("100000") - Decimal("1000") - Decimal("1.000")
    types = await _types(desk)
    assert types[-4:] == ["risk.decision", "order.submitted", "order.event", "order.event"]
    assert (await desk.store.verify()).ok
    await desk.store.close()


async def test_place_when_refused_then_recorded_and_never_reaches_oms_or_venue(
    tmp_path: Path,
) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "spine.db")

    # Act: 2 BTC = 100,000 USDT, above the 60,000 order limit
    placement = await desk.place(desk.intent("2"))

    # Assert
    assert placement.refused is not None
    codes = {refusal.code for refusal in placement.refused.refusals}
    assert Reason.ORDER_NOTIONAL_LIMIT in codes
    assert desk.spine.oms.orders == {}
    assert await desk.venue.open_orders() == []
    decisions = [e async for e in desk.store.replay(types=["risk.decision"])]
    assert decisions[-1].payload["approved"] is False
    assert "order.submitted" not in await _types(desk)
    await desk.store.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", Decimal("0.03")),
        ("side", Side.SELL),
        ("symbol", "ETH/USDT"),
        ("limit_price", Decimal("1")),
        ("reduce_only", True),
        ("client_order_id", "ais-forged"),
    ],
)
async def test_submit_when_order_changed_after_approval_then_oms_refuses_naming_field(
    tmp_path: Path, field: str, value: object
) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "spine.db")
    approved = _approve(desk, "0.02")
    if field == "limit_price":
        tampered = approved.item.model_construct(
            **(approved.item.model_dump() | {"limit_price": value, "order_type": "limit"})
        )
        field = "order_type"  # the first signed field that differs
    else:
        tampered = approved.item.model_copy(update={field: value})
    object.__setattr__(approved, "item", tampered)

    # Act
    result = await desk.spine.oms.submit(approved)

    # Assert
    assert not result.accepted
    assert result.code == "FIELD_MISMATCH"
    assert f"field {field}" in result.detail
    assert await desk.venue.open_orders() == []
    assert "order.refused" in await _types(desk)
    await desk.store.close()


async def test_submit_when_same_approved_order_twice_then_only_one_order(tmp_path: Path) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "spine.db")
    approved = _approve(desk, "0.02")

    # Act
    first = await desk.spine.oms.submit(approved)
    second = await desk.spine.oms.submit(approved)

    # Assert
    assert first.accepted
    assert second.accepted
    assert second.duplicate
    assert len(desk.spine.oms.orders) == 1
    assert len(await desk.venue.open_orders()) == 1
    await desk.store.close()


async def test_submit_when_nonce_used_before_restart_then_refused(tmp_path: Path) -> None:
    # Arrange: an OMS whose ledger already holds the approval's nonce (rebuilt after restart)
    desk = await open_desk(tmp_path / "spine.db")
    approved = _approve(desk, "0.02")
    keyring = HmacKeyring({"approval-1": SECRET}, "approval-1")
    oms = OrderManager(
        account=ACCOUNT,
        venue=desk.venue,
        verifier=ApprovalVerifier(keyring, max_skew_ns=10**9),
        nonces=NonceLedger.from_nonces([approved.approval.nonce]),
        journal=desk.spine.journal,
        clock=desk.clock,
        gate=desk.spine.kill_switch.switch,
        unpriced_order_notional_usd=Decimal("60000"),
    )

    # Act
    result = await oms.submit(approved)

    # Assert
    assert result.code == "NONCE_REUSED"
    assert await desk.venue.open_orders() == []
    await desk.store.close()


async def test_submit_when_approval_expired_then_refused(tmp_path: Path) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "spine.db")
    approved = _approve(desk, "0.02")
    desk.clock.advance(60)

    # Act
    result = await desk.spine.oms.submit(approved)

    # Assert
    assert result.code == "EXPIRED"
    await desk.store.close()


async def test_kill_switch_when_daily_loss_trips_then_latched_after_recovery_until_reset(
    tmp_path: Path,
) -> None:
    # Arrange: hold 1 BTC bought at 50,000 on a 100,000 USDT account (2 % daily loss limit);
    # approvals live an hour so one issued before the trip is still unexpired after it.
    desk = await open_desk(tmp_path / "spine.db", approval_ttl_s=3600)
    portfolio = desk.spine.portfolio
    control = desk.spine.kill_switch
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    pre_approved = _approve(desk, "0.02")

    # Act 1: the price falls 3,000 -> about -3 % on the day
    await desk.next_bar(Decimal("47000"))
    tripped, _ = await control.check(portfolio.snapshot(desk.clock.now()))

    # Assert 1
    assert tripped is not None
    assert control.switch.state is TradingState.HALTED
    assert control.switch.is_latched()

    # Act 2: the price recovers to -1 %
    await desk.next_bar(Decimal("49050"))
    again, _ = await control.check(portfolio.snapshot(desk.clock.now()))
    refused = await desk.place(desk.intent("0.02"))
    at_oms = await desk.spine.oms.submit(pre_approved)

    # Assert 2: still latched; the guard chain and the OMS both refuse new entries
    assert again is None
    assert control.switch.is_latched()
    assert isinstance(refused.refused, Refused)
    assert Reason.KILL_SWITCH_TRIPPED in {r.code for r in refused.refused.refusals}
    assert at_oms.code == "KILL_SWITCH_TRIPPED"

    # Act 3: an unauthorised reset is refused; an authorised one plus enable resumes trading
    with pytest.raises(Exception, match="authoris"):
        await control.command(KillTrigger.RESET, "looks fine", Authorisation("intruder", "x"))
    await control.command(
        KillTrigger.RESET, "loss reviewed", Authorisation(OPERATOR, "loss reviewed")
    )
    await control.command(KillTrigger.ENABLE, "resume after review")
    resumed = await desk.place(desk.intent("0.02"))

    # Assert 3
    assert resumed.is_live
    changes = [e.payload["trigger"] async for e in desk.store.replay(types=["kill_switch.changed"])]
    assert changes == ["enable", "trip", "reset", "enable"]
    await desk.store.close()


async def test_restart_when_reopened_then_orders_nonces_positions_and_kill_switch_rebuilt(
    tmp_path: Path,
) -> None:
    # Arrange: trade, leave one order resting, trip the switch, then "restart"
    desk = await open_desk(tmp_path / "spine.db")
    placed = await desk.place(desk.intent("0.5"))
    await desk.next_bar()
    await desk.spine.kill_switch.command(KillTrigger.TRIP, "operator stop")
    before_orders = dict(desk.spine.oms.orders)
    before_position = desk.spine.portfolio.position(VENUE, SYMBOL)
    submitted = [e async for e in desk.store.replay(types=["order.submitted"])]
    nonce = submitted[0].payload["approval"]["nonce"]
    await desk.store.close()

    # Act
    reopened = await open_desk(
        tmp_path / "spine.db", venue=desk.venue, clock=desk.clock, fresh=False
    )

    # Assert
    assert dict(reopened.spine.oms.orders) == before_orders
    assert reopened.spine.portfolio.position(VENUE, SYMBOL) == before_position
    assert reopened.spine.portfolio.cash == desk.spine.portfolio.cash
    assert reopened.spine.kill_switch.switch.state is TradingState.HALTED
    assert reopened.spine.kill_switch.switch.is_latched()
    assert reopened.spine.oms.is_nonce_used(nonce)
    again = await reopened.place(desk.intent("0.5", ts_event=placed.spec.created_at))
    assert again.submitted is not None
    assert again.submitted.duplicate
    await reopened.store.close()


async def test_kill_switch_when_tripped_with_flatten_then_reduce_only_close_goes_through_chain(
    tmp_path: Path,
) -> None:
    # Arrange: hold 1 BTC; flattening on trip is configured
    from aiswarm.orchestration import FlattenInputs

    desk = await open_desk(tmp_path / "spine.db", flatten_on_trip=True)
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    await desk.next_bar(Decimal("47000"))
    snapshot = desk.spine.portfolio.snapshot(desk.clock.now())

    def inputs(position: object) -> FlattenInputs:
        return FlattenInputs(instrument(), trading_mandate(), desk.market(), Decimal(0))

    # Act
    tripped, placements = await desk.spine.kill_switch.check(snapshot, inputs)
    await desk.next_bar()

    # Assert
    assert tripped is not None
    assert len(placements) == 1
    closing = placements[0]
    assert closing.is_live
    assert closing.spec.reduce_only
    assert closing.spec.side is Side.SELL
    position = desk.spine.portfolio.position(VENUE, SYMBOL)
    assert position is not None
    assert position.quantity == 0
    decisions = [e.payload async for e in desk.store.replay(types=["risk.decision"])]
    assert decisions[-1]["approved"] is True
    await desk.store.close()


async def test_ed25519_mode_when_trading_then_oms_verifies_with_public_key_only(
    tmp_path: Path,
) -> None:
    # Arrange
    from aiswarm.risk import Algorithm, Ed25519Verifier
    from aiswarm.runtime.approval_keys import signing_keys

    desk = await open_desk(tmp_path / "spine.db", algorithm=Algorithm.ED25519)
    oms_side = signing_keys(SECRET, Algorithm.ED25519).verifier

    # Act
    placed = await desk.place(desk.intent("0.02"))
    await desk.next_bar()
    approved = _approve(desk, "0.03")
    object.__setattr__(
        approved, "item", approved.item.model_copy(update={"quantity": Decimal("3")})
    )
    forged = await desk.spine.oms.submit(approved)

    # Assert
    assert placed.is_live
    submitted = [e.payload async for e in desk.store.replay(types=["order.submitted"])]
    assert submitted[0]["approval"]["algorithm"] == "ed25519"
    assert isinstance(oms_side, Ed25519Verifier)
    assert not hasattr(oms_side, "sign")
    assert forged.code == "FIELD_MISMATCH"
    await desk.store.close()


async def test_restart_when_baseline_recorded_then_peak_and_day_open_survive(
    tmp_path: Path,
) -> None:
    # Arrange: hold 1 BTC, the price rises (a new peak), the baseline is checkpointed
    from aiswarm.runtime.spine import BASELINE, baseline_payload

    desk = await open_desk(tmp_path / "spine.db")
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    await desk.next_bar(Decimal("60000"))
    desk.spine.portfolio.snapshot(desk.clock.now())
    baselines = desk.spine.portfolio.baselines()
    await desk.spine.journal.append(BASELINE, baseline_payload(*baselines))
    await desk.store.close()

    # Act: restart, then the price falls back
    reopened = await open_desk(
        tmp_path / "spine.db", venue=desk.venue, clock=desk.clock, fresh=False
    )
    reopened.spine.portfolio.mark(VENUE, SYMBOL, Decimal("50000"))
    snapshot = reopened.spine.portfolio.snapshot(desk.clock.now())

    # Assert: drawdown is measured from the recorded peak, not from the restart
    assert reopened.spine.portfolio.baselines()[0] == baselines[0]
    assert snapshot.peak_nav == baselines[0]
    assert snapshot.drawdown_frac > 0
    await reopened.store.close()
