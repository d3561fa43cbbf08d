"""Specs for RiskLimits: frozen, documented, units in names, percents refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from aiswarm.risk.limits import RiskLimits
from aiswarm.types import Symbol


def test_limits_when_defaults_then_every_field_is_described() -> None:
    # Arrange / Act
    fields = RiskLimits.model_fields

    # Assert
    assert all(field.description for field in fields.values())


@pytest.mark.parametrize(
    "name",
    ["price_band_frac", "max_drawdown_frac", "max_daily_loss_frac", "max_participation_frac"],
)
def test_limits_when_fraction_given_as_percent_then_refused_with_fix(name: str) -> None:
    # Act
    with pytest.raises(ValidationError) as caught:
        RiskLimits(**{name: 5})

    # Assert
    assert f"{name} was 5; expected a fraction (0.05 means 5%)" in str(caught.value)


def test_limits_when_leverage_given_as_percent_then_refused() -> None:
    with pytest.raises(ValidationError, match="max_leverage was 300; expected a multiple of NAV"):
        RiskLimits(max_leverage=300)


def test_limits_when_yaml_float_then_read_exactly() -> None:
    # Arrange: YAML gives 0.05 as a float
    limits = RiskLimits(max_drawdown_frac=0.05)

    # Act / Assert
    assert limits.max_drawdown_frac == Decimal("0.05")


def test_limits_when_unknown_key_then_refused() -> None:
    with pytest.raises(ValidationError, match="max_drawdown"):
        RiskLimits(max_drawdown=0.05)  # type: ignore[call-arg]


def test_limits_when_kill_switch_would_trip_before_breaker_then_refused() -> None:
    with pytest.raises(ValidationError, match="raise kill_switch_rejections"):
        RiskLimits(circuit_breaker_rejections=10, kill_switch_rejections=5)


def test_limits_when_quantity_cap_not_positive_then_refused() -> None:
    with pytest.raises(ValidationError, match="BTC/USDT=0"):
        RiskLimits(max_order_quantity={Symbol("BTC/USDT"): Decimal("0")})


def test_limits_when_built_then_frozen_and_quantity_caps_read_only() -> None:
    # Arrange
    limits = RiskLimits(max_order_quantity={Symbol("BTC/USDT"): Decimal("2")})

    # Act / Assert
    with pytest.raises(ValidationError):
        limits.max_leverage = Decimal("9")  # type: ignore[misc]
    with pytest.raises(TypeError):
        limits.max_order_quantity[Symbol("BTC/USDT")] = Decimal("9")  # type: ignore[index]


def test_thresholds_when_built_then_seconds_are_integer_nanoseconds() -> None:
    # Arrange
    limits = RiskLimits(
        duplicate_window_s=1.5, circuit_breaker_cooldown_s=30, max_market_data_age_s=0.25
    )

    # Act
    thresholds = limits.thresholds

    # Assert
    assert thresholds.duplicate_window_ns == 1_500_000_000
    assert thresholds.circuit_breaker_cooldown_ns == 30_000_000_000
    assert thresholds.max_market_data_age_ns == 250_000_000
    assert limits.thresholds is thresholds
    assert limits == RiskLimits(
        duplicate_window_s=1.5, circuit_breaker_cooldown_s=30, max_market_data_age_s=0.25
    )


def test_limits_when_dumped_then_round_trip() -> None:
    # Arrange
    limits = RiskLimits(max_order_quantity={Symbol("BTC/USDT"): Decimal("2")}, close_only=True)

    # Act
    again = RiskLimits.model_validate(limits.model_dump(mode="json"))

    # Assert
    assert again == limits
