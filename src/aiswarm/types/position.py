"""Hold the shape of a position in one symbol at one venue. No I/O.

Only the shape lives here; folding fills into positions (average price, realised PnL, fees,
funding) belongs to ``portfolio/``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Self

from pydantic import model_validator

from aiswarm.types._model import FrozenModel
from aiswarm.types.enums import InstrumentKind
from aiswarm.types.ids import AccountId, Symbol, VenueId
from aiswarm.types.money import Money, NonNegative, to_decimal

__all__ = ["Position"]


class Position(FrozenModel):
    """A signed holding: ``quantity`` is positive when long and negative when short (base units).

    ``average_entry_price`` is the quote price paid per unit of the open quantity (0 when
    flat). ``realised_pnl``, ``fees_paid`` and ``funding_paid`` are in quote units and
    cumulative; ``funding_paid`` is negative when funding was received (perpetuals only).
    """

    account: AccountId
    venue: VenueId
    symbol: Symbol
    kind: InstrumentKind
    quantity: Money = Decimal(0)
    average_entry_price: NonNegative = Decimal(0)
    realised_pnl: Money = Decimal(0)
    fees_paid: Money = Decimal(0)
    funding_paid: Money = Decimal(0)

    @model_validator(mode="after")
    def _check_entry_price(self) -> Self:
        """Refuse an open position without an entry price: its PnL could not be computed."""
        if self.quantity != 0 and self.average_entry_price == 0:
            raise ValueError(
                f"quantity={self.quantity} is open but average_entry_price is 0: "
                "an open position needs the price it was entered at"
            )
        return self

    @property
    def is_flat(self) -> bool:
        """Return whether nothing is held."""
        return self.quantity == 0

    def notional(self, mark: Decimal) -> Decimal:
        """Return the position's absolute value at ``mark`` in quote units (always >= 0).

        For signed (net) exposure use ``quantity * mark``.
        """
        price = to_decimal(mark, "mark")
        if price <= 0:
            raise ValueError(f"mark={price} is not positive: pass the current mark price")
        return abs(self.quantity) * price
