"""Specs for the allocator: Kelly closed form, caps, prices, rounding, minimums, order shape."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from aiswarm.portfolio import (
    AllocationMode,
    AllocatorConfig,
    NoOrder,
    NoOrderReason,
    full_kelly,
    size,
)
from aiswarm.types import Direction, InstrumentKind, OrderIntent, OrderType, Side, Signal, Symbol
from kit.builders import ACCOUNT, SYMBOL, T0, instrument, mandate, signal

MARK = Decimal("50000")
NAV = Decimal("100000")
ROOMY = Decimal("1000000")  # a cap far above anything the tests size
PERP = instrument(kind=InstrumentKind.PERPETUAL)


@dataclass(frozen=True, slots=True)
class _Decision:
    """The three fields the allocator reads from an arbitration decision."""

    symbol: Symbol
    direction: Direction | None
    winning_signal: Signal | None


def _decision(direction: Direction | None, **evidence: float | str) -> _Decision:
    """Return a decision on SYMBOL whose winning signal has confidence 0.6 and ``evidence``."""
    return _Decision(SYMBOL, direction, signal(confidence=0.6, evidence=evidence))


def _size(decision: _Decision, **overrides: Any) -> OrderIntent | NoOrder:
    """Size ``decision`` on a perpetual with roomy caps; override any argument of ``size``."""
    arguments: dict[str, Any] = {
        "mark": MARK,
        "position": Decimal(0),
        "open_order_quantity": Decimal(0),
        "working_sell_quantity": Decimal(0),
        "nav": NAV,
        "instrument": PERP,
        "mandate": mandate(max_position_usd=ROOMY, max_notional_usd=ROOMY),
        "limit_position_notional_usd": ROOMY,
        "config": AllocatorConfig(max_position_frac_of_nav=None),
        "ts_event": T0,
        "account": ACCOUNT,
        "reason": "spec",
    }
    return size(decision, **(arguments | overrides))


def _order(result: OrderIntent | NoOrder) -> OrderIntent:
    """Return ``result`` as an order, failing the test with the reason when it is not one."""
    assert isinstance(result, OrderIntent), str(result)
    return result


def _fixed(quantity: str, **fields: Any) -> AllocatorConfig:
    """Return a fixed-quantity config with no NAV cap."""
    return AllocatorConfig(
        mode=AllocationMode.FIXED_QUANTITY,
        fixed_quantity=Decimal(quantity),
        max_position_frac_of_nav=None,
        **fields,
    )


# Kelly closed form


@pytest.mark.parametrize(
    ("p", "b", "expected"),
    [(0.6, 1.0, 0.2), (0.5, 2.0, 0.25), (0.4, 1.0, -0.2), (1.0, 3.0, 1.0), (0.5, 1.0, 0.0)],
)
def test_full_kelly_when_hand_cases_then_matches_closed_form(
    p: float, b: float, expected: float
) -> None:
    # Act / Assert
    assert full_kelly(p, b) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(("p", "b"), [(1.5, 1.0), (-0.1, 1.0), (0.5, 0.0), (0.5, float("inf"))])
def test_full_kelly_when_inputs_out_of_range_then_refused(p: float, b: float) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="expected"):
        full_kelly(p, b)


def test_kelly_when_loss_is_two_percent_then_quarter_kelly_of_nav_is_put_at_risk() -> None:
    # Arrange: f* = 0.2, x 0.25 = 5% of 100,000 = 5,000 USD at risk; losing 2% of the position,
    # that is 250,000 USD of notional = 5 BTC at 50,000
    decision = _decision(Direction.LONG, payoff_ratio=1.0, avg_loss=0.02)

    # Act
    order = _order(_size(decision))

    # Assert
    assert order.side is Side.BUY
    assert order.quantity == Decimal("5")
    assert order.order_type is OrderType.MARKET
    assert not order.reduce_only
    assert "kelly p=0.6 b=1 f*=0.2 x 0.25 = 0.05 of nav at risk" in order.reason
    assert "avg_loss=0.02" in order.reason


def test_kelly_when_loss_is_the_whole_position_then_notional_is_the_kelly_fraction() -> None:
    # Arrange: f* = 0.25, x 0.5 = 12.5% of 100,000 = 12,500 USD = 0.25 BTC: losing everything
    decision = _Decision(
        SYMBOL,
        Direction.LONG,
        signal(confidence=0.5, evidence={"payoff_ratio": 2, "avg_loss": 1.0}),
    )
    config = AllocatorConfig(kelly_fraction=0.5, max_position_frac_of_nav=None)

    # Act
    order = _order(_size(decision, config=config))

    # Assert
    assert order.quantity == Decimal("0.25")


def test_kelly_when_signal_has_a_stop_then_sized_by_the_stop_not_the_average_loss() -> None:
    # Arrange: 5,000 USD at risk with a stop 1% away = 500,000 USD = 10 BTC (avg_loss would
    # give 5)
    decision = _decision(Direction.LONG, payoff_ratio=1.0, avg_loss=0.02, stop_distance_frac=0.01)

    # Act
    order = _order(_size(decision))

    # Assert
    assert order.quantity == Decimal("10")
    assert "stop_distance_frac=0.01" in order.reason


def test_kelly_when_worked_example_of_the_docs_then_nav_cap_binds_as_written() -> None:
    # Arrange: docs/allocation.md, "Worked example": 36 of 60 calls won, avg win 0.45%, avg
    # loss 0.30%, NAV 100,000, BTC at 7,000, quarter Kelly, the default 20% NAV cap
    evidence = {"payoff_ratio": 0.0045 / 0.003, "avg_loss": 0.003}
    decision = _Decision(SYMBOL, Direction.LONG, signal(confidence=37 / 62, evidence=evidence))

    # Act
    order = _order(_size(decision, mark=Decimal(7000), config=AllocatorConfig()))

    # Assert
    assert order.quantity == Decimal("2.85714")
    assert "f*=0.327957 x 0.25 = 0.081989247312 of nav at risk" in order.reason
    assert "8198.924731200000 usd at risk of nav 100000 / 0.003 = 2732974.910400000 usd" in (
        order.reason
    )
    assert "(max_position_frac_of_nav x nav)" in order.reason


def test_kelly_when_short_on_perpetual_then_sells_the_same_size() -> None:
    # Act
    order = _order(_size(_decision(Direction.SHORT, payoff_ratio=1.0, avg_loss=0.02)))

    # Assert
    assert order.side is Side.SELL
    assert order.quantity == Decimal("5")


@pytest.mark.parametrize(
    "evidence",
    [
        {"payoff_ratio": 1.0, "avg_loss": 0.02, "wins": 4},
        {"avg_loss": 0.02},
        {"payoff_ratio": "n/a", "avg_loss": 0.02},
        {"payoff_ratio": -1.0, "avg_loss": 0.02},
    ],
    ids=["negative_edge", "no_payoff_ratio", "text_payoff_ratio", "negative_payoff_ratio"],
)
def test_kelly_when_no_edge_then_no_order(evidence: dict[str, float | str]) -> None:
    # Arrange: p = 0.4 with b = 1 gives f* = -0.2
    decision = _Decision(SYMBOL, Direction.LONG, signal(confidence=0.4, evidence=evidence))

    # Act
    result = _size(decision)

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.NO_EDGE
    assert "no edge" in result.detail


@pytest.mark.parametrize(
    ("evidence", "named"),
    [
        ({"payoff_ratio": 1.0}, "avg_loss=None"),
        ({"payoff_ratio": 1.0, "avg_loss": 0.0}, "avg_loss=0.0"),
        ({"payoff_ratio": 1.0, "avg_loss": "n/a"}, "avg_loss='n/a'"),
        ({"payoff_ratio": 1.0, "avg_loss": 0.02, "stop_distance_frac": -0.01}, "stop_distance"),
    ],
    ids=["no_avg_loss", "zero_avg_loss", "text_avg_loss", "negative_stop"],
)
def test_kelly_when_edge_but_no_measured_loss_then_no_order_naming_it(
    evidence: dict[str, float | str], named: str
) -> None:
    # Act
    result = _size(_Decision(SYMBOL, Direction.LONG, signal(confidence=0.6, evidence=evidence)))

    # Assert: fail closed, never a default loss
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.NO_EXPECTED_LOSS
    assert named in result.detail


def test_kelly_when_no_edge_and_already_long_then_position_kept() -> None:
    # Act: an exit comes only from FLAT or a flip, not from the edge shrinking
    result = _size(_decision(Direction.LONG), position=Decimal("0.3"))

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.NO_EDGE


def test_kelly_when_no_edge_and_short_against_a_long_decision_then_short_closed_only() -> None:
    # Act
    order = _order(_size(_decision(Direction.LONG), position=Decimal("-0.3")))

    # Assert
    assert order.side is Side.BUY
    assert order.quantity == Decimal("0.3")
    assert order.reduce_only


# Caps


@pytest.mark.parametrize(
    ("overrides", "quantity", "binding"),
    [
        (
            {"config": AllocatorConfig(max_position_frac_of_nav=Decimal("0.02"))},
            "0.04",
            "max_position_frac_of_nav x nav",
        ),
        (
            {"mandate": mandate(max_position_usd=Decimal("1000"), max_notional_usd=ROOMY)},
            "0.02",
            "mandate max_position_usd",
        ),
        (
            {"mandate": mandate(max_position_usd=ROOMY, max_notional_usd=Decimal("750"))},
            "0.015",
            "mandate max_notional_usd",
        ),
        ({"limit_position_notional_usd": Decimal("500")}, "0.01", "risk max_position_notional_usd"),
    ],
)
def test_kelly_when_a_cap_is_below_kelly_size_then_cap_binds(
    overrides: dict[str, Any], quantity: str, binding: str
) -> None:
    # Arrange: uncapped Kelly would be 5 BTC
    decision = _decision(Direction.LONG, payoff_ratio=1.0, avg_loss=0.02)

    # Act
    order = _order(_size(decision, **overrides))

    # Assert
    assert order.quantity == Decimal(quantity)
    assert f"({binding})" in order.reason


@pytest.mark.parametrize("nav", [Decimal(0), Decimal(-5000)])
def test_kelly_when_nav_not_positive_then_nothing_opened(nav: Decimal) -> None:
    # Arrange
    config = AllocatorConfig(max_position_frac_of_nav=Decimal("0.5"))

    # Act
    result = _size(
        _decision(Direction.LONG, payoff_ratio=1.0, avg_loss=0.02), nav=nav, config=config
    )

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.AT_TARGET


def test_long_when_position_above_cap_then_never_sold_to_meet_it() -> None:
    # Act: 0.5 BTC held = 25,000 USD, the risk limit is 10,000
    result = _size(
        _decision(Direction.LONG, payoff_ratio=1.0, avg_loss=0.02),
        position=Decimal("0.5"),
        limit_position_notional_usd=Decimal("10000"),
    )

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.AT_TARGET


def test_long_when_position_above_target_then_not_trimmed() -> None:
    # Act
    result = _size(_decision(Direction.LONG), position=Decimal("2"), config=_fixed("1"))

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.AT_TARGET


# Price


@pytest.mark.parametrize("mark", [None, Decimal(0), Decimal(-1)])
def test_size_when_no_positive_mark_then_no_order_no_price(mark: Decimal | None) -> None:
    # Act
    result = _size(_decision(Direction.LONG, payoff_ratio=1.0, avg_loss=0.02), mark=mark)

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.NO_PRICE
    assert str(result) == f"NO_PRICE no price: mark={mark} for BTC/USDT"


def test_size_when_mark_is_a_float_then_refused() -> None:
    # Act / Assert
    with pytest.raises(TypeError, match=r"mark=50000\.0 is a float"):
        _size(_decision(Direction.LONG), mark=50000.0)


def test_limit_when_offset_then_buy_below_and_sell_above_the_mark() -> None:
    # Arrange
    config = _fixed("1", order_type=OrderType.LIMIT, limit_offset_ticks=3)

    # Act
    buy = _order(_size(_decision(Direction.LONG), config=config))
    sell = _order(_size(_decision(Direction.FLAT), config=config, position=Decimal(1)))

    # Assert
    assert buy.limit_price == Decimal("49999.97")
    assert sell.limit_price == Decimal("50000.03")


# Rounding and minimums


def test_fixed_notional_when_quantity_off_step_then_rounded_down() -> None:
    # Arrange: 1,000 USD at 30,000 = 0.0333... BTC; step 0.00001
    config = AllocatorConfig(
        mode=AllocationMode.FIXED_NOTIONAL,
        fixed_notional_usd=Decimal("1000"),
        max_position_frac_of_nav=None,
    )

    # Act
    order = _order(_size(_decision(Direction.LONG), config=config, mark=Decimal("30000")))

    # Assert
    assert order.quantity == Decimal("0.03333")


def test_size_when_below_min_quantity_then_no_order_naming_numbers() -> None:
    # Act: 0.00005 BTC, min 0.0001
    result = _size(_decision(Direction.LONG), config=_fixed("0.00005"))

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.BELOW_MINIMUM
    assert "quantity=0.00005 is below min_quantity=0.0001" in result.detail


def test_size_when_below_min_notional_then_no_order_naming_numbers() -> None:
    # Act: 0.0001 BTC at 30,000 = 3 USDT, min 5
    result = _size(_decision(Direction.LONG), config=_fixed("0.0001"), mark=Decimal("30000"))

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.BELOW_MINIMUM
    assert "is below min_notional=5" in result.detail


# Order = target - position - open orders


def test_size_when_position_and_open_orders_then_orders_only_the_difference() -> None:
    # Arrange: target 1, held 0.3, working buy 0.2
    held, working = Decimal("0.3"), Decimal("0.2")

    # Act
    order = _order(
        _size(
            _decision(Direction.LONG),
            config=_fixed("1"),
            position=held,
            open_order_quantity=working,
        )
    )

    # Assert
    assert order.side is Side.BUY
    assert order.quantity == Decimal("0.5")


def test_flat_when_long_then_reduce_only_sell_of_the_position() -> None:
    # Act
    order = _order(_size(_decision(Direction.FLAT), position=Decimal("0.7")))

    # Assert
    assert order.side is Side.SELL
    assert order.quantity == Decimal("0.7")
    assert order.reduce_only


def test_flip_when_long_to_short_then_one_order_through_zero_not_reduce_only() -> None:
    # Act
    order = _order(_size(_decision(Direction.SHORT), position=Decimal(1), config=_fixed("1")))

    # Assert
    assert order.side is Side.SELL
    assert order.quantity == Decimal(2)
    assert not order.reduce_only


@pytest.mark.parametrize(
    ("direction", "position", "working", "selling", "reduce_only"),
    [
        # 0.6 selling already, 0.9 more to reach -0.5: together they flip the long
        (Direction.SHORT, "1", "-0.6", "0.6", False),
        # flat: 0.95 more beside the 0.05 working closes exactly what is held
        (Direction.FLAT, "1", "-0.05", "0.05", True),
        # a short with 0.6 buying already, 0.9 more to reach +0.5
        (Direction.LONG, "-1", "0.6", "0", False),
    ],
    ids=["long-working-sell", "long-flat", "short-working-buy"],
)
def test_size_when_working_orders_on_same_side_then_reduce_only_net_of_them(
    direction: Direction, position: str, working: str, selling: str, reduce_only: bool
) -> None:
    # Act
    order = _order(
        _size(
            _decision(direction),
            position=Decimal(position),
            open_order_quantity=Decimal(working),
            working_sell_quantity=Decimal(selling),
            config=_fixed("0.5"),
        )
    )

    # Assert: reduce-only only when, with the working orders on its side, it closes no more
    # than is held (as the guard chain counts a close)
    assert abs(order.quantity) <= 1
    assert order.reduce_only is reduce_only


# Long-only


def test_long_only_when_short_and_long_then_closes_the_long() -> None:
    # Act
    order = _order(
        _size(_decision(Direction.SHORT), position=Decimal(1), config=_fixed("1", long_only=True))
    )

    # Assert
    assert order.side is Side.SELL
    assert order.quantity == Decimal(1)
    assert order.reduce_only


def test_long_only_when_short_and_flat_then_no_order() -> None:
    # Act
    result = _size(_decision(Direction.SHORT), config=_fixed("1", long_only=True))

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.AT_TARGET
    assert "short on a long-only account: target 0" in result.detail


def test_spot_when_short_then_treated_as_long_only() -> None:
    # Act
    result = _size(_decision(Direction.SHORT), config=_fixed("1"), instrument=instrument())

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.AT_TARGET


def test_long_only_when_flat_with_a_working_buy_then_never_sells_what_is_not_held() -> None:
    # Act
    result = _size(
        _decision(Direction.FLAT),
        config=_fixed("1", long_only=True),
        open_order_quantity=Decimal(1),
    )

    # Assert
    assert isinstance(result, NoOrder)


def test_long_only_exit_when_sells_and_buys_work_then_sells_only_what_the_guard_allows() -> None:
    # Arrange: the shipped paper run's refused exit (ETH/USD, 2018-04-04 07:10): 16.41 held,
    # a 7.13 buy and a 3.87 sell working (net +3.25). The spot guard passes a sell only while
    # it fits in the holding beside every working sell: 16.41 - 3.87 = 12.54.
    held, buying, selling = Decimal("16.41422391"), Decimal("7.12791937"), Decimal("3.87378759")
    spot = instrument(kind=InstrumentKind.SPOT, step_size=Decimal("0.00000001"))

    # Act
    order = _order(
        _size(
            _decision(Direction.FLAT),
            instrument=spot,
            position=held,
            open_order_quantity=buying - selling,
            working_sell_quantity=selling,
        )
    )

    # Assert
    assert order.side is Side.SELL
    assert order.quantity == held - selling
    assert selling + order.quantity <= held  # what check_spot_holding asks


def test_long_only_exit_when_working_sells_cover_the_holding_then_no_order() -> None:
    # Act
    result = _size(
        _decision(Direction.FLAT),
        instrument=instrument(kind=InstrumentKind.SPOT),
        position=Decimal(2),
        open_order_quantity=Decimal(1) - Decimal(2),
        working_sell_quantity=Decimal(2),
    )

    # Assert
    assert isinstance(result, NoOrder)


# Fixed quantity: the benchmark's path


def test_fixed_quantity_when_long_flat_cycle_then_buy_hold_sell_hold() -> None:
    # Arrange: EMA long-only cross, 1 BTC market orders, on spot
    config = _fixed("1", long_only=True)
    steps = [Direction.LONG, Direction.LONG, Direction.FLAT, Direction.FLAT, Direction.LONG]
    held = Decimal(0)
    actions: list[str] = []

    # Act
    for direction in steps:
        result = _size(_decision(direction), position=held, config=config, instrument=instrument())
        if isinstance(result, OrderIntent):
            held += result.quantity * result.side.sign
            actions.append(
                f"{result.side} {result.quantity.normalize()} reduce_only={result.reduce_only}"
            )
        else:
            actions.append(result.reason)

    # Assert
    assert actions == [
        "buy 1 reduce_only=False",
        "at_target",
        "sell 1 reduce_only=True",
        "at_target",
        "buy 1 reduce_only=False",
    ]


def test_fixed_quantity_when_mandate_cap_below_quantity_then_capped() -> None:
    # Act: 1 BTC wanted, the mandate allows 25,000 USD = 0.5 BTC
    order = _order(
        _size(
            _decision(Direction.LONG),
            config=_fixed("1"),
            mandate=mandate(max_position_usd=Decimal("25000"), max_notional_usd=ROOMY),
        )
    )

    # Assert
    assert order.quantity == Decimal("0.5")


# Decisions and intents


def test_size_when_no_decision_then_no_order() -> None:
    # Act
    result = _size(_decision(None))

    # Assert
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.NO_DECISION


def test_size_when_instrument_of_another_symbol_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=r"instrument\.symbol=ETH/USDT but decision\.symbol=BTC"):
        _size(_decision(Direction.LONG), instrument=instrument(symbol=Symbol("ETH/USDT")))


def test_size_when_order_then_intent_carries_mandate_account_venue_and_time() -> None:
    # Act
    order = _order(_size(_decision(Direction.LONG), config=_fixed("1")))

    # Assert
    assert (order.mandate_id, order.account, order.venue, order.ts_event) == (
        "mandate-1",
        ACCOUNT,
        "binance",
        T0,
    )
    assert order.reason.startswith("spec; long target=1 position=0 open=0; fixed quantity 1")


# Config


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "fixed_quantity"}, "mode=fixed_quantity needs fixed_quantity"),
        ({"mode": "fixed_notional"}, "mode=fixed_notional needs fixed_notional_usd"),
        ({"fixed_quantity": "1"}, "fixed_quantity=1 is set but mode=kelly ignores it"),
        ({"max_position_frac_of_nav": 20}, "max_position_frac_of_nav was 20; expected a fraction"),
        ({"kelly_fraction": 0}, "greater than 0"),
        ({"kelly_fraction": 1.5}, "less than or equal to 1"),
        ({"limit_offset_ticks": 2}, "limit_offset_ticks=2 needs order_type=limit"),
        ({"order_type": "stop_market"}, "the allocator places market or limit"),
        ({"kelly": 0.25}, "Extra inputs are not permitted"),
    ],
)
def test_config_when_invalid_then_refused_with_fix(fields: dict[str, Any], message: str) -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match=message):
        AllocatorConfig(**fields)
