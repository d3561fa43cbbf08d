"""Name what goes wrong when the books cannot be kept honestly. No I/O.

Both errors mean "do not trust this account's numbers until someone looks": the portfolio
refuses the event and stays exactly as it was, rather than book a guess. What a venue reports
is different: the venue made the fill or moved the funding, so refusing it cannot undo it. A
fill the books cannot take is kept as an ``AccountingBreak``, a funding payment as a
``FundingBreak`` (held aside, unbooked, with the error's text), and the runtime halts trading
until an operator reconciles with the venue.

    AiswarmError
    └── AccountingError        a fill, funding or valuation cannot be booked without inventing
        │                      numbers (oversold spot, reused trade id, foreign fee currency)
        └── MissingMarkError   an open position has no mark price, so NAV is unknown
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from aiswarm.errors import AiswarmError
from aiswarm.types import Fill, Symbol, VenueId

__all__ = ["AccountingBreak", "AccountingError", "FundingBreak", "MissingMarkError"]


class AccountingError(AiswarmError):
    """An event cannot be booked exactly; the portfolio is unchanged. Reconcile before trading."""


class MissingMarkError(AccountingError):
    """An open position has no mark price: NAV, exposure and PnL would be made up, so none is given.

    ``missing`` holds the ``(venue, symbol)`` pairs without a mark, sorted.
    """

    def __init__(self, missing: tuple[tuple[VenueId, Symbol], ...]) -> None:
        self.missing = missing
        names = ", ".join(f"{symbol} at {venue}" for venue, symbol in missing)
        super().__init__(
            f"no mark price for open position(s) {names}: NAV cannot be computed without "
            "inventing a price; call mark(venue, symbol, price) with current market data first"
        )


@dataclass(frozen=True, slots=True)
class AccountingBreak:
    """A fill the venue made that the books could not take, and why (the refusal's text)."""

    fill: Fill
    reason: str


@dataclass(frozen=True, slots=True)
class FundingBreak:
    """A funding payment a venue reported that the books could not take, and why.

    ``amount`` is in quote units, positive when we paid. ``ts`` is the funding time (UTC):
    with the venue and symbol it names the payment, as funding is deduplicated by the three.
    """

    venue: VenueId
    symbol: Symbol
    amount: Decimal
    ts: datetime
    reason: str
