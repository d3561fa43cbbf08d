"""Specs for the mode guards: kill switch, trading state, reduce-only and close-only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.risk.guards_state import (
    check_close_only,
    check_kill_switch,
    check_reduce_only,
    check_trading_state,
)
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason
from aiswarm.types import OrderSpec, TradingState
from kit.builders import SYMBOL
from kit.guards import account, buy, guard_context, sell

LONG = Decimal("0.1")


def test_kill_switch_when_not_latched_then_passes() -> None:
    # Arrange
    ctx = guard_context(kill_switch_latched=False)

    # Act
    refusal = check_kill_switch(ctx)

    # Assert
    assert refusal is None


def test_kill_switch_when_latched_then_new_entry_refused() -> None:
    # Arrange
    ctx = guard_context(kill_switch_latched=True)

    # Act
    refusal = check_kill_switch(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.KILL_SWITCH_TRIPPED
    assert "latched=true" in refusal.detail


def test_kill_switch_when_latched_and_flattening_configured_then_reduce_only_close_passes() -> None:
    # Arrange
    ctx = guard_context(
        sell("0.1", reduce_only=True),
        portfolio=account(held=LONG),
        limits=RiskLimits(flatten_on_trip=True),
        kill_switch_latched=True,
    )

    # Act
    refusal = check_kill_switch(ctx)

    # Assert
    assert refusal is None


def test_kill_switch_when_latched_without_flattening_then_even_reduce_only_refused() -> None:
    # Arrange
    ctx = guard_context(
        sell("0.1", reduce_only=True), portfolio=account(held=LONG), kill_switch_latched=True
    )

    # Act
    refusal = check_kill_switch(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.KILL_SWITCH_TRIPPED


def test_trading_state_when_active_then_passes() -> None:
    # Arrange
    ctx = guard_context(trading_state=TradingState.ACTIVE)

    # Act / Assert
    assert check_trading_state(ctx) is None


def test_trading_state_when_halted_then_refused_with_state() -> None:
    # Arrange
    ctx = guard_context(trading_state=TradingState.HALTED)

    # Act
    refusal = check_trading_state(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.TRADING_HALTED
    assert str(refusal).startswith("TRADING_HALTED state=halted side=buy quantity=0.02")


def test_trading_state_when_halted_and_flattening_configured_then_reduce_only_close_passes() -> (
    None
):
    # Arrange
    ctx = guard_context(
        sell("0.05", reduce_only=True),
        portfolio=account(held=LONG),
        limits=RiskLimits(flatten_on_trip=True),
        trading_state=TradingState.HALTED,
    )

    # Act / Assert
    assert check_trading_state(ctx) is None


def test_trading_state_when_reducing_and_reduce_only_order_shrinks_position_then_passes() -> None:
    # Arrange: long 0.1, reduce-only sell 0.04
    ctx = guard_context(
        sell("0.04", reduce_only=True),
        portfolio=account(held=LONG),
        trading_state=TradingState.REDUCING,
    )

    # Act / Assert
    assert check_trading_state(ctx) is None


def test_trading_state_when_reducing_and_shrinking_order_lacks_flag_then_refused() -> None:
    # Arrange: long 0.1, sell 0.04 without the reduce-only flag (the OMS would refuse it too)
    ctx = guard_context(
        sell("0.04"), portfolio=account(held=LONG), trading_state=TradingState.REDUCING
    )

    # Act
    refusal = check_trading_state(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.TRADING_REDUCING_ONLY


@pytest.mark.parametrize(
    ("order", "held"),
    [
        (buy("0.02"), LONG),  # grows the long
        (sell("0.2"), LONG),  # flips long 0.1 to short 0.1
        (sell("0.02"), None),  # opens a short from flat
    ],
    ids=["increase", "flip", "open"],
)
def test_trading_state_when_reducing_and_order_does_not_shrink_then_refused(
    order: OrderSpec, held: Decimal | None
) -> None:
    # Arrange
    ctx = guard_context(order, portfolio=account(held=held), trading_state=TradingState.REDUCING)

    # Act
    refusal = check_trading_state(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.TRADING_REDUCING_ONLY


def test_reduce_only_when_order_shrinks_position_then_passes() -> None:
    # Arrange
    ctx = guard_context(sell("0.1", reduce_only=True), portfolio=account(held=LONG))

    # Act / Assert
    assert check_reduce_only(ctx) is None


@pytest.mark.parametrize(
    ("order", "held"),
    [(sell("0.02", reduce_only=True), None), (sell("0.11", reduce_only=True), LONG)],
    ids=["flat", "flips"],
)
def test_reduce_only_when_order_would_not_shrink_then_refused(
    order: OrderSpec, held: Decimal | None
) -> None:
    # Arrange
    ctx = guard_context(order, portfolio=account(held=held))

    # Act
    refusal = check_reduce_only(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.REDUCE_ONLY_VIOLATION
    assert "reduce_only=true" in refusal.detail


def test_close_only_when_mode_off_then_opening_order_passes() -> None:
    # Arrange
    ctx = guard_context(buy("0.02"))

    # Act / Assert
    assert check_close_only(ctx) is None


@pytest.mark.parametrize(
    ("limits", "scope"),
    [
        (RiskLimits(close_only=True), "account"),
        (RiskLimits(close_only_symbols=frozenset({SYMBOL})), "symbol"),
    ],
)
def test_close_only_when_mode_on_then_opening_order_refused(limits: RiskLimits, scope: str) -> None:
    # Arrange
    ctx = guard_context(buy("0.02"), limits=limits)

    # Act
    refusal = check_close_only(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.CLOSE_ONLY
    assert f"scope={scope}" in refusal.detail


def test_close_only_when_mode_on_then_closing_order_passes() -> None:
    # Arrange
    ctx = guard_context(
        sell("0.1"), portfolio=account(held=LONG), limits=RiskLimits(close_only=True)
    )

    # Act / Assert
    assert check_close_only(ctx) is None
