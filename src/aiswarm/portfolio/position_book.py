"""Fold fills and funding into one position's running totals, exactly. No I/O.

A position is kept as a signed quantity and a signed **cost basis** (the sum of signed quantity
x entry price over the quantity still open), not as an average price. Sums and products of
Decimals are exact; a division is not. With the cost basis:

* unrealised PnL is ``quantity x mark - cost_basis``: exactly ``(mark - average entry) x
  quantity`` whenever the average needed no rounding, and free of its rounding otherwise;
* a fill that closes the whole position realises ``price x quantity - cost_basis`` and leaves
  the cost basis at exactly 0, so a round trip back to flat realises exactly
  ``-sum(signed quantity x price)``;
* a partial reduction realises ``(exit - average entry) x closed quantity x sign`` and removes
  ``average entry x closed quantity`` from the cost basis. Realised and unrealised PnL move by
  the same amount in opposite directions, so their sum, NAV and cash stay exact even when the
  average was rounded.

The average entry price is kept beside the cost basis rather than recomputed from it: it is
the one quotient (rounded as ``exact.average`` says, only when it has no short decimal form),
taken when a fill opens or increases the position, and a reduction leaves it exactly as it
was. Recomputing cost / quantity after a reduction would drift by a rounding unit.

Average entry price: weighted average when a fill increases the position, unchanged when it
reduces it, and the fill price when it flips through zero (the closed part realises PnL, the
remainder opens at the fill price). Fees are not part of the cost basis: they are booked in
``fees_paid`` and in cash, positive a cost, negative a rebate.

Cash: a spot fill moves ``-signed quantity x price - fee`` (a buy spends, a sell receives); a
perpetual fill moves only ``realised PnL - fee``, because a perpetual's cash is its collateral
(margin model) and the notional never changes hands.

``PositionBook`` is a slotted frozen dataclass, not a pydantic model: it is rebuilt on every
fill and never crosses a boundary. ``to_position`` turns it into the validated ``Position`` at
the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from aiswarm.portfolio.errors import AccountingError
from aiswarm.portfolio.exact import add, average, multiply, subtract
from aiswarm.types import AccountId, InstrumentKind, Position, Side, Symbol, VenueId

__all__ = ["PositionBook", "book_fill", "book_funding"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PositionBook:
    """One position's running totals; every amount is in quote units and cumulative.

    ``quantity`` is signed (negative is short, base units). ``cost_basis`` is signed like it and
    is 0 exactly when flat, as is ``average_entry_price``. ``funding_paid`` is negative when
    funding was received.
    """

    venue: VenueId
    symbol: Symbol
    kind: InstrumentKind
    quantity: Decimal = _ZERO
    cost_basis: Decimal = _ZERO
    average_entry_price: Decimal = _ZERO
    realised_pnl: Decimal = _ZERO
    fees_paid: Decimal = _ZERO
    funding_paid: Decimal = _ZERO

    @property
    def is_flat(self) -> bool:
        """Return whether nothing is held."""
        return self.quantity == 0

    def market_value(self, mark: Decimal) -> Decimal:
        """Return ``quantity x mark``: signed, negative for a short."""
        return multiply(self.quantity, mark)

    def unrealised_pnl(self, mark: Decimal) -> Decimal:
        """Return ``quantity x mark - cost_basis``: what closing at ``mark`` would realise."""
        return subtract(multiply(self.quantity, mark), self.cost_basis)

    def to_position(self, account: AccountId) -> Position:
        """Return the frozen, validated ``Position`` other rooms read."""
        return Position(
            account=account,
            venue=self.venue,
            symbol=self.symbol,
            kind=self.kind,
            quantity=self.quantity,
            average_entry_price=self.average_entry_price,
            realised_pnl=self.realised_pnl,
            fees_paid=self.fees_paid,
            funding_paid=self.funding_paid,
        )


def _refuse_spot_oversell(book: PositionBook, quantity: Decimal) -> None:
    """Raise when a spot sell asks for more than is held: spot cannot go short."""
    if book.kind is InstrumentKind.SPOT and quantity > book.quantity:
        raise AccountingError(
            f"spot sell of quantity={quantity} {book.symbol} at {book.venue} exceeds the "
            f"holding quantity={book.quantity}: a spot account cannot go short, so our books "
            "are missing a fill or the fill is wrong; reconcile with the venue before trading"
        )


def book_fill(
    book: PositionBook, side: Side, quantity: Decimal, price: Decimal, fee: Decimal
) -> tuple[PositionBook, Decimal]:
    """Return the book after one fill and the change in cash it causes.

    ``quantity`` and ``price`` are positive (base units, quote per base); ``fee`` is in quote
    units, positive a cost and negative a rebate. Raises ``AccountingError`` for a spot sell
    larger than the holding; nothing is changed then, because nothing is mutated here.
    """
    if side is Side.SELL:
        _refuse_spot_oversell(book, quantity)
    signed = quantity if side is Side.BUY else quantity.copy_negate()
    held = book.quantity
    new_quantity = add(held, signed)
    if held == 0 or (held > 0) == (signed > 0):
        # Opening or increasing: the cost basis grows, the average becomes the weighted one.
        realised = _ZERO
        new_cost = add(book.cost_basis, multiply(signed, price))
        new_average = average(new_cost, new_quantity)
    elif quantity < held.copy_abs():
        # Partial reduction: remove the closed part at the (unchanged) average entry price.
        closed = signed.copy_negate()  # signed like the position
        removed = multiply(book.average_entry_price, closed)
        realised = subtract(multiply(price, closed), removed)
        new_cost = subtract(book.cost_basis, removed)
        new_average = book.average_entry_price
    else:
        # Close or flip: the whole cost basis goes, any remainder opens at the fill price.
        realised = subtract(multiply(price, held), book.cost_basis)
        new_cost = multiply(new_quantity, price)
        new_average = _ZERO if new_quantity == 0 else price
    if book.kind is InstrumentKind.SPOT:
        cash_change = subtract(multiply(signed, price).copy_negate(), fee)
    else:
        cash_change = subtract(realised, fee)
    updated = replace(
        book,
        quantity=new_quantity,
        cost_basis=new_cost,
        average_entry_price=new_average,
        realised_pnl=add(book.realised_pnl, realised),
        fees_paid=add(book.fees_paid, fee),
    )
    return updated, cash_change


def book_funding(book: PositionBook, rate: Decimal, mark: Decimal) -> tuple[PositionBook, Decimal]:
    """Return the book after one funding payment and the change in cash it causes.

    Sign convention: the payment is ``quantity x mark x rate`` and is paid by us when positive.
    With a positive rate longs pay and shorts receive; with a negative rate shorts pay and longs
    receive. The payment is added to ``funding_paid`` and taken from cash. Raises
    ``AccountingError`` for a spot position, which has no funding.
    """
    if book.kind is not InstrumentKind.PERPETUAL:
        raise AccountingError(
            f"funding for {book.symbol} at {book.venue}, a {book.kind.value} position: only "
            "perpetuals pay funding; check the instrument kind the funding event names"
        )
    payment = multiply(multiply(book.quantity, mark), rate)
    updated = replace(book, funding_paid=add(book.funding_paid, payment))
    return updated, payment.copy_negate()


def book_funding_payment(book: PositionBook, amount: Decimal) -> tuple[PositionBook, Decimal]:
    """Return the book after a funding payment a venue reported, and the change in cash.

    ``amount`` is in quote units, positive when we paid (as ``book_funding`` computes it from a
    rate). Raises ``AccountingError`` for a spot position, which has no funding.
    """
    if book.kind is not InstrumentKind.PERPETUAL:
        raise AccountingError(
            f"funding for {book.symbol} at {book.venue}, a {book.kind.value} position: only "
            "perpetuals pay funding; check the instrument kind the funding report names"
        )
    updated = replace(book, funding_paid=add(book.funding_paid, amount))
    return updated, amount.copy_negate()
