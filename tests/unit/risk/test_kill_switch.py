"""Specs for the kill switch: its state table, the latch, authorised reset, rebuild."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.errors import InvalidTransition
from aiswarm.risk.guards import run_guards
from aiswarm.risk.kill_switch import (
    TRANSITIONS,
    Authorisation,
    KillSwitch,
    KillSwitchChange,
    KillTrigger,
    TripCause,
    UnauthorisedReset,
)
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason
from aiswarm.types import TradingState
from kit.guards import NOW_NS, account, buy, guard_context, sell

OPERATOR = "ops-alice"
LIMITS = RiskLimits(max_daily_loss_frac=Decimal("0.02"))


def _apply(
    switch: KillSwitch, trigger: KillTrigger, log: list[KillSwitchChange], **kw: object
) -> None:
    """Propose, record, then apply: the write-ahead order the runtime follows."""
    change = switch.propose(trigger, reason=kw.pop("reason", "test"), ts_ns=NOW_NS, **kw)  # type: ignore[arg-type]
    log.append(change)
    switch.apply(change)


def _switch_in(state: TradingState, *, latched: bool = False) -> KillSwitch:
    """Return a switch driven to ``state`` through the table."""
    switch = KillSwitch(authorised_operators={OPERATOR})
    log: list[KillSwitchChange] = []
    if latched:
        _apply(switch, KillTrigger.TRIP, log, cause=TripCause.MANUAL)
        return switch
    if state is TradingState.ACTIVE:
        _apply(switch, KillTrigger.ENABLE, log)
    elif state is TradingState.REDUCING:
        _apply(switch, KillTrigger.REDUCE, log)
    return switch


def _unlatching_trip() -> KillSwitchChange:
    """Return a forged record: a TRIP from ACTIVE that leaves the switch unlatched."""
    return KillSwitchChange(
        from_state=TradingState.ACTIVE,
        to_state=TradingState.HALTED,
        trigger=KillTrigger.TRIP,
        latched=False,
        reason="forged",
        ts_ns=0,
    )


def test_switch_when_booted_then_halted_and_not_latched() -> None:
    switch = KillSwitch()
    assert switch.state is TradingState.HALTED
    assert not switch.is_latched()


@pytest.mark.parametrize(("row", "to_state"), list(TRANSITIONS.items()), ids=str)
def test_switch_when_table_row_applied_then_lands_in_its_state(
    row: tuple[TradingState, KillTrigger], to_state: TradingState
) -> None:
    # Arrange
    from_state, trigger = row
    switch = _switch_in(from_state, latched=trigger is KillTrigger.RESET)
    kwargs: dict[str, object] = {}
    if trigger is KillTrigger.TRIP:
        kwargs["cause"] = TripCause.MANUAL
    if trigger is KillTrigger.RESET:
        kwargs["authorisation"] = Authorisation(OPERATOR, "limits reviewed")

    # Act
    change = switch.propose(trigger, reason="walk the table", ts_ns=NOW_NS, **kwargs)  # type: ignore[arg-type]
    switch.apply(change)

    # Assert
    assert (change.from_state, change.to_state) == (from_state, to_state)
    assert switch.state is to_state
    assert switch.is_latched() is (trigger is KillTrigger.TRIP)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (TradingState.ACTIVE, KillTrigger.ENABLE),
        (TradingState.REDUCING, KillTrigger.REDUCE),
        (TradingState.ACTIVE, KillTrigger.RESET),
    ],
)
def test_switch_when_pair_not_in_table_then_invalid_transition(
    state: TradingState, trigger: KillTrigger
) -> None:
    # Arrange
    switch = _switch_in(state)

    # Act / Assert
    with pytest.raises(InvalidTransition, match=f"{state} -> {trigger}"):
        switch.propose(
            trigger, reason="x", ts_ns=NOW_NS, authorisation=Authorisation(OPERATOR, "x")
        )


def test_switch_when_daily_loss_trips_then_latched_through_recovery_until_authorised_reset() -> (
    None
):
    # Arrange: trading, 2% daily loss limit
    switch = _switch_in(TradingState.ACTIVE)
    log: list[KillSwitchChange] = []

    # Act 1: -3% today trips the switch
    trip = switch.evaluate(
        account(nav=Decimal("97000"), daily_pnl=Decimal("-3000")), LIMITS, 0, NOW_NS
    )
    assert trip is not None
    log.append(trip)
    switch.apply(trip)

    # Assert 1
    assert switch.state is TradingState.HALTED
    assert switch.is_latched()
    assert trip.cause is TripCause.DAILY_LOSS
    assert trip.reason == (
        "daily_loss daily_loss=0.03 daily_pnl=-3000 start_of_day_nav=100000 limit=0.02"
    )

    # Act 2: PnL recovers to -1%
    again = switch.evaluate(
        account(nav=Decimal("99000"), daily_pnl=Decimal("-1000")), LIMITS, 0, NOW_NS
    )

    # Assert 2: still halted and latched; new entries still refused by the guard chain
    assert again is None
    assert switch.state is TradingState.HALTED
    assert switch.is_latched()
    ctx = guard_context(
        buy("0.02"),
        portfolio=account(nav=Decimal("99000"), daily_pnl=Decimal("-1000")),
        trading_state=switch.state,
        kill_switch_latched=switch.is_latched(),
    )
    codes = {refusal.code for refusal in run_guards(ctx)}
    assert {Reason.KILL_SWITCH_TRIPPED, Reason.TRADING_HALTED} <= codes
    with pytest.raises(InvalidTransition, match="latched"):
        switch.propose(KillTrigger.ENABLE, reason="try to resume", ts_ns=NOW_NS)

    # Act 3: an authorised reset with a reason, then enable
    _apply(
        switch,
        KillTrigger.RESET,
        log,
        authorisation=Authorisation(OPERATOR, "loss reviewed, limits unchanged"),
    )
    assert switch.state is TradingState.HALTED
    assert not switch.is_latched()
    _apply(switch, KillTrigger.ENABLE, log)

    # Assert 3
    assert switch.state is TradingState.ACTIVE
    ctx = guard_context(
        buy("0.02"),
        portfolio=account(nav=Decimal("99000"), daily_pnl=Decimal("-1000")),
        trading_state=switch.state,
        kill_switch_latched=switch.is_latched(),
    )
    assert run_guards(ctx) == []


@pytest.mark.parametrize(
    "authorisation",
    [None, Authorisation("mallory", "let me trade"), Authorisation(OPERATOR, "  ")],
    ids=["none", "unknown-operator", "no-reason"],
)
def test_switch_when_reset_not_authorised_then_refused_and_still_latched(
    authorisation: Authorisation | None,
) -> None:
    # Arrange
    switch = _switch_in(TradingState.HALTED, latched=True)

    # Act / Assert
    with pytest.raises(UnauthorisedReset):
        switch.propose(KillTrigger.RESET, reason="reset", ts_ns=NOW_NS, authorisation=authorisation)
    assert switch.is_latched()


def test_switch_when_no_operator_is_authorised_then_nobody_can_reset() -> None:
    # Arrange
    switch = KillSwitch()
    switch.apply(switch.propose(KillTrigger.TRIP, reason="x", ts_ns=0, cause=TripCause.MANUAL))

    # Act / Assert
    with pytest.raises(UnauthorisedReset, match="may not reset"):
        switch.propose(
            KillTrigger.RESET, reason="x", ts_ns=0, authorisation=Authorisation(OPERATOR, "x")
        )


def test_switch_when_reducing_then_guard_chain_passes_shrinking_order_and_refuses_growing_one() -> (
    None
):
    # Arrange
    switch = _switch_in(TradingState.REDUCING)
    long = account(held=Decimal("0.1"))

    # Act
    shrink = run_guards(
        guard_context(sell("0.05", reduce_only=True), portfolio=long, trading_state=switch.state)
    )
    grow = run_guards(guard_context(buy("0.02"), portfolio=long, trading_state=switch.state))

    # Assert
    assert shrink == []
    assert [refusal.code for refusal in grow] == [Reason.TRADING_REDUCING_ONLY]


def test_switch_when_rebuilt_from_recorded_changes_then_equals_live_state() -> None:
    # Arrange: enable, reduce, trip, reset (latch cleared, still halted)
    live = KillSwitch(authorised_operators={OPERATOR})
    log: list[KillSwitchChange] = []
    _apply(live, KillTrigger.ENABLE, log)
    _apply(live, KillTrigger.REDUCE, log)
    _apply(live, KillTrigger.TRIP, log, cause=TripCause.DRAWDOWN)
    latched_prefix = list(log)
    _apply(live, KillTrigger.RESET, log, authorisation=Authorisation(OPERATOR, "reviewed"))

    # Act
    rebuilt = KillSwitch.from_changes(log)
    rebuilt_latched = KillSwitch.from_changes(latched_prefix)

    # Assert
    assert (rebuilt.state, rebuilt.is_latched()) == (live.state, live.is_latched())
    assert (rebuilt_latched.state, rebuilt_latched.is_latched()) == (TradingState.HALTED, True)


def test_switch_when_rebuilt_from_stored_json_then_same_state() -> None:
    # Arrange: changes go through the event store as JSON
    live = _switch_in(TradingState.ACTIVE)
    change = live.propose(KillTrigger.TRIP, reason="operator stop", ts_ns=5, cause=TripCause.MANUAL)
    stored = [KillSwitchChange.model_validate_json(change.model_dump_json())]
    live.apply(change)

    # Act
    rebuilt = KillSwitch.from_changes(
        [
            KillSwitchChange(
                from_state=TradingState.HALTED,
                to_state=TradingState.ACTIVE,
                trigger=KillTrigger.ENABLE,
                latched=False,
                reason="boot",
                ts_ns=1,
            ),
            *stored,
        ]
    )

    # Assert
    assert (rebuilt.state, rebuilt.is_latched()) == (TradingState.HALTED, True)


def test_switch_when_change_is_stale_then_apply_refuses_it() -> None:
    # Arrange: two proposals from ACTIVE; the first is applied
    switch = _switch_in(TradingState.ACTIVE)
    reduce = switch.propose(KillTrigger.REDUCE, reason="x", ts_ns=NOW_NS)
    trip = switch.propose(KillTrigger.TRIP, reason="x", ts_ns=NOW_NS, cause=TripCause.MANUAL)
    switch.apply(trip)

    # Act / Assert
    with pytest.raises(InvalidTransition, match="propose the change again"):
        switch.apply(reduce)


def test_switch_when_recorded_change_contradicts_table_then_apply_refuses_it() -> None:
    # Arrange: a forged record that un-latches with a TRIP
    switch = _switch_in(TradingState.ACTIVE)
    forged = _unlatching_trip()

    # Act / Assert
    with pytest.raises(InvalidTransition, match="latched=True"):
        switch.apply(forged)


def test_switch_when_stale_change_validated_then_refused_and_nothing_changes() -> None:
    # Arrange: a proposal from ACTIVE, then a trip
    switch = _switch_in(TradingState.ACTIVE)
    reduce = switch.propose(KillTrigger.REDUCE, reason="x", ts_ns=NOW_NS)
    switch.apply(switch.propose(KillTrigger.TRIP, reason="x", ts_ns=NOW_NS, cause=TripCause.MANUAL))

    # Act / Assert
    with pytest.raises(InvalidTransition, match="propose the change again"):
        switch.validate(reduce)
    assert (switch.state, switch.is_latched()) == (TradingState.HALTED, True)


def test_rebuild_when_forged_change_starts_from_replayed_state_then_still_refused() -> None:
    # Arrange: ENABLE, then a record that claims a TRIP from ACTIVE leaves the switch unlatched
    switch = KillSwitch()
    enable = switch.propose(KillTrigger.ENABLE, reason="x", ts_ns=NOW_NS)
    forged = _unlatching_trip()

    # Act / Assert
    with pytest.raises(InvalidTransition, match="latched=True"):
        KillSwitch.from_changes([enable, forged])


def test_rebuild_when_stale_reset_recorded_then_skipped_and_still_unlatched_once() -> None:
    # Arrange: a trip, then two RESETs proposed together (the old code journaled both)
    switch = KillSwitch(authorised_operators={OPERATOR})
    trip = switch.propose(KillTrigger.TRIP, reason="x", ts_ns=NOW_NS, cause=TripCause.MANUAL)
    switch.apply(trip)
    authorisation = Authorisation(OPERATOR, "reviewed")
    resets = [
        switch.propose(KillTrigger.RESET, reason="r", ts_ns=NOW_NS, authorisation=authorisation)
        for _ in range(2)
    ]

    # Act
    rebuilt = KillSwitch.from_changes([trip, *resets], {OPERATOR})

    # Assert
    assert (rebuilt.state, rebuilt.is_latched()) == (TradingState.HALTED, False)


def test_evaluate_when_drawdown_and_rejections_breach_then_trip_names_all_causes() -> None:
    # Arrange: 12% below peak, 20 rejections in a row
    switch = _switch_in(TradingState.ACTIVE)
    snapshot = account(nav=Decimal("88000"), peak_nav=Decimal("100000"))

    # Act
    trip = switch.evaluate(snapshot, RiskLimits(), 20, NOW_NS)

    # Assert
    assert trip is not None
    assert trip.cause is TripCause.DRAWDOWN
    assert trip.reason == (
        "drawdown drawdown=0.12 nav=88000 peak_nav=100000 limit=0.1; "
        "circuit_breaker rejections=20 limit=20"
    )
    assert trip.ts_ns == NOW_NS


def test_evaluate_when_within_limits_then_proposes_nothing() -> None:
    switch = _switch_in(TradingState.ACTIVE)
    snapshot = account(nav=Decimal("98500"), daily_pnl=Decimal("-1500"))
    assert switch.evaluate(snapshot, LIMITS, 19, NOW_NS) is None


def test_evaluate_when_halted_at_boot_and_loss_breached_then_trip_latches() -> None:
    # Arrange
    switch = KillSwitch()

    # Act
    trip = switch.evaluate(account(nav=Decimal("97000"), daily_pnl=Decimal("-3000")), LIMITS, 0, 1)
    assert trip is not None
    switch.apply(trip)

    # Assert
    assert (trip.from_state, trip.to_state) == (TradingState.HALTED, TradingState.HALTED)
    assert switch.is_latched()


def test_propose_when_trip_has_no_cause_then_refused() -> None:
    with pytest.raises(ValueError, match="TRIP needs a cause"):
        KillSwitch().propose(KillTrigger.TRIP, reason="x", ts_ns=0)


def test_propose_when_reason_blank_then_refused() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        KillSwitch().propose(KillTrigger.ENABLE, reason=" ", ts_ns=0)
