"""Hold the market facts beside bars: trades, order book snapshots and open interest. No I/O.

Each record is stamped ``ts_ns`` (epoch ns, UTC), the instant the venue says it happened.
Prices are quote units per base unit and sizes are base units, exact ``Decimal`` like every
price in ``types``: an order or a fill may be built from them. A record is validated once when
built; a crossed book or a bid ladder out of order is a broken feed, and a matching engine fed
with it would fill at prices nobody offered.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple, Self

from pydantic import Field, model_validator

from aiswarm.types._model import FrozenModel
from aiswarm.types.enums import Side
from aiswarm.types.ids import Symbol, VenueId
from aiswarm.types.money import NonNegative, Price, Quantity

__all__ = ["BookLevel", "OpenInterest", "OrderBookSnapshot", "Trade"]


class Trade(FrozenModel):
    """One public trade of ``size`` base units at ``price`` on ``venue``, at ``ts_ns``.

    ``side`` is the aggressor's side (a taker buy lifts the ask) when the venue reports it,
    and ``None`` when it does not; ``trade_id`` is the venue's id when it has one.
    """

    venue: VenueId
    symbol: Symbol
    ts_ns: int = Field(ge=0)
    price: Price
    size: Quantity
    side: Side | None = None
    trade_id: str | None = None


class BookLevel(NamedTuple):
    """One price level of a book: ``size`` base units resting at ``price``.

    A plain ``(price, size)`` pair, so ladders can be written as tuples of tuples; inside a
    model both fields are validated as exact ``Decimal`` (floats refused).
    """

    price: Price
    size: Quantity


class OrderBookSnapshot(FrozenModel):
    """The resting orders of ``symbol`` at ``ts_ns``: best bid first, best ask first.

    One level a side is an L1 (top of book) snapshot; more is L2. ``bids`` must fall strictly
    in price and ``asks`` rise strictly, and the best bid must be below the best ask: a
    crossed or locked book is refused, because it cannot rest at a real venue.
    """

    venue: VenueId
    symbol: Symbol
    ts_ns: int = Field(ge=0)
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]

    @model_validator(mode="after")
    def _check_ladders(self) -> Self:
        """Refuse ladders out of order and a crossed book, naming the prices."""
        for name, ladder, step in (("bids", self.bids, -1), ("asks", self.asks, 1)):
            for before, after in pairwise(ladder):
                if (after.price - before.price) * step <= 0:
                    order = "fall" if step < 0 else "rise"
                    raise ValueError(
                        f"book {self.symbol}@{self.ts_ns}: {name} {before.price} then "
                        f"{after.price}; {name} must {order} strictly, best first: fix the feed"
                    )
        if self.bids and self.asks and self.bids[0].price >= self.asks[0].price:
            raise ValueError(
                f"book {self.symbol}@{self.ts_ns}: best bid {self.bids[0].price} >= best ask "
                f"{self.asks[0].price}; a crossed book cannot rest: fix the feed"
            )
        return self

    @property
    def depth(self) -> int:
        """Return the number of levels on the deeper side (1 for an L1 snapshot)."""
        return max(len(self.bids), len(self.asks))


class OpenInterest(FrozenModel):
    """A derivative's open interest at ``ts_ns``: ``quantity`` base units held open.

    Venues quote it in contracts or base units; the feed converts to base units, so the
    number compares across venues.
    """

    venue: VenueId
    symbol: Symbol
    ts_ns: int = Field(ge=0)
    quantity: NonNegative
