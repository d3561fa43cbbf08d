"""Specs for the chain as a whole: run every guard, collect every refusal, fail closed."""

from __future__ import annotations

import ast
import inspect
from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest

from aiswarm.risk import guards
from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.guards import GUARDS, first_refusal, run_guards
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason, Refusal
from aiswarm.types import TradingState
from kit.builders import order_spec
from kit.guards import NOW_NS, SECOND_NS, account, buy, guard_context, market_view, sell


def _codes(refusals: list[Refusal]) -> list[Reason]:
    return [refusal.code for refusal in refusals]


def test_run_guards_when_order_within_every_limit_then_no_refusal() -> None:
    # Arrange: BUY 1,000 USDT on a flat 100,000 account
    ctx = guard_context()

    # Act
    refusals = run_guards(ctx)

    # Assert
    assert refusals == []
    assert first_refusal(ctx) is None


def test_run_guards_when_several_limits_broken_then_every_refusal_collected_in_chain_order() -> (
    None
):
    # Arrange: halted, stale data, too large for the order limit and the symbol limit
    ctx = guard_context(
        buy("0.3"),
        trading_state=TradingState.HALTED,
        market=market_view(updated_ns=NOW_NS - 60 * SECOND_NS),
        limits=RiskLimits(max_position_notional_usd=Decimal("5000")),
    )

    # Act
    refusals = run_guards(ctx)

    # Assert
    assert _codes(refusals) == [
        Reason.TRADING_HALTED,
        Reason.STALE_MARKET_DATA,
        Reason.ORDER_NOTIONAL_LIMIT,
        Reason.EXPOSURE_SYMBOL_LIMIT,
    ]
    assert first_refusal(ctx) == refusals[0]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"market": None}, Reason.UNKNOWN_PRICE),
        ({"market": market_view(mark=None)}, Reason.UNKNOWN_PRICE),
        ({"market": market_view(updated_ns=NOW_NS - 11 * SECOND_NS)}, Reason.STALE_MARKET_DATA),
        ({"portfolio": None}, Reason.UNKNOWN_ACCOUNT),
        ({"instrument": None}, Reason.UNKNOWN_INSTRUMENT),
        ({"market": market_view(liquidity_usd=None)}, Reason.LIQUIDITY_UNKNOWN),
        (
            {"portfolio": account(nav=Decimal("0"), peak_nav=Decimal("100000"))},
            Reason.LEVERAGE_UNDEFINED,
        ),
        ({"mandate": None}, Reason.MANDATE_INACTIVE),
        ({"mandate_exposure_usd": None}, Reason.MANDATE_BUDGET),
    ],
    ids=[
        "no-market",
        "no-mark",
        "stale",
        "unknown-account",
        "unknown-instrument",
        "unknown-liquidity",
        "nav-zero",
        "unknown-mandate",
        "unknown-mandate-exposure",
    ],
)
def test_run_guards_when_an_input_is_unknown_then_order_refused(
    overrides: dict[str, object], reason: Reason
) -> None:
    # Arrange
    ctx = guard_context(**overrides)

    # Act
    refusals = run_guards(ctx)

    # Assert
    assert reason in _codes(refusals)


def test_run_guards_when_kill_switch_flattens_breached_account_then_reduce_only_close_passes() -> (
    None
):
    # Arrange: latched, halted, 20% down, 5% lost today, over leverage and over budget
    portfolio = account(
        held=Decimal("2"),
        nav=Decimal("80000"),
        peak_nav=Decimal("100000"),
        daily_pnl=Decimal("-5000"),
    )
    ctx = guard_context(
        sell("2", reduce_only=True, limit_price=Decimal("50000")),
        portfolio=portfolio,
        limits=RiskLimits(flatten_on_trip=True, max_order_notional_usd=Decimal("100000")),
        trading_state=TradingState.HALTED,
        kill_switch_latched=True,
        mandate_exposure_usd=Decimal("100000"),
        market=market_view(liquidity_usd=Decimal("10000000")),
    )

    # Act
    refusals = run_guards(ctx)

    # Assert
    assert refusals == []


def test_run_guards_when_same_account_flattens_without_reduce_only_flag_then_refused() -> None:
    # Arrange: the same sell, not flagged reduce-only, while latched
    portfolio = account(held=Decimal("2"), nav=Decimal("80000"), peak_nav=Decimal("100000"))
    ctx = guard_context(
        sell("2"),
        portfolio=portfolio,
        limits=RiskLimits(flatten_on_trip=True),
        trading_state=TradingState.HALTED,
        kill_switch_latched=True,
    )

    # Act
    refusals = run_guards(ctx)

    # Assert
    assert {Reason.KILL_SWITCH_TRIPPED, Reason.TRADING_HALTED, Reason.DRAWDOWN_LIMIT} <= set(
        _codes(refusals)
    )


def test_run_guards_calls_exactly_the_guards_in_chain_order() -> None:
    # Arrange: run_guards writes the calls out for speed; they must be GUARDS, in order
    tree = ast.parse(inspect.getsource(guards.run_guards))

    # Act
    called = [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("check_")
    ]

    # Assert
    assert called == [guard.__name__ for guard in GUARDS]
    assert len(set(called)) == len(called)


def test_run_guards_when_compared_with_a_loop_over_guards_then_same_refusals() -> None:
    # Arrange
    ctx = guard_context(buy("0.3"), trading_state=TradingState.REDUCING, portfolio=None)

    # Act
    looped = [r for guard in GUARDS if (r := guard(ctx)) is not None]

    # Assert
    assert run_guards(ctx) == looped


def test_every_reason_is_produced_by_some_guard_test() -> None:
    # Arrange: each code must be reachable; the guard modules name the ones they return
    sources = "".join(inspect.getsource(inspect.getmodule(guard)) for guard in GUARDS)  # type: ignore[arg-type]

    # Act
    unused = [reason for reason in Reason if f"Reason.{reason.name}" not in sources]

    # Assert
    assert unused == []


def test_guard_context_when_assigned_then_refuses_change() -> None:
    # Arrange
    ctx = guard_context()

    # Act / Assert
    with pytest.raises(FrozenInstanceError):
        ctx.quantity = Decimal("100")  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del ctx.mark


def test_guard_context_when_constructed_directly_then_refused() -> None:
    with pytest.raises(TypeError, match=r"GuardContext\.build"):
        GuardContext()


def test_guard_context_when_built_then_derives_shared_facts() -> None:
    # Arrange: long 0.1, sell 0.04 reduce-only at 51,000 (above the 50,000 mark)
    spec = order_spec(
        side=sell("1").side,
        quantity=Decimal("0.04"),
        limit_price=Decimal("51000"),
        reduce_only=True,
    )

    # Act
    ctx = guard_context(spec, portfolio=account(held=Decimal("0.1")))

    # Assert
    assert ctx.mark == Decimal("50000")
    assert ctx.position_quantity == Decimal("0.1")
    assert ctx.shrinks_position
    assert ctx.risk_reducing
    assert ctx.order_notional_usd == Decimal("2040")
    assert ctx.symbol_notional_after_usd == Decimal("3000")
    assert ctx.gross_after_usd == Decimal("3000")
    assert ctx.net_after_usd == Decimal("3000")


def test_refusal_when_printed_then_reads_code_and_numbers() -> None:
    refusal = Refusal(Reason.EXPOSURE_SYMBOL_LIMIT, "position=4900 open=0 order=4900 limit=5000")
    assert str(refusal) == "EXPOSURE_SYMBOL_LIMIT position=4900 open=0 order=4900 limit=5000"


def test_reason_codes_are_their_own_names_so_they_stay_stable() -> None:
    assert all(reason.value == reason.name for reason in Reason)
