"""Keep one account's books: cash, positions, marks, NAV, peak, drawdown and daily PnL. No I/O.

``Portfolio`` is mutable and has a single owner (the runtime's portfolio task); everyone else
reads frozen ``Position`` and ``PortfolioSnapshot`` values from it. It is fed by four inputs:

* ``transfer(amount, nav)``: collateral and spot quote cash moved in (a deposit) or out (a
  withdrawal), in quote units (USD-equivalent);
* ``apply_fill(fill, instrument)``: deduplicated by (venue, trade id), so a fill delivered twice
  (a reconnect, a replay, the fills stream and a query both reporting it) is booked once;
  ``take_fill`` is the same for a fill the venue reports, except that a fill the books cannot
  take is held aside as an ``AccountingBreak`` instead of raising (see ``breaks``);
* ``apply_funding(venue, symbol, rate=, mark=, ts=)``: perpetual funding, deduplicated by
  (venue, symbol, funding time); longs pay when the rate is positive; ``take_funding_payment``
  books a payment the venue reported, holding aside one the books cannot take as a
  ``FundingBreak``;
* ``mark(venue, symbol, price)``: the prices positions are valued at.

All arithmetic is exact (``exact``); how fills fold into a position is in ``position_book``.

Valuation fails closed. NAV is cash + market value of spot holdings + unrealised PnL of
perpetuals; an open position without a mark would need an invented price, so ``snapshot`` and
``nav`` raise ``MissingMarkError`` naming every such position, and ``missing_marks()`` lets a
caller ask first. Risk never sees a made-up NAV. A fill held aside as a break is in no
position, no cash and no NAV: the venue's view and ours disagree, and nothing is guessed.

Peak NAV is the highest NAV observed at a ``snapshot``; the runtime takes one per step, after
marking every symbol, so each step's NAV is observed once. ``mark`` only stores the price: it
costs the same whatever the book holds, so marking N symbols costs O(N), not O(N^2) (the book
is valued once, at the snapshot). Observing the peak at each mark was also wrong, not only
slow: a step's marks arrive one symbol at a time, and a book half way through them mixes this
step's prices with the last step's, a NAV the account never had. A hedged book whose legs both
rise showed a phantom high after its first leg was marked, and a drawdown from it after the
second. Daily PnL is NAV minus the NAV of the first snapshot of the UTC day that the snapshot's
``now`` falls in. A transfer is neither profit nor loss: drawdown and daily loss are measured
per unit (``baselines``), so the peak and the day's opening NAV are kept in today's units and a
deposit or withdrawal moves neither fraction. Leverage is ``PortfolioSnapshot.leverage`` (gross
exposure / NAV, divided once).
"""

from __future__ import annotations

from collections.abc import KeysView
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

from aiswarm.portfolio.baselines import Baselines
from aiswarm.portfolio.errors import (
    AccountingBreak,
    AccountingError,
    FundingBreak,
    MissingMarkError,
)
from aiswarm.portfolio.exact import add, multiply, subtract
from aiswarm.portfolio.position_book import (
    PositionBook,
    book_fill,
    book_funding,
    book_funding_payment,
)
from aiswarm.types import (
    AccountId,
    Fill,
    Instrument,
    InstrumentKind,
    PortfolioSnapshot,
    Position,
    Symbol,
    TradeId,
    VenueId,
    to_decimal,
)

__all__ = ["Portfolio"]

_ZERO = Decimal(0)

_Key = tuple[VenueId, Symbol]


class _Valuation(NamedTuple):
    """NAV and exposures at the current marks, in quote units, and the open positions' keys."""

    nav: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal
    open_keys: list[_Key]


def _trade_terms(fill: Fill) -> tuple[object, ...]:
    """Return the fields that must agree when a trade id is reported again.

    Timestamps and order ids are left out: a re-delivered fill may carry a later ``ts_init``.
    """
    return (
        fill.account,
        fill.symbol,
        fill.side,
        fill.quantity,
        fill.price,
        fill.fee,
        fill.fee_currency.upper(),
    )


def _positive(value: Decimal, name: str) -> Decimal:
    """Return ``value`` as an exact Decimal, or raise ValueError when it is not above 0."""
    number = to_decimal(value, name)
    if number <= 0:
        raise ValueError(f"{name}={number} is not positive: pass a price or amount above 0")
    return number


def _worth(book: PositionBook, market_value: Decimal) -> Decimal:
    """Return what an open book adds to NAV at ``market_value`` (quantity x mark).

    Spot holdings are worth their market value; a perpetual only its unrealised PnL (market
    value - cost basis), because its notional was never paid out of cash.
    """
    if book.kind is InstrumentKind.SPOT:
        return market_value
    return subtract(market_value, book.cost_basis)


class Portfolio:
    """One account's cash and positions, keyed by (venue, symbol); see the module docstring."""

    __slots__ = (
        "_account",
        "_baselines",
        "_books",
        "_breaks",
        "_broken",
        "_broken_funding",
        "_cash",
        "_fills_seen",
        "_funding_seen",
        "_marks",
        "_open",
        "_positions",
    )

    def __init__(self, account: AccountId) -> None:
        self._account = account
        self._cash = _ZERO
        self._books: dict[_Key, PositionBook] = {}
        # The books that are not flat: only these move NAV, so valuing walks them alone.
        self._open: dict[_Key, PositionBook] = {}
        self._positions: dict[_Key, Position] = {}  # built lazily from the books
        self._marks: dict[_Key, Decimal] = {}
        self._fills_seen: dict[tuple[VenueId, TradeId], tuple[object, ...]] = {}
        self._funding_seen: set[tuple[VenueId, Symbol, datetime]] = set()
        # Fills and funding held aside, in order, and their keys: read every step, rarely set.
        self._breaks: tuple[AccountingBreak | FundingBreak, ...] = ()
        self._broken: set[tuple[VenueId, TradeId]] = set()
        self._broken_funding: set[tuple[VenueId, Symbol, datetime]] = set()
        self._baselines = Baselines()

    @property
    def account(self) -> AccountId:
        """Return the account these books belong to."""
        return self._account

    @property
    def cash(self) -> Decimal:
        """Return cash in quote units: spot quote balance plus perpetual collateral."""
        return self._cash

    @property
    def total_fees(self) -> Decimal:
        """Return all fees paid across positions, net of rebates (quote units)."""
        total = _ZERO
        for book in self._books.values():
            total = add(total, book.fees_paid)
        return total

    @property
    def breaks(self) -> tuple[AccountingBreak | FundingBreak, ...]:
        """Return the fills and funding payments held aside as the books could not take them.

        Oldest first.
        """
        return self._breaks

    def transfer(self, amount: Decimal, nav: Decimal | None = None) -> None:
        """Move ``amount`` (quote units) into cash, or out of it when negative.

        The flow buys or sells units at ``nav``, the NAV just before it: the recorded one when
        a log is replayed, else (None) the NAV at the current marks. Neither drawdown nor daily
        loss moves (see ``baselines``). Before anything is observed no NAV is needed. Raises
        ValueError for 0 and ``MissingMarkError`` when ``nav`` is None and an open position has
        no mark; nothing changes then.
        """
        value = to_decimal(amount, "amount")
        if value == 0:
            raise ValueError("amount=0 moves nothing: pass a deposit above 0 or a withdrawal below")
        if not self._baselines.is_empty():
            before = self.nav() if nav is None else to_decimal(nav, "nav")
            self._baselines.rescale(before, add(before, value))
        self._cash = add(self._cash, value)

    def apply_fill(self, fill: Fill, instrument: Instrument) -> bool:
        """Book ``fill`` on ``instrument``; return False when its trade id was already booked.

        Raises ``AccountingError``, leaving everything unchanged, when the fill belongs to
        another account or instrument, when its trade id was booked before with different
        terms, when its fee is in a currency other than the instrument's quote, or when it
        sells more spot than is held.
        """
        trade_key = (fill.venue, fill.trade_id)
        terms = _trade_terms(fill)
        booked = self._fills_seen.get(trade_key)
        if booked is not None:
            if booked != terms:
                raise AccountingError(
                    f"trade_id={fill.trade_id} at {fill.venue} was already booked as {booked} "
                    f"and is now reported as {terms}: the venue reused a trade id or a fill "
                    "was altered; reconcile with the venue before trading"
                )
            return False
        key = self._check_fill(fill, instrument)
        book = self._books.get(key) or PositionBook(fill.venue, fill.symbol, instrument.kind)
        updated, cash_change = book_fill(book, fill.side, fill.quantity, fill.price, fill.fee)
        new_cash = add(self._cash, cash_change)
        self._store(key, updated)
        self._cash = new_cash
        self._fills_seen[trade_key] = terms
        return True

    def take_fill(self, fill: Fill, instrument: Instrument | None) -> AccountingBreak | None:
        """Book a fill the venue reported; return the break when the books cannot take it.

        The venue made the fill, so it is never refused: a fill ``apply_fill`` would refuse (or
        one for an instrument that is not configured, ``instrument`` None) is held aside in
        ``breaks``, unbooked, once per (venue, trade id), and everything else stays as it was.
        Returns None when the fill was booked, or was booked or held aside before.
        """
        trade_key = (fill.venue, fill.trade_id)
        if trade_key in self._broken:
            return None
        try:
            if instrument is None:
                raise AccountingError(
                    f"fill trade_id={fill.trade_id} is for {fill.symbol} at {fill.venue}, which "
                    "has no instrument configured: add it to the instrument configuration"
                )
            self.apply_fill(fill, instrument)
        except AccountingError as exc:
            held = AccountingBreak(fill, str(exc))
            self._breaks += (held,)
            self._broken.add(trade_key)
            return held
        return None

    def _store(self, key: _Key, book: PositionBook) -> None:
        """Replace the book at ``key``; keep the open-book index and the position cache true."""
        self._books[key] = book
        self._positions.pop(key, None)
        if book.is_flat:
            self._open.pop(key, None)
        else:
            self._open[key] = book

    def _check_fill(self, fill: Fill, instrument: Instrument) -> _Key:
        """Return the fill's position key, or raise when the fill cannot be booked as given."""
        if fill.account != self._account:
            raise AccountingError(
                f"fill trade_id={fill.trade_id} is for account={fill.account}, not "
                f"{self._account}: route fills to their own account's portfolio"
            )
        if (fill.venue, fill.symbol) != (instrument.venue, instrument.symbol):
            raise AccountingError(
                f"fill trade_id={fill.trade_id} is for {fill.symbol} at {fill.venue} but the "
                f"instrument is {instrument.symbol} at {instrument.venue}: pass the fill's own "
                "instrument"
            )
        if fill.fee != 0 and fill.fee_currency.upper() != instrument.quote.upper():
            raise AccountingError(
                f"fill trade_id={fill.trade_id} charges fee={fill.fee} {fill.fee_currency}, "
                f"not in the quote currency {instrument.quote}: convert the fee to "
                f"{instrument.quote} before booking it"
            )
        key = (fill.venue, fill.symbol)
        book = self._books.get(key)
        if book is not None and book.kind is not instrument.kind:
            raise AccountingError(
                f"{fill.symbol} at {fill.venue} is booked as {book.kind.value} but the fill's "
                f"instrument says {instrument.kind.value}: fix the instrument configuration"
            )
        return key

    def apply_funding(
        self, venue: VenueId, symbol: Symbol, *, rate: Decimal, mark: Decimal, ts: datetime
    ) -> bool:
        """Book one perpetual funding payment; return False when (venue, symbol, ts) was booked.

        The payment is ``position quantity x mark x rate`` (quote units). Positive means we pay:
        with a positive rate longs pay and shorts receive. It is taken from cash and added to
        the position's ``funding_paid``. With no position the payment is 0. Raises
        ``AccountingError`` for a spot position and ValueError for a naive ``ts``.
        """
        funding_rate = to_decimal(rate, "rate")
        funding_mark = _positive(mark, "mark")
        if ts.tzinfo is None:
            raise ValueError(f"ts={ts.isoformat()} has no time zone: pass an aware UTC datetime")
        funding_key = (venue, symbol, ts.astimezone(UTC))
        if funding_key in self._funding_seen:
            return False
        key = (venue, symbol)
        book = self._books.get(key)
        if book is not None:
            updated, cash_change = book_funding(book, funding_rate, funding_mark)
            new_cash = add(self._cash, cash_change)
            self._store(key, updated)
            self._cash = new_cash
        self._funding_seen.add(funding_key)
        return True

    def apply_funding_payment(
        self, venue: VenueId, symbol: Symbol, *, amount: Decimal, ts: datetime
    ) -> bool:
        """Book a funding payment a venue reported (``amount`` > 0: we paid); False if seen.

        The venue computed the payment, so no rate or mark is needed; it is deduplicated by
        (venue, symbol, ts) like ``apply_funding``.
        """
        payment = to_decimal(amount, "amount")
        if ts.tzinfo is None:
            raise ValueError(f"ts={ts.isoformat()} has no time zone: pass an aware UTC datetime")
        funding_key = (venue, symbol, ts.astimezone(UTC))
        if funding_key in self._funding_seen:
            return False
        key = (venue, symbol)
        book = self._books.get(key)
        if book is not None:
            updated, cash_change = book_funding_payment(book, payment)
            new_cash = add(self._cash, cash_change)
            self._store(key, updated)
            self._cash = new_cash
        self._funding_seen.add(funding_key)
        return True

    def take_funding_payment(
        self, venue: VenueId, symbol: Symbol, *, amount: Decimal, ts: datetime
    ) -> FundingBreak | None:
        """Book a funding payment a venue reported; return the break when the books cannot.

        The venue moved the money, so it is never refused: a payment ``apply_funding_payment``
        would refuse (funding on a spot book: a misconfigured instrument kind), or an amount
        that is not a finite number, is held aside in ``breaks``, unbooked, once per (venue,
        symbol, ts), and everything else stays as it was. Returns None when it was booked, or
        was booked or held aside before.
        """
        funding_key = (venue, symbol, ts.astimezone(UTC))
        if funding_key in self._broken_funding:
            return None
        try:
            if not amount.is_finite():
                raise AccountingError(
                    f"funding for {symbol} at {venue} at {ts.isoformat()} reports "
                    f"amount={amount}, not a number: reconcile the payment with the venue"
                )
            self.apply_funding_payment(venue, symbol, amount=amount, ts=ts)
        except AccountingError as exc:
            held = FundingBreak(venue, symbol, amount, funding_key[2], str(exc))
            self._breaks += (held,)
            self._broken_funding.add(funding_key)
            return held
        return None

    def baselines(self) -> tuple[Decimal | None, date | None, Decimal | None]:
        """Return (peak NAV, current UTC trading day, that day's opening NAV) for checkpoints.

        Both NAVs are in today's units (see ``baselines``). They are observations, not facts
        derived from fills, so the runtime records them and hands them back to
        ``restore_baselines`` after a restart: otherwise a restart would forget the peak and
        the day's opening NAV, and with them the drawdown and daily-loss protection.
        """
        return self._baselines.values

    def restore_baselines(
        self, peak_nav: Decimal | None, day: date | None, day_open_nav: Decimal | None
    ) -> None:
        """Reinstate recorded baselines (a higher peak observed since is kept)."""
        self._baselines.restore(peak_nav, day, day_open_nav)

    def mark(self, venue: VenueId, symbol: Symbol, price: Decimal) -> None:
        """Set the mark price of (venue, symbol); NAV and the peak wait for ``snapshot``."""
        self._marks[(venue, symbol)] = _positive(price, "price")

    def mark_price(self, venue: VenueId, symbol: Symbol) -> Decimal | None:
        """Return the last mark price of (venue, symbol), or None when none was given."""
        return self._marks.get((venue, symbol))

    def position(self, venue: VenueId, symbol: Symbol) -> Position | None:
        """Return the position in (venue, symbol), flat if it was closed; None if never traded."""
        key = (venue, symbol)
        book = self._books.get(key)
        return None if book is None else self._position_of(key, book)

    def _position_of(self, key: _Key, book: PositionBook) -> Position:
        """Return the frozen ``Position`` for ``book``, built once per change of the book."""
        cached = self._positions.get(key)
        if cached is None:
            cached = self._positions[key] = book.to_position(self._account)
        return cached

    def unrealised_pnl(self, venue: VenueId, symbol: Symbol) -> Decimal:
        """Return ``quantity x mark - cost basis`` for (venue, symbol); 0 when flat.

        Raises ``MissingMarkError`` for an open position without a mark.
        """
        book = self._books.get((venue, symbol))
        if book is None or book.is_flat:
            return _ZERO
        mark = self._marks.get((venue, symbol))
        if mark is None:
            raise MissingMarkError(((venue, symbol),))
        return book.unrealised_pnl(mark)

    def has_open_positions(self) -> bool:
        """Return True while any position is not flat (only then can a mark move NAV)."""
        return bool(self._open)

    def open_markets(self) -> KeysView[_Key]:
        """Return the (venue, symbol) of every open position, in the order they opened."""
        return self._open.keys()

    def missing_marks(self) -> tuple[_Key, ...]:
        """Return the open positions that have no mark price, sorted; empty when NAV is known."""
        marks = self._marks
        return tuple(sorted(key for key in self._open if key not in marks))

    def nav(self) -> Decimal:
        """Return NAV at the current marks; raise ``MissingMarkError`` when one is missing."""
        return self._value().nav

    def marked_nav(self) -> Decimal | None:
        """Return NAV at the current marks, or None while an open position has no mark.

        The same sum as ``nav`` in one pass without exposures: what a step needs to see
        whether anything can have changed since the last full valuation.
        """
        marks = self._marks
        nav = self._cash
        for key, book in self._open.items():
            mark = marks.get(key)
            if mark is None:
                return None
            nav = add(nav, _worth(book, multiply(book.quantity, mark)))
        return nav

    def snapshot(self, now: datetime) -> PortfolioSnapshot:
        """Return the account at ``now`` (UTC) and record it as an observation of NAV.

        Raises the peak to NAV if NAV is higher, and starts a new trading day at the first
        snapshot whose ``now`` falls on a later UTC date. Open positions only; flat ones stay
        readable through ``position``. Raises ``MissingMarkError`` for an unmarked open
        position and ValueError for a naive ``now`` or one on a UTC date before the current
        trading day; nothing is recorded then.
        """
        if now.tzinfo is None:
            raise ValueError(f"now={now.isoformat()} has no time zone: pass an aware UTC datetime")
        moment = now.astimezone(UTC)
        value = self._value()
        today = moment.date()
        day = self._baselines.values[1]
        if day is not None and today < day:
            raise ValueError(
                f"now={moment.isoformat()} falls before the current trading day {day}: "
                "snapshots must not go back in time; check the clock passed in"
            )
        peak_nav, day_open_nav = self._baselines.observe(value.nav, today)
        books = self._books
        positions = tuple(self._position_of(key, books[key]) for key in sorted(value.open_keys))
        # Built without re-validation: every field is the ledger's own exact arithmetic, and the
        # invariants the model checks (peak >= NAV, each market held once) hold by construction.
        # Validating cost more than the rest of a backtest step, which takes one per step.
        return PortfolioSnapshot.model_construct(
            ts=moment,
            account=self._account,
            cash=self._cash,
            positions=positions,
            nav=value.nav,
            peak_nav=peak_nav,
            gross_exposure=value.gross_exposure,
            net_exposure=value.net_exposure,
            daily_pnl=subtract(value.nav, day_open_nav),
        )

    def _value(self) -> _Valuation:
        """Return NAV and exposures at the current marks, or raise ``MissingMarkError``.

        One pass over the open books, in the order they opened: the sums are exact, and adding
        in the same order every time gives the same Decimal (exponent included) every time.
        """
        marks = self._marks
        nav = self._cash
        gross = net = _ZERO
        open_keys: list[_Key] = []
        missing: list[_Key] = []
        for key, book in self._open.items():
            quantity = book.quantity
            mark = marks.get(key)
            if mark is None:
                missing.append(key)
                continue
            open_keys.append(key)
            market_value = multiply(quantity, mark)
            gross = add(gross, market_value.copy_abs())
            net = add(net, market_value)
            nav = add(nav, _worth(book, market_value))
        if missing:
            raise MissingMarkError(tuple(sorted(missing)))
        return _Valuation(nav, gross, net, open_keys)
