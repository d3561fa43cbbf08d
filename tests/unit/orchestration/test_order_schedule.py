"""Order schedule, pure parts: slice sizes, slice and re-quote intents, allocator config."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from aiswarm.orchestration.order_schedule import requote_intent, slice_intent, split_quantity
from aiswarm.portfolio import AllocatorConfig
from aiswarm.types import ClientOrderId, OrderType, Side
from kit.builders import T0, instrument, order_intent, order_spec

MARK = Decimal("50000")


def test_split_when_even_then_equal_slices_summing_to_parent() -> None:
    # Arrange
    btc = instrument()

    # Act
    slices = split_quantity(Decimal("0.3"), 3, btc, MARK)

    # Assert
    assert slices == (Decimal("0.1"), Decimal("0.1"), Decimal("0.1"))


def test_split_when_not_divisible_then_rounded_down_and_last_takes_remainder() -> None:
    # Arrange
    btc = instrument()

    # Act
    slices = split_quantity(Decimal("0.5"), 3, btc, MARK)

    # Assert
    assert slices == (Decimal("0.16666"), Decimal("0.16666"), Decimal("0.16668"))
    assert sum(slices) == Decimal("0.5")


def test_split_when_slice_below_minimum_then_merged_into_next() -> None:
    # Arrange: 0.0005 / 6 is 0.00008 per slice, below min_quantity 0.0001
    btc = instrument()

    # Act
    slices = split_quantity(Decimal("0.0005"), 6, btc, MARK)

    # Assert
    assert slices == (Decimal("0.00016"), Decimal("0.00016"), Decimal("0.00018"))


def test_split_when_last_slice_below_minimum_then_merged_into_the_one_before() -> None:
    # Arrange: 0.00041 / 5 plans 0.00008 x 4 and 0.00009; pairs merge, the 0.00009 is left over
    btc = instrument()

    # Act
    slices = split_quantity(Decimal("0.00041"), 5, btc, MARK)

    # Assert
    assert slices == (Decimal("0.00016"), Decimal("0.00025"))


def test_split_when_whole_order_below_minimum_then_one_slice() -> None:
    # Arrange
    btc = instrument()

    # Act
    slices = split_quantity(Decimal("0.00005"), 4, btc, MARK)

    # Assert
    assert slices == (Decimal("0.00005"),)


def test_split_when_zero_slices_then_refused() -> None:
    # Arrange
    btc = instrument()

    # Act / Assert
    with pytest.raises(ValueError, match="slices=0"):
        split_quantity(Decimal("1"), 0, btc, MARK)


@given(
    steps=st.integers(min_value=1, max_value=10_000_000),
    slices=st.integers(min_value=1, max_value=50),
)
def test_split_when_any_quantity_then_sums_exactly_respects_step_and_minimums(
    steps: int, slices: int
) -> None:
    # Arrange
    btc = instrument()
    quantity = Decimal(steps) * btc.step_size

    # Act
    parts = split_quantity(quantity, slices, btc, MARK)

    # Assert
    assert sum(parts) == quantity
    assert 1 <= len(parts) <= slices
    assert all(btc.quantize_quantity(part) == part for part in parts)
    if not btc.check_minimums(quantity, MARK):
        assert all(not btc.check_minimums(part, MARK) for part in parts)


def test_slice_intent_when_built_then_parent_shape_with_slice_quantity_time_and_reason() -> None:
    # Arrange
    parent = order_intent(reduce_only=True, reason="ema long")
    later = T0 + timedelta(minutes=2)

    # Act
    child = slice_intent(parent, Decimal("0.004"), 2, 3, later, Decimal("49990"))

    # Assert
    assert (child.side, child.order_type, child.reduce_only) == (
        parent.side,
        parent.order_type,
        True,
    )
    assert (child.quantity, child.limit_price, child.ts_event) == (
        Decimal("0.004"),
        Decimal("49990"),
        later,
    )
    assert child.reason.startswith("slice 2/3 of 0.01: ema long")


def test_requote_intent_when_built_then_remaining_quantity_at_new_price() -> None:
    # Arrange
    spec = order_spec(client_order_id=ClientOrderId("ais-old"), side=Side.SELL)
    later = T0 + timedelta(minutes=5)

    # Act
    intent = requote_intent(spec, Decimal("0.006"), Decimal("50100"), later)

    # Assert
    assert (intent.side, intent.order_type, intent.quantity, intent.limit_price) == (
        Side.SELL,
        OrderType.LIMIT,
        Decimal("0.006"),
        Decimal("50100"),
    )
    assert intent.ts_event == later
    assert "ais-old" in intent.reason


def test_config_when_defaults_then_no_slicing_and_no_requote() -> None:
    # Arrange / Act
    config = AllocatorConfig()

    # Assert
    assert (config.slices, config.slice_interval_s, config.requote_every_s) == (1, 60, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slices": 0}, "slices"),
        ({"slice_interval_s": 0}, "slice_interval_s"),
        ({"requote_every_s": 0, "order_type": "limit"}, "requote_every_s"),
        ({"requote_every_s": 30}, "requote_every_s=30 needs order_type=limit"),
    ],
)
def test_config_when_schedule_fields_invalid_then_refused(
    fields: dict[str, object], message: str
) -> None:
    # Arrange / Act / Assert
    with pytest.raises(ValidationError, match=message):
        AllocatorConfig.model_validate(fields)
