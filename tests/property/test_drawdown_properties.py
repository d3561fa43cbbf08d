"""Drawdown and daily loss are measured per unit: deposits and withdrawals never move them.

A deposit buys units and a withdrawal sells them at the NAV per unit of the moment (see
``aiswarm.portfolio.baselines``). So a flow alone leaves both fractions where they were, and
a loss of x % of the unit value measures x % however much money came and went before it. The
ledger rounds a rescaled baseline up in the 28th significant digit, so "where they were" is
checked exactly as "never lower, and higher by less than 1e-24".
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from aiswarm.portfolio import Portfolio
from aiswarm.types import InstrumentKind, PortfolioSnapshot, Symbol, TradeId
from kit.builders import ACCOUNT, T0, VENUE, fill, instrument

PERP = Symbol("BTC/USDT:USDT")
PERPETUAL = instrument(symbol=PERP, kind=InstrumentKind.PERPETUAL)
HAIR = Fraction(1, 10**24)
CENT = Decimal("0.01")

_CASH = st.decimals(min_value=Decimal("1000"), max_value=Decimal("1000000"), places=2)
_QUANTITY = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("10"), places=3)
_PRICE = st.decimals(min_value=Decimal("100"), max_value=Decimal("200000"), places=2)
_SHARE = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.99"), places=2)
# A flow: deposit (share of NAV, up to 5x it) or withdrawal (share of NAV, below all of it)
_FLOW = st.tuples(st.sampled_from(["deposit", "withdraw"]), _SHARE, st.integers(1, 5))


def _drawdown(snapshot: PortfolioSnapshot) -> Fraction:
    """Return 1 - NAV / peak, exactly, from the snapshot's own numbers."""
    return 1 - Fraction(snapshot.nav) / Fraction(snapshot.peak_nav)


def _daily_loss(snapshot: PortfolioSnapshot) -> Fraction:
    """Return 1 - NAV / the day's opening NAV (nav - daily_pnl), exactly."""
    return 1 - Fraction(snapshot.nav) / Fraction(snapshot.nav - snapshot.daily_pnl)


def _flow(portfolio: Portfolio, flow: tuple[str, Decimal, int]) -> None:
    """Deposit or withdraw the drawn share of NAV, in whole cents."""
    kind, share, times = flow
    nav = portfolio.nav()
    amount = (nav * share * (times if kind == "deposit" else -1)).quantize(CENT)
    portfolio.transfer(amount)


def _perpetual_account(cash: Decimal, quantity: Decimal, entry: Decimal) -> Portfolio:
    """Return ``cash`` USDT long ``quantity`` BTC perpetual from ``entry``, marked there."""
    portfolio = Portfolio(ACCOUNT)
    portfolio.transfer(cash)
    opening = fill(
        symbol=PERP, trade_id=TradeId("open"), quantity=quantity, price=entry, fee=Decimal(0)
    )
    assert portfolio.apply_fill(opening, PERPETUAL)
    portfolio.mark(VENUE, PERP, entry)
    return portfolio


@given(
    cash=_CASH,
    quantity=_QUANTITY,
    entry=_PRICE,
    marks=st.lists(_PRICE, min_size=1, max_size=6),
    flows=st.lists(_FLOW, min_size=1, max_size=6),
)
def test_flow_when_deposited_or_withdrawn_alone_then_drawdown_and_daily_loss_unchanged(
    cash: Decimal,
    quantity: Decimal,
    entry: Decimal,
    marks: list[Decimal],
    flows: list[tuple[str, Decimal, int]],
) -> None:
    # Arrange: a history of steps that set a peak and a day's opening, then some drawdown
    portfolio = _perpetual_account(cash, quantity, entry)
    moment = T0
    portfolio.snapshot(moment)
    for mark in marks:
        moment += timedelta(minutes=1)
        portfolio.mark(VENUE, PERP, mark)
        before = portfolio.snapshot(moment)
    assume(before.nav > 0)

    for flow in flows:
        # Act: a deposit or withdrawal, then the next step at the same prices
        _flow(portfolio, flow)
        moment += timedelta(minutes=1)
        after = portfolio.snapshot(moment)

        # Assert: neither fraction moved (a hair up at most, never down)
        for measure in (_drawdown, _daily_loss):
            assert measure(before) <= measure(after) <= measure(before) + HAIR
        before = after


_LOSS = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.99"), places=4)


@given(cash=_CASH, earlier=_LOSS, flows=st.lists(_FLOW, max_size=8), loss=_LOSS)
def test_loss_when_unit_value_falls_x_percent_then_measured_x_percent_whatever_the_flows(
    cash: Decimal, earlier: Decimal, flows: list[tuple[str, Decimal, int]], loss: Decimal
) -> None:
    # Arrange: 1 BTC perpetual priced far above NAV, so one mark moves NAV by any amount; the
    # unit value first falls by ``earlier`` from the peak, then money comes and goes
    entry = Decimal("1000000000000000")
    portfolio = _perpetual_account(cash, Decimal(1), entry)
    moment = T0
    portfolio.snapshot(moment)
    portfolio.mark(VENUE, PERP, entry - cash * earlier)
    for flow in flows:
        moment += timedelta(minutes=1)
        portfolio.snapshot(moment)
        _flow(portfolio, flow)

    # Act: NAV, and with it the value of a unit, falls by ``loss`` more
    nav = portfolio.nav()
    mark = portfolio.mark_price(VENUE, PERP)
    assert mark is not None
    portfolio.mark(VENUE, PERP, mark - nav * loss)
    result = portfolio.snapshot(moment + timedelta(minutes=1))

    # Assert: the unit value is (1 - earlier) x (1 - loss) of its peak, so much is measured
    assert result.nav == nav - nav * loss
    fallen = 1 - (1 - Fraction(earlier)) * (1 - Fraction(loss))
    for measure in (_drawdown, _daily_loss):
        assert fallen <= measure(result) <= fallen + HAIR
