"""Specs for exposure and loss guards: symbol, gross, net, leverage, drawdown, daily loss."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.risk.guards_exposure import (
    check_daily_loss,
    check_drawdown,
    check_gross_exposure,
    check_leverage,
    check_net_exposure,
    check_symbol_exposure,
)
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason
from aiswarm.risk.views import ActivitySnapshot
from kit.builders import SYMBOL, mandate
from kit.guards import account, buy, guard_context, sell

NEAR_LIMIT = Decimal("0.098")  # 4,900 USDT at the 50,000 mark
SYMBOL_LIMIT = RiskLimits(max_position_notional_usd=Decimal("5000"))


def test_symbol_exposure_when_near_limit_and_small_order_then_passes() -> None:
    # Arrange: 4,900 held, limit 5,000, buy 50
    ctx = guard_context(buy("0.001"), portfolio=account(held=NEAR_LIMIT), limits=SYMBOL_LIMIT)

    # Act / Assert
    assert check_symbol_exposure(ctx) is None


def test_symbol_exposure_when_near_limit_and_order_crosses_it_then_refused_with_numbers() -> None:
    # Arrange: 4,900 held, limit 5,000, buy 200
    ctx = guard_context(buy("0.004"), portfolio=account(held=NEAR_LIMIT), limits=SYMBOL_LIMIT)

    # Act
    refusal = check_symbol_exposure(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "EXPOSURE_SYMBOL_LIMIT position=4900 open=0 order=200 after=5100 limit=5000"
    )


def test_symbol_exposure_when_resting_orders_fill_the_room_then_refused() -> None:
    # Arrange: 4,900 held + 90 resting + 50 order > 5,000
    activity = ActivitySnapshot(open_notional_by_symbol={SYMBOL: Decimal("90")})
    ctx = guard_context(
        buy("0.001"), portfolio=account(held=NEAR_LIMIT), limits=SYMBOL_LIMIT, activity=activity
    )

    # Act
    refusal = check_symbol_exposure(ctx)

    # Assert
    assert refusal is not None
    assert "open=90" in refusal.detail


def test_symbol_exposure_when_mandate_cap_is_lower_then_mandate_cap_applies() -> None:
    # Arrange: config allows 25,000 but the mandate only 1,000
    ctx = guard_context(buy("0.03"), mandate=mandate(max_position_usd=Decimal("1000")))

    # Act
    refusal = check_symbol_exposure(ctx)

    # Assert
    assert refusal is not None
    assert refusal.detail.endswith("limit=1000")


def test_symbol_exposure_when_reduce_only_order_shrinks_breached_position_then_passes() -> None:
    # Arrange: 10,000 held against a 5,000 limit; a reduce-only sell of 2,500
    ctx = guard_context(
        sell("0.05", reduce_only=True), portfolio=account(held=Decimal("0.2")), limits=SYMBOL_LIMIT
    )

    # Act / Assert
    assert check_symbol_exposure(ctx) is None


def test_gross_exposure_when_after_order_within_limit_then_passes() -> None:
    ctx = guard_context(portfolio=account(gross_exposure=Decimal("149000")))
    assert check_gross_exposure(ctx) is None


def test_gross_exposure_when_resting_orders_push_it_over_then_refused() -> None:
    # Arrange: 149,000 gross + 500 resting + 1,000 order > 150,000
    activity = ActivitySnapshot(open_notional_by_symbol={SYMBOL: Decimal("500")})
    ctx = guard_context(portfolio=account(gross_exposure=Decimal("149000")), activity=activity)

    # Act
    refusal = check_gross_exposure(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "GROSS_EXPOSURE_LIMIT gross=149000 open=500 after=150500 limit=150000"


def test_net_exposure_when_short_side_breaches_then_refused() -> None:
    # Arrange: net -99,500, sell 1,000 more -> |-100,500| > 100,000
    ctx = guard_context(sell("0.02"), portfolio=account(net_exposure=Decimal("-99500")))

    # Act
    refusal = check_net_exposure(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "NET_EXPOSURE_LIMIT net=-99500 after=-100500 limit=100000"


def test_net_exposure_when_order_offsets_net_then_passes() -> None:
    ctx = guard_context(buy("0.02"), portfolio=account(net_exposure=Decimal("-100500")))
    assert check_net_exposure(ctx) is None


def test_leverage_when_gross_after_order_above_limit_times_nav_then_refused() -> None:
    # Arrange: NAV 100,000, limit 1.5x, gross 149,500 + 1,000 = 150,500
    limits = RiskLimits(max_gross_exposure_usd=Decimal("1000000"))
    ctx = guard_context(portfolio=account(gross_exposure=Decimal("149500")), limits=limits)

    # Act
    refusal = check_leverage(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "LEVERAGE_LIMIT gross_after=150500 nav=100000 leverage=1.505 limit=1.5"


def test_leverage_when_within_limit_then_passes() -> None:
    ctx = guard_context(portfolio=account(gross_exposure=Decimal("149000")))
    assert check_leverage(ctx) is None


@pytest.mark.parametrize("nav", ["0", "-10"])
def test_leverage_when_nav_not_positive_then_refused_as_undefined(nav: str) -> None:
    # Arrange
    portfolio = account(nav=Decimal(nav), peak_nav=Decimal("100000"))

    # Act
    refusal = check_leverage(guard_context(portfolio=portfolio))

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.LEVERAGE_UNDEFINED
    assert f"nav={nav}" in refusal.detail


def test_leverage_when_nav_not_positive_and_order_risk_reducing_then_passes() -> None:
    # Arrange
    portfolio = account(held=Decimal("0.1"), nav=Decimal("0"), peak_nav=Decimal("100000"))
    ctx = guard_context(sell("0.1", reduce_only=True), portfolio=portfolio)

    # Act / Assert
    assert check_leverage(ctx) is None


def test_drawdown_when_below_limit_then_passes() -> None:
    portfolio = account(nav=Decimal("90001"), peak_nav=Decimal("100000"))
    assert check_drawdown(guard_context(portfolio=portfolio)) is None


def test_drawdown_when_at_limit_then_refused_with_numbers() -> None:
    # Arrange: 10% down, limit 10%
    portfolio = account(nav=Decimal("90000"), peak_nav=Decimal("100000"))

    # Act
    refusal = check_drawdown(guard_context(portfolio=portfolio))

    # Assert
    assert refusal is not None
    assert str(refusal) == "DRAWDOWN_LIMIT drawdown=0.1 nav=90000 peak_nav=100000 limit=0.1"


def test_drawdown_when_peak_not_positive_then_refused_as_undefined() -> None:
    portfolio = account(cash=Decimal("0"), nav=Decimal("0"), peak_nav=Decimal("0"))
    refusal = check_drawdown(guard_context(portfolio=portfolio))
    assert refusal is not None
    assert refusal.detail.endswith("drawdown=undefined")


def test_drawdown_when_breached_and_order_risk_reducing_then_passes() -> None:
    # Arrange
    portfolio = account(held=Decimal("0.1"), nav=Decimal("80000"), peak_nav=Decimal("100000"))
    ctx = guard_context(sell("0.1", reduce_only=True), portfolio=portfolio)

    # Act / Assert
    assert check_drawdown(ctx) is None


def test_drawdown_when_breached_and_shrinking_order_not_flagged_reduce_only_then_refused() -> None:
    # Arrange: only the reduce-only flag makes the venue guarantee it cannot grow the position
    portfolio = account(held=Decimal("0.1"), nav=Decimal("80000"), peak_nav=Decimal("100000"))
    ctx = guard_context(sell("0.1"), portfolio=portfolio)

    # Act / Assert
    assert check_drawdown(ctx) is not None


def test_daily_loss_when_loss_below_limit_then_passes() -> None:
    # Arrange: opened at 100,000, now 97,100: 2.9% < 3%
    portfolio = account(nav=Decimal("97100"), daily_pnl=Decimal("-2900"))
    assert check_daily_loss(guard_context(portfolio=portfolio)) is None


def test_daily_loss_when_loss_reaches_limit_then_refused_with_numbers() -> None:
    # Arrange: opened at 100,000, now 97,000: 3%
    portfolio = account(nav=Decimal("97000"), daily_pnl=Decimal("-3000"))

    # Act
    refusal = check_daily_loss(guard_context(portfolio=portfolio))

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "DAILY_LOSS_LIMIT daily_loss=0.03 daily_pnl=-3000 start_of_day_nav=100000 limit=0.03"
    )


def test_daily_loss_when_day_opened_without_capital_then_refused_as_undefined() -> None:
    portfolio = account(nav=Decimal("-5"), peak_nav=Decimal("100"), daily_pnl=Decimal("-5"))
    refusal = check_daily_loss(guard_context(portfolio=portfolio))
    assert refusal is not None
    assert refusal.detail.endswith("daily_loss=undefined")


def test_daily_loss_when_breached_and_order_risk_reducing_then_passes() -> None:
    # Arrange
    portfolio = account(held=Decimal("0.1"), nav=Decimal("95000"), daily_pnl=Decimal("-5000"))
    ctx = guard_context(sell("0.05", reduce_only=True), portfolio=portfolio)

    # Act / Assert
    assert check_daily_loss(ctx) is None
