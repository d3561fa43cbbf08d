"""Specs for the spot-holding guard: a spot sell fits in the holding beside working sells."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.risk.guards import run_guards
from aiswarm.risk.guards_spot import check_spot_holding
from aiswarm.risk.refusals import Reason
from aiswarm.types import InstrumentKind
from kit import builders
from kit.guards import account, buy, guard_context, sell


def test_spot_sell_when_nothing_held_then_refused_naming_the_numbers() -> None:
    # Arrange: the case, 0.5 BTC sold on a flat spot account
    ctx = guard_context(sell("0.5"), portfolio=account())

    # Act
    refusal = check_spot_holding(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.SPOT_SELL_ABOVE_HOLDING
    assert refusal.detail == ("symbol=BTC/USDT venue=binance holding=0 working_sells=0 order=0.5")


@pytest.mark.parametrize(
    ("held", "working", "quantity", "refused"),
    [
        ("1", "0", "1", False),  # the whole holding
        ("1", "0", "1.00001", True),  # one step more
        ("1", "0.6", "0.4", False),  # exactly what the working sells leave
        ("1", "0.6", "0.40001", True),
        ("1", "1", "0.00001", True),  # the working sells take it all
    ],
)
def test_spot_sell_when_working_sells_counted_then_refused_only_above_the_holding(
    held: str, working: str, quantity: str, refused: bool
) -> None:
    # Arrange
    ctx = guard_context(
        sell(quantity),
        portfolio=account(held=Decimal(held)),
        working_sell_quantity=Decimal(working),
    )

    # Act
    refusal = check_spot_holding(ctx)

    # Assert
    assert (refusal is not None) == refused


def test_spot_sell_when_reduce_only_close_with_sells_working_then_still_refused() -> None:
    # Arrange: a close of the whole 1 BTC while 0.3 is already offered
    ctx = guard_context(
        sell("1", reduce_only=True),
        portfolio=account(held=Decimal("1")),
        working_sell_quantity=Decimal("0.3"),
    )

    # Act / Assert: both may fill; a spot account cannot sell 1.3
    assert check_spot_holding(ctx) is not None


def test_spot_guard_when_buy_or_perpetual_sell_then_passes() -> None:
    # Arrange
    perpetual = builders.instrument(kind=InstrumentKind.PERPETUAL)

    # Act / Assert
    assert check_spot_holding(guard_context(buy("0.5"), portfolio=account())) is None
    assert check_spot_holding(guard_context(sell("0.5"), instrument=perpetual)) is None


def test_chain_when_spot_oversell_then_only_the_spot_guard_refuses() -> None:
    # Arrange
    ctx = guard_context(sell("0.02"), portfolio=account())

    # Act
    refusals = run_guards(ctx)

    # Assert
    assert [refusal.code for refusal in refusals] == [Reason.SPOT_SELL_ABOVE_HOLDING]
