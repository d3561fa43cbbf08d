"""Hold the risk limits the guard chain and the kill switch enforce. No I/O.

``RiskLimits`` is frozen configuration: it refuses unknown keys, names the unit of every field
(``_usd`` in the account's quote currency taken as USD, ``_frac`` a fraction where 0.05 means
5%, ``_s`` seconds) and refuses a fraction written as a percent, because an older codebase read
"5" as 500% and silently switched its drawdown guard off.

The guard chain is a hot path and pydantic attribute reads cost about four times a slot read,
so ``RiskLimits.thresholds`` turns the limits once into ``Thresholds``, a slotted frozen
dataclass with seconds already converted to integer nanoseconds. It is computed on first use and
kept on the (immutable) limits object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aiswarm.types import Symbol

__all__ = ["RiskLimits", "Thresholds"]

_NS_PER_S = 1_000_000_000
_MAX_SANE_LEVERAGE = Decimal(100)


def _freeze_quantities(value: Mapping[Symbol, Decimal]) -> Mapping[Symbol, Decimal]:
    """Refuse a cap that is not positive, and return a read-only copy of the mapping."""
    bad = sorted(f"{symbol}={cap}" for symbol, cap in value.items() if not cap > 0)
    if bad:
        raise ValueError(
            f"max_order_quantity has caps that are not positive ({', '.join(bad)}): "
            "give each symbol a quantity above 0 in base units, or leave the symbol out"
        )
    return MappingProxyType(dict(value))


_QuantityCaps = Annotated[
    Mapping[Symbol, Decimal],
    AfterValidator(_freeze_quantities),
    PlainSerializer(dict, return_type=dict[str, Decimal]),
]


class RiskLimits(BaseModel):
    """The limits every order is checked against, and the kill switch's trip points.

    Amounts are in the account's quote currency (USD-equivalent stablecoins are taken at par).
    Defaults suit a small account (about 100,000 USD NAV) trading a few liquid symbols; a
    deployment sets its own in ``config/risk.yaml``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # Single order
    max_order_quantity: _QuantityCaps = Field(
        default_factory=lambda: MappingProxyType({}),
        description=(
            "Largest quantity of one order, per symbol, in base units (e.g. {'BTC/USDT': 2}). "
            "A symbol not listed has no quantity cap; max_order_notional_usd still applies."
        ),
    )
    max_order_notional_usd: Decimal = Field(
        default=Decimal(10_000),
        gt=0,
        description="Largest notional of one order in USD, at the higher of its price and mark.",
    )
    price_band_frac: Decimal = Field(
        default=Decimal("0.05"),
        gt=0,
        description="Largest distance of a limit price from the mark, as a fraction of the mark.",
    )
    # Exposure
    max_position_notional_usd: Decimal = Field(
        default=Decimal(25_000),
        gt=0,
        description=(
            "Largest notional in one symbol, in USD at the mark: position after the order plus "
            "resting orders. A mandate's max_position_usd lowers it for that mandate."
        ),
    )
    max_gross_exposure_usd: Decimal = Field(
        default=Decimal(150_000),
        gt=0,
        description="Largest sum of absolute position notionals plus resting orders, in USD.",
    )
    max_net_exposure_usd: Decimal = Field(
        default=Decimal(100_000),
        gt=0,
        description="Largest absolute signed sum of position notionals after the order, in USD.",
    )
    max_leverage: Decimal = Field(
        default=Decimal("1.5"),
        gt=0,
        description="Largest gross exposure after the order divided by NAV (1 means unlevered).",
    )
    # Losses
    max_drawdown_frac: Decimal = Field(
        default=Decimal("0.10"),
        gt=0,
        description="Fall of NAV from its peak, as a fraction of the peak, that stops new risk.",
    )
    max_daily_loss_frac: Decimal = Field(
        default=Decimal("0.03"),
        gt=0,
        description="Loss since the start of the UTC day, as a fraction of that day's opening NAV.",
    )
    # Liquidity
    max_participation_frac: Decimal = Field(
        default=Decimal("0.10"),
        gt=0,
        description=(
            "Largest order notional as a fraction of the measured liquidity (book depth within "
            "the band, or recent traded volume, in USD)."
        ),
    )
    # Activity
    max_open_orders: int = Field(
        default=50, ge=1, description="Most resting orders the account may have at once."
    )
    max_orders_per_second: int = Field(
        default=5, ge=1, description="Most orders submitted within any rolling second."
    )
    max_orders_per_day: int = Field(
        default=2_000, ge=1, description="Most orders submitted since 00:00 UTC today."
    )
    duplicate_window_s: float = Field(
        default=2.0,
        ge=0,
        description=(
            "Seconds within which an order with the same mandate, symbol, side, quantity and "
            "limit price is refused as a duplicate (0 switches the check off)."
        ),
    )
    circuit_breaker_rejections: int = Field(
        default=5,
        ge=1,
        description="Consecutive venue rejections that open the circuit breaker.",
    )
    circuit_breaker_cooldown_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds after the last rejection before an open circuit breaker closes.",
    )
    kill_switch_rejections: int = Field(
        default=20,
        ge=1,
        description=(
            "Consecutive venue rejections that trip the kill switch (latched, unlike the "
            "circuit breaker); at least circuit_breaker_rejections."
        ),
    )
    max_market_data_age_s: float = Field(
        default=10.0,
        gt=0,
        description="Oldest market data, in seconds, an order may be judged on.",
    )
    # Modes
    close_only: bool = Field(
        default=False,
        description="Allow only orders that shrink a position, on every symbol.",
    )
    close_only_symbols: frozenset[Symbol] = Field(
        default=frozenset(),
        description="Symbols on which only orders that shrink a position are allowed.",
    )
    flatten_on_trip: bool = Field(
        default=False,
        description=(
            "When the kill switch trips, let the runtime close positions with reduce-only "
            "orders (they still pass the guard chain and are signed), every step until flat."
        ),
    )
    flatten_slice_floor_usd: Decimal = Field(
        default=Decimal(1_000),
        gt=0,
        description=(
            "Notional, in USD at the mark, of a closing slice the kill switch's flatten may "
            "send whatever the measured liquidity (thin or unmeasured): the liquidity guard "
            "lets a flattening order up to the larger of this and its participation cap."
        ),
    )

    @field_validator(
        "price_band_frac",
        "max_drawdown_frac",
        "max_daily_loss_frac",
        "max_participation_frac",
    )
    @classmethod
    def _refuse_percent(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        """Refuse a fraction above 1: it is almost certainly a percent."""
        if value > 1:
            raise ValueError(
                f"{info.field_name} was {value}; expected a fraction (0.05 means 5%). "
                "Fix config/risk.yaml."
            )
        return value

    @field_validator("max_leverage")
    @classmethod
    def _refuse_percent_leverage(cls, value: Decimal) -> Decimal:
        """Refuse a leverage above 100: it is almost certainly a percent of NAV."""
        if value > _MAX_SANE_LEVERAGE:
            raise ValueError(
                f"max_leverage was {value}; expected a multiple of NAV (3 means gross "
                f"exposure up to 3x NAV), at most {_MAX_SANE_LEVERAGE}. Fix config/risk.yaml."
            )
        return value

    @model_validator(mode="after")
    def _check_breakers(self) -> Self:
        """Refuse a kill switch that would trip before the circuit breaker opens."""
        if self.kill_switch_rejections < self.circuit_breaker_rejections:
            raise ValueError(
                f"kill_switch_rejections was {self.kill_switch_rejections}, below "
                f"circuit_breaker_rejections={self.circuit_breaker_rejections}: the breaker "
                "pauses first and the latched kill switch trips later, so raise "
                "kill_switch_rejections. Fix config/risk.yaml."
            )
        return self

    @cached_property
    def thresholds(self) -> Thresholds:
        """Return these limits as plain slots for the guard chain (computed once)."""
        return Thresholds(
            max_order_quantity=self.max_order_quantity,
            max_order_notional_usd=self.max_order_notional_usd,
            price_band_frac=self.price_band_frac,
            max_position_notional_usd=self.max_position_notional_usd,
            max_gross_exposure_usd=self.max_gross_exposure_usd,
            max_net_exposure_usd=self.max_net_exposure_usd,
            max_leverage=self.max_leverage,
            max_drawdown_frac=self.max_drawdown_frac,
            max_daily_loss_frac=self.max_daily_loss_frac,
            max_participation_frac=self.max_participation_frac,
            max_open_orders=self.max_open_orders,
            max_orders_per_second=self.max_orders_per_second,
            max_orders_per_day=self.max_orders_per_day,
            duplicate_window_ns=round(self.duplicate_window_s * _NS_PER_S),
            circuit_breaker_rejections=self.circuit_breaker_rejections,
            circuit_breaker_cooldown_ns=round(self.circuit_breaker_cooldown_s * _NS_PER_S),
            kill_switch_rejections=self.kill_switch_rejections,
            max_market_data_age_ns=round(self.max_market_data_age_s * _NS_PER_S),
            close_only=self.close_only,
            close_only_symbols=self.close_only_symbols,
            flatten_on_trip=self.flatten_on_trip,
            flatten_slice_floor_usd=self.flatten_slice_floor_usd,
        )


@dataclass(frozen=True, slots=True)
class Thresholds:
    """``RiskLimits`` as slots, with durations in integer nanoseconds. Built by ``thresholds``."""

    max_order_quantity: Mapping[Symbol, Decimal]
    max_order_notional_usd: Decimal
    price_band_frac: Decimal
    max_position_notional_usd: Decimal
    max_gross_exposure_usd: Decimal
    max_net_exposure_usd: Decimal
    max_leverage: Decimal
    max_drawdown_frac: Decimal
    max_daily_loss_frac: Decimal
    max_participation_frac: Decimal
    max_open_orders: int
    max_orders_per_second: int
    max_orders_per_day: int
    duplicate_window_ns: int
    circuit_breaker_rejections: int
    circuit_breaker_cooldown_ns: int
    kill_switch_rejections: int
    max_market_data_age_ns: int
    close_only: bool
    close_only_symbols: frozenset[Symbol]
    flatten_on_trip: bool
    flatten_slice_floor_usd: Decimal
