"""Name what goes wrong when the books cannot be kept honestly. No I/O.

Both errors mean "do not trust this account's numbers until someone looks": the portfolio
refuses the event and stays exactly as it was, rather than book a guess.

    AiswarmError
    └── AccountingError        a fill, funding or valuation cannot be booked without inventing
        │                      numbers (oversold spot, reused trade id, foreign fee currency)
        └── MissingMarkError   an open position has no mark price, so NAV is unknown
"""

from __future__ import annotations

from aiswarm.errors import AiswarmError
from aiswarm.types import Symbol, VenueId

__all__ = ["AccountingError", "MissingMarkError"]


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
