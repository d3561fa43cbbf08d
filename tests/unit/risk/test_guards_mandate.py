"""Specs for mandate guards: status and validity, symbol, venue, side and budget, and which
orders count as risk-reducing (exempt from the guards that only restrict new risk)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from aiswarm.clock import to_ns
from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.guards import run_guards
from aiswarm.risk.guards_mandate import (
    check_mandate_active,
    check_mandate_budget,
    check_mandate_side,
    check_mandate_symbol,
    check_mandate_venue,
)
from aiswarm.risk.refusals import Reason
from aiswarm.types import (
    InstrumentKind,
    MandateId,
    MandateStatus,
    OrderSpec,
    Side,
    Symbol,
    TradingWindow,
    VenueId,
)
from kit import builders
from kit.builders import mandate
from kit.guards import account, buy, flattening_context, guard_context, sell

UNTIL = datetime(2025, 1, 1, tzinfo=UTC)


def test_mandate_active_when_active_and_valid_now_then_passes() -> None:
    assert check_mandate_active(guard_context()) is None


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"mandate": None}, "mandate=mandate-1 status=unknown"),
        (
            {"mandate": mandate(mandate_id=MandateId("other"))},
            "mandate=mandate-1 given_mandate=other",
        ),
        (
            {"mandate": mandate(status=MandateStatus.PAUSED)},
            "mandate=mandate-1 status=paused",
        ),
    ],
    ids=["unknown", "other-mandate", "paused"],
)
def test_mandate_active_when_mandate_cannot_trade_then_refused(
    overrides: dict[str, object], detail: str
) -> None:
    # Arrange
    ctx = guard_context(**overrides)

    # Act
    refusal = check_mandate_active(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.MANDATE_INACTIVE
    assert refusal.detail == detail


def test_mandate_active_when_now_is_valid_until_then_refused_as_expired() -> None:
    # Arrange: the window is valid_from <= now < valid_until
    ctx = guard_context(now_ns=to_ns(UNTIL))

    # Act
    refusal = check_mandate_active(ctx)

    # Assert
    assert refusal is not None
    assert "valid_until=2025-01-01T00:00:00+00:00" in refusal.detail


def test_mandate_active_when_one_microsecond_before_valid_until_then_passes() -> None:
    ctx = guard_context(now_ns=to_ns(UNTIL) - 1_000)
    assert check_mandate_active(ctx) is None


def test_mandate_active_when_before_valid_from_then_refused() -> None:
    ctx = guard_context(mandate=mandate(valid_from=datetime(2024, 6, 1, tzinfo=UTC)))
    refusal = check_mandate_active(ctx)
    assert refusal is not None
    assert refusal.code is Reason.MANDATE_INACTIVE


def test_mandate_symbol_when_symbol_not_listed_then_refused() -> None:
    # Arrange
    ctx = guard_context(mandate=mandate(symbols=(Symbol("ETH/USDT"),)))

    # Act
    refusal = check_mandate_symbol(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "MANDATE_SYMBOL mandate=mandate-1 symbol=BTC/USDT allowed=ETH/USDT"
    assert check_mandate_symbol(guard_context()) is None


def test_mandate_venue_when_venue_not_listed_then_refused() -> None:
    # Arrange
    ctx = guard_context(mandate=mandate(venues=(VenueId("hyperliquid"),)))

    # Act
    refusal = check_mandate_venue(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "MANDATE_VENUE mandate=mandate-1 venue=binance allowed=hyperliquid"
    assert check_mandate_venue(guard_context()) is None


def test_mandate_side_when_side_not_allowed_then_refused() -> None:
    # Arrange: a buy-only mandate opening a short
    ctx = guard_context(sell("0.02"), mandate=mandate(allowed_sides=(Side.BUY,)))

    # Act
    refusal = check_mandate_side(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "MANDATE_SIDE mandate=mandate-1 side=sell allowed=buy"


def test_mandate_side_when_buy_only_mandate_sells_what_it_holds_reduce_only_then_passes() -> None:
    # Arrange
    ctx = guard_context(
        sell("0.02", reduce_only=True),
        portfolio=account(held=Decimal("0.02")),
        mandate=mandate(allowed_sides=(Side.BUY,)),
    )

    # Act / Assert
    assert check_mandate_side(ctx) is None


def test_mandate_budget_when_exposure_plus_order_within_budget_then_passes() -> None:
    # Arrange: budget 50,000, 49,000 used, order 1,000
    ctx = guard_context(mandate_exposure_usd=Decimal("49000"))

    # Act / Assert
    assert check_mandate_budget(ctx) is None


def test_mandate_budget_when_order_exceeds_budget_then_refused_with_numbers() -> None:
    # Arrange
    ctx = guard_context(mandate_exposure_usd=Decimal("49500"))

    # Act
    refusal = check_mandate_budget(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "MANDATE_BUDGET mandate=mandate-1 exposure=49500 order=1000 limit=50000"
    )


def test_mandate_budget_when_exposure_unknown_then_refused() -> None:
    refusal = check_mandate_budget(guard_context(mandate_exposure_usd=None))
    assert refusal is not None
    assert "exposure=unknown" in refusal.detail


def test_mandate_budget_when_over_budget_and_order_risk_reducing_then_passes() -> None:
    # Arrange
    ctx = guard_context(
        sell("0.02", reduce_only=True),
        portfolio=account(held=Decimal("0.1")),
        mandate_exposure_usd=Decimal("60000"),
    )

    # Act / Assert
    assert check_mandate_budget(ctx) is None


def test_mandate_guards_when_order_exceeds_budget_then_buy_is_refused() -> None:
    # Arrange: a plain buy is never exempt
    ctx = guard_context(buy("0.02"), mandate_exposure_usd=Decimal("60000"))

    # Act / Assert
    assert check_mandate_budget(ctx) is not None


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": MandateStatus.EXPIRED},
        {"status": MandateStatus.PAUSED},
        {"status": MandateStatus.REVOKED},
        {"valid_until": datetime(2024, 1, 1, 0, 30, tzinfo=UTC)},
        {"valid_from": datetime(2024, 6, 1, tzinfo=UTC)},
    ],
    ids=["expired", "paused", "revoked", "past-valid-until", "not-yet-valid"],
)
def test_mandate_guards_when_kill_switch_flattens_under_inactive_mandate_then_pass(
    overrides: dict[str, object],
) -> None:
    # Arrange: the latched switch's reduce-only close of 0.02 out of 0.05 held
    ctx = flattening_context(mandate=mandate(**overrides))

    # Act
    refusals = run_guards(ctx)

    # Assert: closing takes no new risk, so the mandate's status and validity do not stop it
    assert ctx.flattening
    assert refusals == []


def test_mandate_active_when_reduce_only_close_under_paused_mandate_then_passes() -> None:
    # Arrange
    ctx = guard_context(
        sell("0.02", reduce_only=True),
        portfolio=account(held=Decimal("0.05")),
        mandate=mandate(status=MandateStatus.PAUSED),
    )

    # Act / Assert
    assert check_mandate_active(ctx) is None


def test_mandate_active_when_paused_and_sell_is_not_reduce_only_then_refused() -> None:
    # Arrange: the same close without reduce-only could flip the position: new risk
    ctx = guard_context(
        sell("0.02"),
        portfolio=account(held=Decimal("0.05")),
        mandate=mandate(status=MandateStatus.PAUSED),
    )

    # Act
    refusal = check_mandate_active(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.MANDATE_INACTIVE


def test_mandate_active_when_flatten_under_another_mandate_id_then_refused() -> None:
    # Arrange: a mismatched mandate says nothing about this order: still fail closed
    ctx = flattening_context(mandate=mandate(mandate_id=MandateId("other")))

    # Act
    refusal = check_mandate_active(ctx)

    # Assert
    assert refusal is not None
    assert refusal.detail == "mandate=mandate-1 given_mandate=other"


def _stacked(held: str, order: OrderSpec, **working: Decimal) -> GuardContext:
    """Return a perpetual context where the mandate's window, day notional and strategy all
    refuse new risk, so only a risk-reducing order passes."""
    return guard_context(
        order,
        instrument=builders.instrument(kind=InstrumentKind.PERPETUAL),
        mandate=mandate(
            max_notional_usd=Decimal(50_000),
            max_position_usd=Decimal(25_000),
            trading_window=TradingWindow(days=("tue",)),
            max_day_notional_usd=Decimal(1),
            strategy_types=("ema_cross",),
        ),
        portfolio=account(held=Decimal(held)),
        mandate_day_notional_usd=Decimal(10**6),
        strategy_types=frozenset({"breakout"}),
        **working,
    )


@pytest.mark.parametrize(
    ("held", "order", "working", "reducing"),
    [
        ("0.05", sell("0.04", reduce_only=True), {"working_sell_quantity": Decimal("0.04")}, False),
        ("0.05", sell("0.01", reduce_only=True), {"working_sell_quantity": Decimal("0.04")}, True),
        ("-0.05", buy("0.04", reduce_only=True), {"working_buy_quantity": Decimal("0.04")}, False),
        ("-0.05", buy("0.01", reduce_only=True), {"working_buy_quantity": Decimal("0.04")}, True),
        # working orders on the other side do not close the position
        ("0.05", sell("0.04", reduce_only=True), {"working_buy_quantity": Decimal("0.04")}, True),
    ],
    ids=["long-flips", "long-fits", "short-flips", "short-fits", "other-side"],
)
def test_risk_reducing_when_working_orders_on_same_side_then_measured_net_of_them(
    held: str, order: OrderSpec, working: dict[str, Decimal], reducing: bool
) -> None:
    # Arrange
    ctx = _stacked(held, order, **working)

    # Act
    codes = {refusal.code for refusal in run_guards(ctx)}

    # Assert: a close that, with the closes already working, flips the position is new risk
    assert ctx.risk_reducing is reducing
    if reducing:
        assert codes == set()
    else:
        assert {
            Reason.MANDATE_WINDOW,
            Reason.MANDATE_DAY_NOTIONAL,
            Reason.MANDATE_STRATEGY,
        } <= codes
