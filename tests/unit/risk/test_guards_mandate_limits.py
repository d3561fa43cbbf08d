"""Specs for a mandate's own limits: each refuses with its own reason code, alone.

Allocation (absolute: MANDATE_BUDGET, as a share of NAV: MANDATE_ALLOCATION), instrument
(MANDATE_SYMBOL), venue (MANDATE_VENUE), strategy type (MANDATE_STRATEGY), window
(MANDATE_WINDOW), per-day notional (MANDATE_DAY_NOTIONAL), leverage (MANDATE_LEVERAGE),
drawdown and daily loss. The order is the kit's 1,000 USDT buy (0.02 BTC at 50,000) on a
100,000 USDT account, judged at Monday 2024-01-01 01:00 UTC by the whole guard chain.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from aiswarm.risk.guards import run_guards
from aiswarm.risk.refusals import Reason
from aiswarm.types import Side, Symbol, TradingWindow, VenueId
from kit.builders import mandate
from kit.guards import account, guard_context, sell

ROOMY = {"max_notional_usd": Decimal(50_000), "max_position_usd": Decimal(25_000)}
EMA = frozenset({"ema_cross"})


def _codes(mandate_fields: dict[str, Any], **context: Any) -> list[Reason]:
    """Return the codes the whole chain refuses the kit's buy with, under this mandate."""
    fields: dict[str, Any] = {"strategy_types": EMA, "mandate_day_notional_usd": Decimal(0)}
    fields |= context
    ctx = guard_context(mandate=mandate(**(ROOMY | mandate_fields)), **fields)
    return [refusal.code for refusal in run_guards(ctx)]


@pytest.mark.parametrize(
    ("mandate_fields", "context", "code"),
    [
        ({"max_notional_usd": Decimal(1_500)}, {"mandate_exposure_usd": Decimal(600)},
         Reason.MANDATE_BUDGET),
        ({"max_allocation_frac": Decimal("0.015")}, {"mandate_exposure_usd": Decimal(600)},
         Reason.MANDATE_ALLOCATION),
        ({"symbols": (Symbol("ETH/USDT"),)}, {}, Reason.MANDATE_SYMBOL),
        ({"venues": (VenueId("kraken"),)}, {}, Reason.MANDATE_VENUE),
        ({"strategy_types": ("momentum",)}, {}, Reason.MANDATE_STRATEGY),
        ({"trading_window": TradingWindow(days=("tue", "wed"))}, {}, Reason.MANDATE_WINDOW),
        ({"trading_window": TradingWindow(start="08:00", end="20:00")}, {},
         Reason.MANDATE_WINDOW),
        ({"max_day_notional_usd": Decimal(20_000)},
         {"mandate_day_notional_usd": Decimal("19000.01")}, Reason.MANDATE_DAY_NOTIONAL),
        ({"max_leverage": Decimal("0.5")},
         {"portfolio": account(gross_exposure=Decimal(49_500), net_exposure=Decimal(49_500))},
         Reason.MANDATE_LEVERAGE),
        ({"max_drawdown_frac": Decimal("0.02")},
         {"portfolio": account(peak_nav=Decimal(102_100))}, Reason.MANDATE_DRAWDOWN),
        ({"max_daily_loss_frac": Decimal("0.01")},
         {"portfolio": account(daily_pnl=Decimal(-1_100))}, Reason.MANDATE_DAILY_LOSS),
    ],
    ids=[
        "allocation-absolute", "allocation-share", "instrument", "venue", "strategy-type",
        "window-day", "window-hours", "day-notional", "leverage", "drawdown", "daily-loss",
    ],
)  # fmt: skip
def test_chain_when_order_breaks_one_mandate_limit_then_refused_with_its_code_alone(
    mandate_fields: dict[str, Any], context: dict[str, Any], code: Reason
) -> None:
    # Act
    codes = _codes(mandate_fields, **context)

    # Assert
    assert codes == [code]


@pytest.mark.parametrize(
    ("mandate_fields", "context"),
    [
        ({"max_notional_usd": Decimal(1_600)}, {"mandate_exposure_usd": Decimal(600)}),
        ({"max_allocation_frac": Decimal("0.016")}, {"mandate_exposure_usd": Decimal(600)}),
        ({"strategy_types": ("ema_cross", "momentum")}, {}),
        ({"trading_window": TradingWindow(days=("mon",), start="01:00", end="01:01")}, {}),
        ({"max_day_notional_usd": Decimal(20_000)}, {"mandate_day_notional_usd": Decimal(19_000)}),
        ({"max_leverage": Decimal("0.5")},
         {"portfolio": account(gross_exposure=Decimal(49_000), net_exposure=Decimal(49_000))}),
        ({"max_drawdown_frac": Decimal("0.02")}, {"portfolio": account(peak_nav=Decimal(102_000))}),
        ({"max_daily_loss_frac": Decimal("0.01")},
         {"portfolio": account(daily_pnl=Decimal(-1_000))}),
    ],
    ids=[
        "allocation-absolute", "allocation-share", "strategy-type", "window", "day-notional",
        "leverage", "drawdown", "daily-loss",
    ],
)  # fmt: skip
def test_chain_when_order_exactly_at_mandate_limit_then_passes(
    mandate_fields: dict[str, Any], context: dict[str, Any]
) -> None:
    # Act / Assert
    assert _codes(mandate_fields, **context) == []


@pytest.mark.parametrize(
    ("context", "code"),
    [
        ({"strategy_types": None}, Reason.MANDATE_STRATEGY),
        ({"strategy_types": frozenset()}, Reason.MANDATE_STRATEGY),
        ({"mandate_day_notional_usd": None}, Reason.MANDATE_DAY_NOTIONAL),
        ({"mandate_exposure_usd": None}, Reason.MANDATE_ALLOCATION),
    ],
    ids=["strategy-unknown", "strategy-none", "sent-today-unknown", "exposure-unknown"],
)
def test_chain_when_input_a_mandate_limit_needs_is_unknown_then_refused(
    context: dict[str, Any], code: Reason
) -> None:
    # Arrange: a mandate that limits all three
    limits = {
        "strategy_types": ("ema_cross",),
        "max_day_notional_usd": Decimal(20_000),
        "max_allocation_frac": Decimal("0.5"),
    }

    # Act
    codes = _codes(limits, **context)

    # Assert
    assert code in codes


def test_chain_when_risk_reducing_order_breaks_mandate_budget_then_passes() -> None:
    # Arrange: a reduce-only sell of part of a 0.05 BTC holding, outside the window, over
    # every budget, from an unknown strategy
    tight = {
        "trading_window": TradingWindow(days=("tue",)),
        "strategy_types": ("momentum",),
        "max_allocation_frac": Decimal("0.001"),
        "max_day_notional_usd": Decimal(1),
        "max_leverage": Decimal("0.001"),
        "max_drawdown_frac": Decimal("0.001"),
        "max_daily_loss_frac": Decimal("0.001"),
    }
    ctx = guard_context(
        sell("0.02", reduce_only=True),
        mandate=mandate(**(ROOMY | tight)),
        portfolio=account(held=Decimal("0.05"), peak_nav=Decimal(110_000), daily_pnl=Decimal(-5)),
        strategy_types=None,
        mandate_day_notional_usd=Decimal(1_000_000),
    )

    # Act
    refusals = run_guards(ctx)

    # Assert: the kill switch and the strategy that bought can always close
    assert refusals == []


def test_chain_when_buy_only_mandate_sells_short_then_side_refused() -> None:
    # Act
    codes = [
        refusal.code
        for refusal in run_guards(
            guard_context(
                sell("0.02"),
                mandate=mandate(**ROOMY, allowed_sides=(Side.BUY,)),
            )
        )
    ]

    # Assert
    assert Reason.MANDATE_SIDE in codes
