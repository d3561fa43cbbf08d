"""Hold a mandate's shape: what may be traded, where, how much, and until when. No I/O.

Registry, validation against strategy templates and lifecycle live in ``mandates/``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from aiswarm.types._model import FrozenModel, ReadOnlyJson
from aiswarm.types.enums import MandateStatus, Side
from aiswarm.types.ids import MandateId, Symbol, VenueId
from aiswarm.types.money import Price
from aiswarm.types.timestamps import UtcDatetime
from aiswarm.types.trading_window import TradingWindow

__all__ = ["Mandate"]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    """Return ``moment`` as whole microseconds since the epoch (exact)."""
    return (moment - _EPOCH) // _MICROSECOND


def _duplicates(values: tuple[str, ...]) -> list[str]:
    """Return the values that occur more than once, sorted."""
    return sorted({value for value in values if values.count(value) > 1})


class Mandate(FrozenModel):
    """Permission to trade: a strategy template, its parameters and its limits.

    ``max_notional_usd`` caps the mandate's total open notional (its allocation) and
    ``max_position_usd`` any one symbol's position, both in USD. The mandate trades only between
    ``valid_from`` and ``valid_until`` (UTC; ``valid_until`` is its expiry) and only while
    ``status`` is ACTIVE. ``params`` is a read-only mapping of JSON values for the strategy
    template (the top level is frozen). Tuples rather than sets keep the JSON order stable,
    which matters when mandates are recorded in the event log.

    The optional limits below are None when the mandate sets none (the account's risk limits
    still apply); the mandate files in ``mandates/`` set them (docs/mandates.md). Fractions are
    fractions (0.05 means 5%), refused above 1 because "5" almost always meant 5%.
    """

    mandate_id: MandateId
    owner: str
    description: str
    venues: tuple[VenueId, ...] = Field(min_length=1)
    symbols: tuple[Symbol, ...] = Field(min_length=1)
    max_notional_usd: Price
    max_position_usd: Price
    allowed_sides: tuple[Side, ...] = Field(default=(Side.BUY, Side.SELL), min_length=1)
    strategy_template: str
    params: ReadOnlyJson
    valid_from: UtcDatetime
    valid_until: UtcDatetime
    status: MandateStatus = MandateStatus.DRAFT
    max_allocation_frac: Decimal | None = Field(
        default=None, gt=0, description="Largest open notional as a fraction of the account's NAV."
    )
    strategy_types: tuple[str, ...] | None = Field(
        default=None,
        min_length=1,
        description="Strategy types (agent registry names) allowed to trade; None allows any.",
    )
    max_daily_loss_frac: Decimal | None = Field(
        default=None, gt=0, description="Loss since 00:00 UTC, as a fraction of the day's NAV."
    )
    max_drawdown_frac: Decimal | None = Field(
        default=None, gt=0, description="Fall of NAV from its peak, as a fraction of the peak."
    )
    max_day_notional_usd: Price | None = Field(
        default=None, description="Notional the mandate may send in orders per UTC day, USD."
    )
    max_leverage: Decimal | None = Field(
        default=None, gt=0, le=100, description="Largest gross exposure / NAV after an order."
    )
    trading_window: TradingWindow | None = Field(
        default=None, description="UTC weekdays and hours in which the mandate may add risk."
    )
    live_requires_approval: bool = Field(
        default=True, description="Live trading under this mandate needs an operator's approval."
    )

    @field_validator("max_allocation_frac", "max_daily_loss_frac", "max_drawdown_frac")
    @classmethod
    def _refuse_percent(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        """Refuse a fraction above 1: it is almost certainly a percent."""
        if value is not None and value > 1:
            raise ValueError(f"{info.field_name} was {value}; expected a fraction (0.05 means 5%)")
        return value

    def is_tradable(self, now_ns: int) -> bool:
        """Return True when the mandate is ACTIVE, unexpired and inside its window at ``now_ns``."""
        if self.status is not MandateStatus.ACTIVE or not self.is_valid_at(now_ns):
            return False
        return self.trading_window is None or self.trading_window.contains(now_ns)

    def is_expired_at(self, now_ns: int) -> bool:
        """Return True once ``valid_until`` has passed at ``now_ns`` (ns since the epoch)."""
        return now_ns // 1_000 >= _micros(self.valid_until)

    def is_valid_at(self, now_ns: int) -> bool:
        """Return True when ``valid_from <= now < valid_until`` (``now_ns``: ns since epoch)."""
        now_us = now_ns // 1_000
        return _micros(self.valid_from) <= now_us < _micros(self.valid_until)

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        """Refuse an empty validity window and repeated venues, symbols or sides."""
        errors: list[str] = []
        if self.valid_until <= self.valid_from:
            errors.append(
                f"valid_until={self.valid_until.isoformat()} is not after "
                f"valid_from={self.valid_from.isoformat()}"
            )
        for name, values in (
            ("venues", self.venues),
            ("symbols", self.symbols),
            ("allowed_sides", self.allowed_sides),
            ("strategy_types", self.strategy_types or ()),
        ):
            repeated = _duplicates(tuple(values))
            if repeated:
                errors.append(f"{name} lists {', '.join(repeated)} more than once")
        if errors:
            raise ValueError("; ".join(errors))
        return self
