"""Hold one execution reported by a venue: what traded, at what price, for what fee. No I/O."""

from __future__ import annotations

from decimal import Decimal

from aiswarm.types._model import FrozenModel
from aiswarm.types.enums import Side
from aiswarm.types.ids import AccountId, ClientOrderId, Symbol, TradeId, VenueId, VenueOrderId
from aiswarm.types.money import Money, Price, Quantity
from aiswarm.types.timestamps import UtcDatetime

__all__ = ["Fill"]


class Fill(FrozenModel):
    """One trade against one of our orders.

    ``fee`` is in ``fee_currency``: positive is a cost to us, negative a rebate (maker rebates
    exist). ``ts_event`` is when the venue says the trade happened and ``ts_init`` when we
    learned of it, both UTC; they come from different clocks, so neither is checked against
    the other.
    """

    venue: VenueId
    account: AccountId
    symbol: Symbol
    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId
    trade_id: TradeId
    side: Side
    quantity: Quantity
    price: Price
    fee: Money
    fee_currency: str
    is_maker: bool
    ts_event: UtcDatetime
    ts_init: UtcDatetime

    @property
    def notional(self) -> Decimal:
        """Return ``quantity * price`` in quote units."""
        return self.quantity * self.price
