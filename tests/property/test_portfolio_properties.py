"""Portfolio accounting against an independent recomputation, over random fills and funding.

The reference below shares no code with ``aiswarm.portfolio``: it keeps every amount as an
exact ``Fraction``, rounds an average with integer arithmetic, and checks the books two ways:

* identities that hold whatever the averaging: quantity = sum of signed fill quantities; NAV =
  deposits + sum of cash flows (-signed quantity x price - fee - funding) + quantity x mark;
  realised + unrealised = -sum(signed quantity x price) + quantity x mark per position; a
  round trip back to flat realises exactly -sum(signed quantity x price);
* the documented average-cost rule (average rounded half-even to 28 significant digits when a
  fill opens or increases a position, unchanged by reductions, the fill price after a flip),
  which fixes realised PnL to the last decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.portfolio import (
    AccountingError,
    Deposit,
    Funding,
    LedgerEvent,
    MarkPrice,
    MissingMarkError,
    Portfolio,
    replay,
)
from aiswarm.types import Fill, Instrument, InstrumentKind, Side, Symbol, TradeId
from kit.builders import ACCOUNT, T0, VENUE, fill, instrument

SPOT = instrument()
PERPETUAL = instrument(symbol=Symbol("BTC/USDT:USDT"), kind=InstrumentKind.PERPETUAL)
MARKETS = (SPOT, PERPETUAL)
INSTRUMENTS = {(market.venue, market.symbol): market for market in MARKETS}
AVERAGE_DIGITS = 28

# Small sizes in thirds and sevenths make averages that need rounding (5/3), so reductions
# after a rounded average are common; the wide ranges cover the rest.
_QUANTITIES = st.sampled_from(
    [Decimal(text) for text in ("0.001", "0.003", "0.007", "0.3", "1", "2", "3", "7")]
) | st.decimals(min_value=Decimal("0.001"), max_value=Decimal("40"), places=3)
_PRICES = st.sampled_from(
    [Decimal(text) for text in ("1", "2", "3.01", "97", "100.07")]
) | st.decimals(min_value=Decimal("0.07"), max_value=Decimal("9000"), places=2)
_FEES = st.decimals(min_value=Decimal("-2"), max_value=Decimal("9"), places=4)
_RATES = st.decimals(min_value=Decimal("-0.01"), max_value=Decimal("0.01"), places=6)
_DEPOSITS = st.decimals(min_value=Decimal("1"), max_value=Decimal("100000"), places=2)


def _round_to_digits(value: Fraction, digits: int) -> Fraction:
    """Return ``value`` rounded half-even to ``digits`` significant digits, in integers."""
    if value == 0:
        return value
    exponent = 0
    while abs(value) / Fraction(10) ** exponent >= 10**digits:
        exponent += 1
    while abs(value) / Fraction(10) ** exponent < 10 ** (digits - 1):
        exponent -= 1
    return round(value / Fraction(10) ** exponent) * Fraction(10) ** exponent


@dataclass
class _Holding:
    """The reference's view of one position, every amount an exact fraction."""

    quantity: Fraction = Fraction(0)
    basis: Fraction = Fraction(0)  # what the open quantity cost, signed like it
    entry: Fraction = Fraction(0)
    realised: Fraction = Fraction(0)
    fees: Fraction = Fraction(0)
    funding: Fraction = Fraction(0)
    traded: Fraction = Fraction(0)  # -sum(signed quantity x price): the trading cash flow


@dataclass
class _Reference:
    """Recompute the books from the accepted events alone."""

    deposits: Fraction = Fraction(0)
    holdings: dict[InstrumentKind, _Holding] = field(
        default_factory=lambda: {market.kind: _Holding() for market in MARKETS}
    )
    # The highest NAV seen at a step, in today's units: a deposit of a at NAV n scales it by
    # (n + a) / n; with n or n + a not positive, it is forgotten until the next step.
    peak: Fraction | None = None

    def book(
        self, kind: InstrumentKind, side: Side, size: Decimal, price: Decimal, fee: Decimal
    ) -> None:
        """Fold one fill: close what it closes at the entry price, open the rest at ``price``."""
        held = self.holdings[kind]
        direction = 1 if side is Side.BUY else -1
        amount, at = Fraction(size), Fraction(price)
        held.traded -= direction * amount * at
        held.fees += Fraction(fee)
        position_sign = (held.quantity > 0) - (held.quantity < 0)
        closing = min(amount, abs(held.quantity)) if position_sign == -direction else Fraction(0)
        opening = amount - closing
        if closing:
            if closing == abs(held.quantity):
                released = held.basis
            else:
                released = held.entry * closing * position_sign
            held.realised += at * closing * position_sign - released
            held.basis -= released
            held.quantity -= closing * position_sign
            if held.quantity == 0:
                held.entry = Fraction(0)
        if opening:
            if held.quantity == 0:
                held.entry = at
            held.quantity += opening * direction
            held.basis += opening * direction * at
            held.entry = _round_to_digits(held.basis / held.quantity, AVERAGE_DIGITS)

    def fund(self, rate: Decimal, mark: Decimal) -> None:
        """Charge funding on the perpetual held now: quantity x mark x rate, paid when > 0."""
        held = self.holdings[InstrumentKind.PERPETUAL]
        held.funding += held.quantity * Fraction(mark) * Fraction(rate)

    def nav(self, marks: dict[InstrumentKind, Decimal]) -> Fraction:
        """Return deposits plus every cash flow plus the holdings at ``marks``."""
        total = self.deposits
        for kind, held in self.holdings.items():
            total += held.traded - held.fees - held.funding + held.quantity * Fraction(marks[kind])
        return total

    def cash(self) -> Fraction:
        """Return cash: spot trades move it in full, perpetuals only by realised PnL."""
        total = self.deposits
        for kind, held in self.holdings.items():
            moved = held.traded if kind is InstrumentKind.SPOT else held.realised
            total += moved - held.fees - held.funding
        return total


_FILL_OP = st.tuples(
    st.just("fill"), st.sampled_from(MARKETS), st.sampled_from(Side), _QUANTITIES, _PRICES, _FEES
)
_PART_OP = st.tuples(st.just("sell_part"), st.integers(min_value=1, max_value=4), _PRICES, _FEES)
_FUNDING_OP = st.tuples(st.just("funding"), _RATES, _PRICES)
_MARK_OP = st.tuples(st.just("mark"), st.sampled_from(MARKETS), _PRICES)
_DEPOSIT_OP = st.tuples(st.just("deposit"), _DEPOSITS)
_REPEAT_OP = st.tuples(st.just("repeat"), st.integers(min_value=0))
_OPS = st.lists(
    st.one_of(_FILL_OP, _FILL_OP, _PART_OP, _FUNDING_OP, _MARK_OP, _DEPOSIT_OP, _REPEAT_OP),
    max_size=40,
)
_STEP_OP = st.tuples(st.just("step"), _PRICES, _PRICES)
_OPS_WITH_STEPS = st.lists(
    st.one_of(_FILL_OP, _FILL_OP, _MARK_OP, _MARK_OP, _DEPOSIT_OP, _FUNDING_OP, _STEP_OP),
    max_size=40,
)


@dataclass
class _Run:
    """A portfolio driven by random operations, with the reference and the log beside it."""

    portfolio: Portfolio = field(default_factory=lambda: Portfolio(ACCOUNT))
    reference: _Reference = field(default_factory=_Reference)
    log: list[LedgerEvent] = field(default_factory=list)
    booked: list[tuple[Fill, Instrument]] = field(default_factory=list)

    def deposit(self, amount: Decimal) -> None:
        """Deposit ``amount`` in both books, or check it is refused while NAV is unknown."""
        reference = self.reference
        if reference.peak is not None:
            marks = {m.kind: self.portfolio.mark_price(m.venue, m.symbol) for m in MARKETS}
            if any(
                marks[kind] is None and held.quantity for kind, held in reference.holdings.items()
            ):
                with pytest.raises(MissingMarkError):
                    self.portfolio.transfer(amount)
                return
            before = reference.nav({kind: mark or Decimal(0) for kind, mark in marks.items()})
            after = before + Fraction(amount)
            reference.peak = reference.peak * after / before if before > 0 < after else None
        self.portfolio.transfer(amount)
        reference.deposits += Fraction(amount)
        self.log.append(Deposit(amount=amount, ts_event=T0, ts_init=T0))

    def trade(
        self, market: Instrument, side: Side, size: Decimal, price: Decimal, fee: Decimal
    ) -> None:
        """Book a new fill, or check that an oversold spot sell is refused and changes nothing."""
        trade = fill(
            symbol=market.symbol,
            trade_id=TradeId(f"t-{len(self.log)}"),
            side=side,
            quantity=size,
            price=price,
            fee=fee,
        )
        held = self.reference.holdings[market.kind].quantity
        if market.kind is InstrumentKind.SPOT and side is Side.SELL and Fraction(size) > held:
            before = _state(self.portfolio)
            with pytest.raises(AccountingError, match="cannot go short"):
                self.portfolio.apply_fill(trade, market)
            assert _state(self.portfolio) == before
            return
        assert self.portfolio.apply_fill(trade, market)
        self.reference.book(market.kind, side, size, price, fee)
        self.log.append(trade)
        self.booked.append((trade, market))

    def fund(self, rate: Decimal, mark: Decimal) -> None:
        """Apply funding at a new time in both books."""
        moment = T0 + timedelta(minutes=len(self.log))
        assert self.portfolio.apply_funding(
            VENUE, PERPETUAL.symbol, rate=rate, mark=mark, ts=moment
        )
        self.reference.fund(rate, mark)
        self.log.append(
            Funding(
                venue=VENUE,
                symbol=PERPETUAL.symbol,
                rate=rate,
                mark=mark,
                ts_event=moment,
                ts_init=moment,
            )
        )

    def mark(self, market: Instrument, price: Decimal) -> None:
        """Mark ``market`` at ``price``."""
        self.portfolio.mark(market.venue, market.symbol, price)
        self.log.append(
            MarkPrice(
                venue=market.venue, symbol=market.symbol, price=price, ts_event=T0, ts_init=T0
            )
        )

    def step(self, prices: tuple[Decimal, Decimal]) -> None:
        """Mark every market, then take the step's snapshot, as the runtime does each step."""
        for market, price in zip(MARKETS, prices, strict=True):
            self.mark(market, price)
        taken = self.portfolio.snapshot(T0)
        nav = self.reference.nav({m.kind: price for m, price in zip(MARKETS, prices, strict=True)})
        peak = self.reference.peak
        self.reference.peak = nav if peak is None else max(peak, nav)
        assert Fraction(taken.nav) == nav
        _assert_peak(taken.peak_nav, self.reference.peak)

    def repeat(self, index: int) -> None:
        """Apply an already booked fill again and check that nothing changes."""
        if not self.booked:
            return
        trade, market = self.booked[index % len(self.booked)]
        before = _state(self.portfolio)
        assert self.portfolio.apply_fill(trade, market) is False
        assert _state(self.portfolio) == before
        self.log.append(trade)

    def run(self, ops: list[tuple[object, ...]]) -> None:
        """Drive both books through ``ops``."""
        for op in ops:
            match op:
                case (
                    "fill",
                    Instrument() as market,
                    Side() as side,
                    Decimal() as size,
                    Decimal() as price,
                    Decimal() as fee,
                ):
                    self.trade(market, side, size, price, fee)
                case ("sell_part", int(quarters), Decimal() as price, Decimal() as fee):
                    held = Decimal(self.reference.holdings[InstrumentKind.SPOT].quantity.numerator)
                    held /= self.reference.holdings[InstrumentKind.SPOT].quantity.denominator
                    if held > 0:
                        self.trade(SPOT, Side.SELL, held * quarters / 4, price, fee)
                case ("funding", Decimal() as rate, Decimal() as mark):
                    self.fund(rate, mark)
                case ("mark", Instrument() as market, Decimal() as price):
                    self.mark(market, price)
                case ("deposit", Decimal() as amount):
                    self.deposit(amount)
                case ("repeat", int(index)):
                    self.repeat(index)
                case ("step", Decimal() as spot_price, Decimal() as perpetual_price):
                    self.step((spot_price, perpetual_price))
                case _:
                    raise AssertionError(f"unknown op {op}")


def _assert_peak(peak: Decimal, expected: Fraction) -> None:
    """Check the ledger's peak: exact, or rounded up in the 28th digit after deposits."""
    assert expected <= Fraction(peak) <= expected + abs(expected) / 10**25


def _state(portfolio: Portfolio) -> tuple[object, ...]:
    """Return everything an applied event could change, without observing NAV."""
    return (
        portfolio.cash,
        portfolio.total_fees,
        tuple(portfolio.position(market.venue, market.symbol) for market in MARKETS),
        tuple(portfolio.mark_price(market.venue, market.symbol) for market in MARKETS),
    )


@given(start=_DEPOSITS, ops=_OPS, marks=st.tuples(_PRICES, _PRICES))
def test_random_books_when_recomputed_independently_then_equal_to_the_last_decimal(
    start: Decimal, ops: list[tuple[object, ...]], marks: tuple[Decimal, Decimal]
) -> None:
    # Arrange
    run = _Run()
    run.deposit(start)

    # Act
    run.run(ops)
    for market, price in zip(MARKETS, marks, strict=True):
        run.mark(market, price)
    result = run.portfolio.snapshot(T0)

    # Assert
    reference = run.reference
    at = {market.kind: price for market, price in zip(MARKETS, marks, strict=True)}
    assert Fraction(result.cash) == reference.cash()
    assert Fraction(result.nav) == reference.nav(at)
    assert Fraction(run.portfolio.total_fees) == sum(h.fees for h in reference.holdings.values())
    gross = net = Fraction(0)
    for market in MARKETS:
        held = reference.holdings[market.kind]
        position = run.portfolio.position(market.venue, market.symbol)
        if position is None:
            assert held == _Holding()
            continue
        mark = Fraction(at[market.kind])
        unrealised = Fraction(run.portfolio.unrealised_pnl(market.venue, market.symbol))
        assert Fraction(position.quantity) == held.quantity
        assert Fraction(position.average_entry_price) == held.entry
        assert Fraction(position.realised_pnl) == held.realised
        assert Fraction(position.fees_paid) == held.fees
        assert Fraction(position.funding_paid) == held.funding
        assert unrealised == held.quantity * mark - held.basis
        assert Fraction(position.realised_pnl) + unrealised == held.traded + held.quantity * mark
        gross += abs(held.quantity * mark)
        net += held.quantity * mark
    assert Fraction(result.gross_exposure) == gross
    assert Fraction(result.net_exposure) == net
    assert result.peak_nav >= result.nav
    assert run.portfolio.marked_nav() == result.nav
    assert run.portfolio.has_open_positions() == any(
        held.quantity != 0 for held in reference.holdings.values()
    )


@given(start=_DEPOSITS, ops=_OPS, exits=st.tuples(_PRICES, _PRICES))
def test_round_trip_when_closed_to_flat_then_realised_is_minus_sum_of_trades(
    start: Decimal, ops: list[tuple[object, ...]], exits: tuple[Decimal, Decimal]
) -> None:
    # Arrange
    run = _Run()
    run.deposit(start)
    run.run(ops)

    # Act: close whatever is open, without a fee
    for market, price in zip(MARKETS, exits, strict=True):
        held = run.reference.holdings[market.kind].quantity
        if held:
            size = Decimal(abs(held.numerator)) / Decimal(held.denominator)
            run.trade(market, Side.SELL if held > 0 else Side.BUY, size, price, Decimal(0))

    # Assert
    for market in MARKETS:
        position = run.portfolio.position(market.venue, market.symbol)
        if position is None:
            continue
        held = run.reference.holdings[market.kind]
        assert position.is_flat
        assert position.average_entry_price == 0
        assert Fraction(position.realised_pnl) == held.traded
    assert run.portfolio.missing_marks() == ()
    assert Fraction(run.portfolio.nav()) == run.reference.nav({m.kind: Decimal(1) for m in MARKETS})


@given(start=_DEPOSITS, ops=_OPS, marks=st.tuples(_PRICES, _PRICES))
def test_folding_the_log_when_replayed_then_equals_applying_events_one_by_one(
    start: Decimal, ops: list[tuple[object, ...]], marks: tuple[Decimal, Decimal]
) -> None:
    # Arrange
    run = _Run()
    run.deposit(start)
    run.run(ops)
    for market, price in zip(MARKETS, marks, strict=True):
        run.mark(market, price)

    # Act
    rebuilt = replay(ACCOUNT, run.log, INSTRUMENTS)

    # Assert
    assert _state(rebuilt) == _state(run.portfolio)
    assert rebuilt.snapshot(T0) == run.portfolio.snapshot(T0)


@given(start=_DEPOSITS, ops=_OPS)
def test_log_when_replayed_twice_over_then_duplicates_change_nothing(
    start: Decimal, ops: list[tuple[object, ...]]
) -> None:
    # Arrange
    run = _Run()
    run.deposit(start)
    run.run(ops)
    without_deposits = [event for event in run.log if not isinstance(event, Deposit)]

    # Act: every fill and funding event delivered a second time
    rebuilt = replay(ACCOUNT, [*run.log, *without_deposits], INSTRUMENTS)

    # Assert
    assert _state(rebuilt) == _state(run.portfolio)


@given(start=_DEPOSITS, ops=_OPS_WITH_STEPS)
def test_peak_when_marks_fall_between_steps_then_only_step_snapshots_observe_nav(
    start: Decimal, ops: list[tuple[object, ...]]
) -> None:
    # Arrange
    run = _Run()
    run.deposit(start)

    # Act: every step checks its snapshot's NAV and peak against the reference (see ``step``)
    run.run(ops)

    # Assert: marks between steps (the lone "mark" ops) never moved the peak
    peak, _, _ = run.portfolio.baselines()
    expected = run.reference.peak
    assert (peak is None) == (expected is None)
    if peak is not None:
        assert expected is not None
        _assert_peak(peak, expected)
