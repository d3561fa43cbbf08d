"""Hold a mandate's shape: what may be traded, where, how much, and until when. No I/O.

Registry, validation against strategy templates and lifecycle live in ``mandates/``.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from aiswarm.types._model import FrozenModel, ReadOnlyJson
from aiswarm.types.enums import MandateStatus, Side
from aiswarm.types.ids import MandateId, Symbol, VenueId
from aiswarm.types.money import Price
from aiswarm.types.timestamps import UtcDatetime

__all__ = ["Mandate"]


def _duplicates(values: tuple[str, ...]) -> list[str]:
    """Return the values that occur more than once, sorted."""
    return sorted({value for value in values if values.count(value) > 1})


class Mandate(FrozenModel):
    """Permission to trade: a strategy template, its parameters and its limits.

    ``max_notional_usd`` caps the mandate's total open notional and ``max_position_usd`` any one
    symbol's position, both in USD. The mandate trades only between ``valid_from`` and
    ``valid_until`` (UTC) and only while ``status`` is ACTIVE. ``params`` is a read-only mapping
    of JSON values for the strategy template (the top level is frozen). Tuples rather than sets
    keep the JSON order stable, which matters when mandates are hashed into the event log.
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
        ):
            repeated = _duplicates(tuple(values))
            if repeated:
                errors.append(f"{name} lists {', '.join(repeated)} more than once")
        if errors:
            raise ValueError("; ".join(errors))
        return self
