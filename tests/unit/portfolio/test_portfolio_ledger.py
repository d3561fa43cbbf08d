"""Portfolio books: spot and perpetual fills, fees, funding, dedup, marks, NAV, peak, day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from aiswarm.portfolio import AccountingError, MissingMarkError, Portfolio
from aiswarm.types import Fill, Instrument, InstrumentKind, Side, Symbol, TradeId, VenueId
from kit.builders import ACCOUNT, SYMBOL, T0, VENUE, fill, instrument

PERP = Symbol("BTC/USDT:USDT")
SPOT = instrument()
PERPETUAL = instrument(symbol=PERP, kind=InstrumentKind.PERPETUAL)


def perp_fill(**overrides: Any) -> Fill:
    """Return a perpetual fill with no fee unless a test is about fees."""
    return fill(**({"symbol": PERP, "fee": Decimal(0)} | overrides))


def spot_fill(**overrides: Any) -> Fill:
    """Return a spot fill with no fee unless a test is about fees."""
    return fill(**({"fee": Decimal(0)} | overrides))


def funded(cash: str = "10000") -> Portfolio:
    """Return a portfolio holding ``cash`` USDT and nothing else."""
    portfolio = Portfolio(ACCOUNT)
    portfolio.transfer(Decimal(cash))
    return portfolio


def book(portfolio: Portfolio, market: Instrument, *fills: Fill) -> None:
    """Apply ``fills`` in order on ``market``."""
    for each in fills:
        assert portfolio.apply_fill(each, market)


# --- spot -------------------------------------------------------------------------------------


def test_spot_buy_when_filled_then_spends_quantity_times_price_plus_fee() -> None:
    # Arrange
    portfolio = funded()

    # Act
    booked = portfolio.apply_fill(
        fill(quantity=Decimal("0.1"), price=Decimal("50000"), fee=Decimal("2.5")), SPOT
    )

    # Assert
    assert booked is True
    assert portfolio.cash == Decimal("4997.5")
    held = portfolio.position(VENUE, SYMBOL)
    assert held is not None
    assert held.quantity == Decimal("0.1")
    assert held.average_entry_price == Decimal("50000")
    assert held.fees_paid == Decimal("2.5")
    assert portfolio.total_fees == Decimal("2.5")


def test_spot_sell_when_filled_then_receives_proceeds_less_fee_and_realises_pnl() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, SPOT, spot_fill(quantity=Decimal("0.1"), price=Decimal("50000")))

    # Act
    portfolio.apply_fill(
        fill(
            trade_id=TradeId("t-2"),
            side=Side.SELL,
            quantity=Decimal("0.04"),
            price=Decimal("55000"),
            fee=Decimal("1"),
        ),
        SPOT,
    )

    # Assert
    assert portfolio.cash == Decimal("5000") + Decimal("2200") - Decimal("1")
    held = portfolio.position(VENUE, SYMBOL)
    assert held is not None
    assert held.quantity == Decimal("0.06")
    assert held.average_entry_price == Decimal("50000")
    assert held.realised_pnl == Decimal("200")  # (55000 - 50000) x 0.04


def test_spot_sell_when_larger_than_holding_then_refused_naming_quantities() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, SPOT, spot_fill(quantity=Decimal("0.1")))
    oversell = spot_fill(trade_id=TradeId("t-2"), side=Side.SELL, quantity=Decimal("0.3"))

    # Act / Assert
    with pytest.raises(AccountingError, match=r"quantity=0\.3 .* holding quantity=0\.1"):
        portfolio.apply_fill(oversell, SPOT)
    held = portfolio.position(VENUE, SYMBOL)
    assert held is not None
    assert held.quantity == Decimal("0.1")
    assert portfolio.cash == Decimal("5000")


def test_spot_sell_when_refused_then_trade_id_not_marked_as_booked() -> None:
    # Arrange
    portfolio = funded()
    oversell = spot_fill(side=Side.SELL, quantity=Decimal("0.3"))
    with pytest.raises(AccountingError):
        portfolio.apply_fill(oversell, SPOT)

    # Act: the same trade id is still refused for the same reason, not skipped as a duplicate
    with pytest.raises(AccountingError, match="cannot go short"):
        portfolio.apply_fill(oversell, SPOT)


def test_take_fill_when_spot_oversold_then_held_aside_once_and_books_unchanged() -> None:
    # Arrange: 0.1 BTC held; the venue reports a sale of 0.5
    portfolio = funded()
    book(portfolio, SPOT, spot_fill(quantity=Decimal("0.1")))
    oversell = spot_fill(trade_id=TradeId("t-2"), side=Side.SELL, quantity=Decimal("0.5"))

    # Act
    first = portfolio.take_fill(oversell, SPOT)
    again = portfolio.take_fill(oversell, SPOT)

    # Assert: a break naming why, kept once; positions and cash as before
    assert first is not None
    assert first.fill == oversell
    assert "quantity=0.5" in first.reason
    assert "cannot go short" in first.reason
    assert again is None
    assert portfolio.breaks == (first,)
    held = portfolio.position(VENUE, SYMBOL)
    assert held is not None
    assert held.quantity == Decimal("0.1")
    assert portfolio.cash == Decimal("5000")


def test_take_fill_when_instrument_unknown_then_held_aside_naming_the_market() -> None:
    # Act
    held_aside = funded().take_fill(spot_fill(), None)

    # Assert
    assert held_aside is not None
    assert "BTC/USDT at binance, which has no instrument configured" in held_aside.reason


def test_take_fill_when_bookable_then_booked_and_no_break() -> None:
    # Arrange
    portfolio = funded()

    # Act
    held_aside = portfolio.take_fill(spot_fill(quantity=Decimal("0.1")), SPOT)

    # Assert
    assert held_aside is None
    assert portfolio.breaks == ()
    held = portfolio.position(VENUE, SYMBOL)
    assert held is not None
    assert held.quantity == Decimal("0.1")


def test_spot_when_sold_to_flat_then_position_flat_and_not_in_snapshot() -> None:
    # Arrange
    portfolio = funded()
    book(
        portfolio,
        SPOT,
        spot_fill(quantity=Decimal("0.1"), price=Decimal("50000")),
        spot_fill(
            trade_id=TradeId("t-2"), side=Side.SELL, quantity=Decimal("0.1"), price=Decimal("51000")
        ),
    )

    # Act
    result = portfolio.snapshot(T0)

    # Assert
    held = portfolio.position(VENUE, SYMBOL)
    assert held is not None
    assert held.is_flat
    assert held.average_entry_price == 0
    assert held.realised_pnl == Decimal("100")
    assert result.positions == ()
    assert result.nav == Decimal("10100")


def test_spot_nav_when_marked_then_cash_plus_market_value() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, SPOT, spot_fill(quantity=Decimal("0.1"), price=Decimal("50000")))

    # Act
    portfolio.mark(VENUE, SYMBOL, Decimal("60000"))

    # Assert
    assert portfolio.nav() == Decimal("5000") + Decimal("6000")
    assert portfolio.unrealised_pnl(VENUE, SYMBOL) == Decimal("1000")


# --- perpetuals --------------------------------------------------------------------------------


def test_perp_long_when_opened_then_cash_moves_only_by_fee() -> None:
    # Arrange
    portfolio = funded()

    # Act
    portfolio.apply_fill(
        perp_fill(quantity=Decimal("1"), price=Decimal("50000"), fee=Decimal("5")), PERPETUAL
    )
    portfolio.mark(VENUE, PERP, Decimal("51000"))

    # Assert
    assert portfolio.cash == Decimal("9995")
    assert portfolio.unrealised_pnl(VENUE, PERP) == Decimal("1000")
    assert portfolio.nav() == Decimal("10995")


def test_perp_short_when_price_falls_then_unrealised_profit() -> None:
    # Arrange
    portfolio = funded()
    book(
        portfolio, PERPETUAL, perp_fill(side=Side.SELL, quantity=Decimal("2"), price=Decimal("100"))
    )

    # Act
    portfolio.mark(VENUE, PERP, Decimal("90"))

    # Assert
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.quantity == Decimal("-2")
    assert held.average_entry_price == Decimal("100")
    assert portfolio.unrealised_pnl(VENUE, PERP) == Decimal("20")
    assert portfolio.nav() == Decimal("10020")


def test_perp_when_increased_then_average_entry_is_weighted() -> None:
    # Arrange
    portfolio = funded()

    # Act
    book(
        portfolio,
        PERPETUAL,
        perp_fill(quantity=Decimal("1"), price=Decimal("100")),
        perp_fill(trade_id=TradeId("t-2"), quantity=Decimal("3"), price=Decimal("200")),
    )

    # Assert
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.quantity == Decimal("4")
    assert held.average_entry_price == Decimal("175")


def test_perp_long_when_partially_closed_then_realises_and_keeps_average() -> None:
    # Arrange
    portfolio = funded()
    book(
        portfolio,
        PERPETUAL,
        perp_fill(quantity=Decimal("1"), price=Decimal("100")),
        perp_fill(trade_id=TradeId("t-2"), quantity=Decimal("3"), price=Decimal("200")),
    )

    # Act
    book(
        portfolio,
        PERPETUAL,
        perp_fill(
            trade_id=TradeId("t-3"), side=Side.SELL, quantity=Decimal("1"), price=Decimal("195")
        ),
    )

    # Assert
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.quantity == Decimal("3")
    assert held.average_entry_price == Decimal("175")
    assert held.realised_pnl == Decimal("20")  # (195 - 175) x 1
    assert portfolio.cash == Decimal("10020")


def test_perp_short_when_partially_covered_at_a_loss_then_realises_negative() -> None:
    # Arrange
    portfolio = funded()
    book(
        portfolio, PERPETUAL, perp_fill(side=Side.SELL, quantity=Decimal("4"), price=Decimal("100"))
    )

    # Act
    book(
        portfolio,
        PERPETUAL,
        perp_fill(trade_id=TradeId("t-2"), quantity=Decimal("1"), price=Decimal("110")),
    )

    # Assert
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.quantity == Decimal("-3")
    assert held.average_entry_price == Decimal("100")
    assert held.realised_pnl == Decimal("-10")
    assert portfolio.cash == Decimal("9990")


def test_perp_long_when_sell_crosses_zero_then_realises_closed_part_and_opens_short_at_fill() -> (
    None
):
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("100")))

    # Act
    book(
        portfolio,
        PERPETUAL,
        perp_fill(
            trade_id=TradeId("t-2"), side=Side.SELL, quantity=Decimal("3"), price=Decimal("120")
        ),
    )

    # Assert
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.quantity == Decimal("-2")
    assert held.average_entry_price == Decimal("120")
    assert held.realised_pnl == Decimal("20")
    portfolio.mark(VENUE, PERP, Decimal("120"))
    assert portfolio.unrealised_pnl(VENUE, PERP) == 0


def test_perp_short_when_buy_crosses_zero_then_opens_long_at_fill() -> None:
    # Arrange
    portfolio = funded()
    book(
        portfolio, PERPETUAL, perp_fill(side=Side.SELL, quantity=Decimal("2"), price=Decimal("100"))
    )

    # Act
    book(
        portfolio,
        PERPETUAL,
        perp_fill(trade_id=TradeId("t-2"), quantity=Decimal("5"), price=Decimal("90")),
    )

    # Assert
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.quantity == Decimal("3")
    assert held.average_entry_price == Decimal("90")
    assert held.realised_pnl == Decimal("20")


def test_perp_when_average_does_not_terminate_then_round_trip_realises_exact_cash_flow() -> None:
    # Arrange: 1 @ 1 and 2 @ 2 average 5/3, which has no finite decimal form
    portfolio = funded()
    book(
        portfolio,
        PERPETUAL,
        perp_fill(quantity=Decimal("1"), price=Decimal("1")),
        perp_fill(trade_id=TradeId("t-2"), quantity=Decimal("2"), price=Decimal("2")),
        perp_fill(
            trade_id=TradeId("t-3"), side=Side.SELL, quantity=Decimal("1"), price=Decimal("2")
        ),
    )

    # Act
    book(
        portfolio,
        PERPETUAL,
        perp_fill(
            trade_id=TradeId("t-4"), side=Side.SELL, quantity=Decimal("2"), price=Decimal("3")
        ),
    )

    # Assert: -(1x1 + 2x2) + (1x2 + 2x3) = 3, exactly, whatever the rounded average was
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.is_flat
    assert held.realised_pnl == Decimal("3")
    assert portfolio.cash == Decimal("10003")


def test_perp_when_mid_trade_average_rounded_then_nav_still_exact() -> None:
    # Arrange
    portfolio = funded()
    book(
        portfolio,
        PERPETUAL,
        perp_fill(quantity=Decimal("1"), price=Decimal("1")),
        perp_fill(trade_id=TradeId("t-2"), quantity=Decimal("2"), price=Decimal("2")),
        perp_fill(
            trade_id=TradeId("t-3"), side=Side.SELL, quantity=Decimal("1"), price=Decimal("2")
        ),
    )

    # Act
    portfolio.mark(VENUE, PERP, Decimal("3"))

    # Assert: NAV = cash + cash flows + quantity x mark = 10000 - 5 + 2 + 2 x 3
    assert portfolio.nav() == Decimal("10003")
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.average_entry_price == Decimal("1.666666666666666666666666667")


def test_amounts_when_longer_than_28_digits_then_booked_exactly() -> None:
    # Arrange
    portfolio = funded()
    quantity = Decimal("123456.123456789012345678")
    price = Decimal("65432.12345678")

    # Act
    book(portfolio, SPOT, spot_fill(quantity=quantity, price=price, fee=Decimal("0.00000001")))

    # Assert: the product has 36 digits; the default context would keep 28 and round the rest
    assert str(portfolio.cash) == "-8077986311.52009192344300647365279684"


# --- fees and rebates --------------------------------------------------------------------------


def test_fill_when_fee_negative_then_rebate_adds_cash_and_lowers_fees_paid() -> None:
    # Arrange
    portfolio = funded()

    # Act
    book(portfolio, PERPETUAL, perp_fill(fee=Decimal("-0.25"), is_maker=True))

    # Assert
    assert portfolio.cash == Decimal("10000.25")
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.fees_paid == Decimal("-0.25")
    assert portfolio.total_fees == Decimal("-0.25")


def test_fees_when_paid_on_two_positions_then_total_is_their_sum() -> None:
    # Arrange
    portfolio = funded()

    # Act
    book(portfolio, SPOT, fill(fee=Decimal("1.5")))
    book(portfolio, PERPETUAL, perp_fill(trade_id=TradeId("t-2"), fee=Decimal("-0.5")))

    # Assert
    assert portfolio.total_fees == Decimal("1.0")


def test_fill_when_fee_in_other_currency_then_refused() -> None:
    # Arrange
    portfolio = funded()

    # Act / Assert
    with pytest.raises(AccountingError, match=r"fee=0\.001 BNB, not in the quote currency USDT"):
        portfolio.apply_fill(fill(fee=Decimal("0.001"), fee_currency="BNB"), SPOT)
    assert portfolio.position(VENUE, SYMBOL) is None


def test_fill_when_zero_fee_in_other_currency_then_booked() -> None:
    # Act
    booked = funded().apply_fill(fill(fee=Decimal(0), fee_currency="BNB"), SPOT)

    # Assert
    assert booked


# --- funding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "rate", "expected_paid"),
    [
        (Side.BUY, "0.0001", "10"),  # positive rate: longs pay
        (Side.SELL, "0.0001", "-10"),  # positive rate: shorts receive
        (Side.BUY, "-0.0001", "-10"),  # negative rate: longs receive
        (Side.SELL, "-0.0001", "10"),  # negative rate: shorts pay
    ],
)
def test_funding_when_applied_then_payment_is_quantity_times_mark_times_rate(
    side: Side, rate: str, expected_paid: str
) -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(side=side, quantity=Decimal("2"), price=Decimal("50000")))

    # Act
    booked = portfolio.apply_funding(VENUE, PERP, rate=Decimal(rate), mark=Decimal("50000"), ts=T0)

    # Assert
    assert booked
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.funding_paid == Decimal(expected_paid)
    assert portfolio.cash == Decimal("10000") - Decimal(expected_paid)


def test_funding_when_same_time_applied_twice_then_booked_once() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("100")))
    portfolio.apply_funding(VENUE, PERP, rate=Decimal("0.01"), mark=Decimal("100"), ts=T0)

    # Act
    again = portfolio.apply_funding(VENUE, PERP, rate=Decimal("0.01"), mark=Decimal("100"), ts=T0)

    # Assert
    assert again is False
    assert portfolio.cash == Decimal("9999")


def test_funding_when_position_is_spot_then_refused() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, SPOT, spot_fill())

    # Act / Assert
    with pytest.raises(AccountingError, match="only perpetuals pay funding"):
        portfolio.apply_funding(VENUE, SYMBOL, rate=Decimal("0.01"), mark=Decimal("100"), ts=T0)


def test_funding_when_nothing_held_then_nothing_paid() -> None:
    # Arrange
    portfolio = funded()

    # Act
    booked = portfolio.apply_funding(VENUE, PERP, rate=Decimal("0.01"), mark=Decimal("100"), ts=T0)

    # Assert
    assert booked
    assert portfolio.cash == Decimal("10000")
    assert portfolio.position(VENUE, PERP) is None


def test_funding_when_rate_is_float_then_refused() -> None:
    # Act / Assert
    with pytest.raises(TypeError, match="float"):
        funded().apply_funding(VENUE, PERP, rate=0.01, mark=Decimal("100"), ts=T0)  # type: ignore[arg-type]


# --- deduplication and routing -----------------------------------------------------------------


def test_fill_when_trade_id_repeated_then_ignored_and_nothing_changes() -> None:
    # Arrange
    portfolio = funded()
    first = fill(quantity=Decimal("0.1"), price=Decimal("50000"))
    portfolio.apply_fill(first, SPOT)
    before = (portfolio.cash, portfolio.position(VENUE, SYMBOL))

    # Act: the same trade, learned of again later
    again = portfolio.apply_fill(
        first.model_copy(update={"ts_init": T0 + timedelta(seconds=5)}), SPOT
    )

    # Assert
    assert again is False
    assert (portfolio.cash, portfolio.position(VENUE, SYMBOL)) == before


def test_fill_when_trade_id_reused_with_other_terms_then_refused() -> None:
    # Arrange
    portfolio = funded()
    portfolio.apply_fill(fill(quantity=Decimal("0.1")), SPOT)

    # Act / Assert
    with pytest.raises(AccountingError, match="trade_id=t-1 at binance was already booked"):
        portfolio.apply_fill(fill(quantity=Decimal("0.2")), SPOT)


def test_fill_when_same_trade_id_at_other_venue_then_booked() -> None:
    # Arrange
    portfolio = funded()
    other_venue = VenueId("okx")
    portfolio.apply_fill(fill(), SPOT)

    # Act
    booked = portfolio.apply_fill(fill(venue=other_venue), instrument(venue=other_venue))

    # Assert
    assert booked


def test_fill_when_other_account_then_refused() -> None:
    # Act / Assert
    with pytest.raises(AccountingError, match="account=acct-2"):
        funded().apply_fill(fill(account="acct-2"), SPOT)


def test_fill_when_instrument_is_another_market_then_refused() -> None:
    # Act / Assert
    with pytest.raises(AccountingError, match="pass the fill's own instrument"):
        funded().apply_fill(fill(), PERPETUAL)


def test_fill_when_instrument_kind_changes_then_refused() -> None:
    # Arrange
    portfolio = funded()
    portfolio.apply_fill(spot_fill(), SPOT)

    # Act / Assert
    with pytest.raises(AccountingError, match="booked as spot"):
        portfolio.apply_fill(
            spot_fill(trade_id=TradeId("t-2")), instrument(kind=InstrumentKind.PERPETUAL)
        )


# --- marks and valuation -----------------------------------------------------------------------


def test_snapshot_when_open_position_has_no_mark_then_refused_naming_symbol() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill())

    # Act / Assert
    with pytest.raises(MissingMarkError, match=r"BTC/USDT:USDT at binance") as raised:
        portfolio.snapshot(T0)
    assert raised.value.missing == ((VENUE, PERP),)
    assert portfolio.missing_marks() == ((VENUE, PERP),)
    assert portfolio.marked_nav() is None
    with pytest.raises(MissingMarkError):
        portfolio.nav()
    with pytest.raises(MissingMarkError):
        portfolio.unrealised_pnl(VENUE, PERP)


def test_snapshot_when_missing_mark_supplied_then_valued() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("100")))

    # Act
    portfolio.mark(VENUE, PERP, Decimal("101"))

    # Assert
    assert portfolio.missing_marks() == ()
    assert portfolio.marked_nav() == Decimal("10001")
    assert portfolio.snapshot(T0).nav == Decimal("10001")
    assert portfolio.mark_price(VENUE, PERP) == Decimal("101")


def test_mark_when_another_position_unmarked_then_accepted_without_valuing() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, SPOT, spot_fill())
    book(portfolio, PERPETUAL, perp_fill(trade_id=TradeId("t-2")))

    # Act
    portfolio.mark(VENUE, PERP, Decimal("60000"))

    # Assert
    assert portfolio.mark_price(VENUE, PERP) == Decimal("60000")
    assert portfolio.missing_marks() == ((VENUE, SYMBOL),)


def test_mark_price_when_never_marked_then_none() -> None:
    # Act / Assert
    assert funded().mark_price(VENUE, SYMBOL) is None


@pytest.mark.parametrize("price", [Decimal(0), Decimal("-1")])
def test_mark_when_price_not_positive_then_refused(price: Decimal) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="not positive"):
        funded().mark(VENUE, SYMBOL, price)


def test_snapshot_when_long_and_short_then_gross_and_net_exposure() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, SPOT, spot_fill(quantity=Decimal("0.1"), price=Decimal("50000")))
    book(
        portfolio,
        PERPETUAL,
        perp_fill(
            trade_id=TradeId("t-2"), side=Side.SELL, quantity=Decimal("0.3"), price=Decimal("50000")
        ),
    )
    portfolio.mark(VENUE, SYMBOL, Decimal("50000"))
    portfolio.mark(VENUE, PERP, Decimal("50000"))

    # Act
    result = portfolio.snapshot(T0)

    # Assert
    assert result.gross_exposure == Decimal("20000")  # 5000 + 15000
    assert result.net_exposure == Decimal("-10000")  # 5000 - 15000
    assert result.nav == Decimal("10000")
    assert [held.symbol for held in result.positions] == [SYMBOL, PERP]


def test_leverage_when_gross_twice_nav_then_two_not_divided_by_nav_again() -> None:
    # Arrange: 10,000 collateral, a 20,000 perpetual long marked at its entry
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("0.4"), price=Decimal("50000")))
    portfolio.mark(VENUE, PERP, Decimal("50000"))

    # Act
    result = portfolio.snapshot(T0)

    # Assert: dividing by NAV twice would give 0.0002
    assert result.nav == Decimal("10000")
    assert result.gross_exposure == Decimal("20000")
    assert result.leverage == Decimal("2")


# --- peak, drawdown and daily PnL --------------------------------------------------------------


def test_peak_when_snapshot_saw_the_high_then_drawdown_from_the_high() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("10000")))
    portfolio.mark(VENUE, PERP, Decimal("12500"))
    portfolio.snapshot(T0)

    # Act
    portfolio.mark(VENUE, PERP, Decimal("8750"))
    result = portfolio.snapshot(T0)

    # Assert
    assert result.peak_nav == Decimal("12500")
    assert result.nav == Decimal("8750")
    assert result.drawdown_frac == Decimal("0.3")


def test_peak_when_mark_rises_then_falls_before_a_snapshot_then_not_observed() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("10000")))

    # Act: a mark stores a price; NAV is observed at snapshots (one per step)
    portfolio.mark(VENUE, PERP, Decimal("12500"))
    portfolio.mark(VENUE, PERP, Decimal("8750"))
    result = portfolio.snapshot(T0)

    # Assert
    assert portfolio.baselines()[0] == result.peak_nav == result.nav == Decimal("8750")


def test_peak_when_hedged_legs_both_rise_and_are_marked_one_by_one_then_no_phantom_high() -> None:
    # Arrange: long 1 spot and short 1 perpetual at 10,000: NAV does not move with the price
    portfolio = funded("20000")
    book(portfolio, SPOT, spot_fill(quantity=Decimal("1"), price=Decimal("10000")))
    book(
        portfolio,
        PERPETUAL,
        perp_fill(
            trade_id=TradeId("t-2"), side=Side.SELL, quantity=Decimal("1"), price=Decimal("10000")
        ),
    )
    portfolio.mark(VENUE, SYMBOL, Decimal("10000"))
    portfolio.mark(VENUE, PERP, Decimal("10000"))
    portfolio.snapshot(T0)

    # Act: the next step marks both legs at 11,000, one after the other
    portfolio.mark(VENUE, SYMBOL, Decimal("11000"))  # half marked, the book would read 21,000
    portfolio.mark(VENUE, PERP, Decimal("11000"))
    result = portfolio.snapshot(T0 + timedelta(minutes=1))

    # Assert: no drawdown from a NAV the account never had
    assert result.nav == Decimal("20000")
    assert result.peak_nav == Decimal("20000")
    assert result.drawdown_frac == 0


def test_peak_when_nav_recovers_then_stays_at_the_high() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("10000")))
    portfolio.mark(VENUE, PERP, Decimal("11000"))
    portfolio.snapshot(T0)
    portfolio.mark(VENUE, PERP, Decimal("9000"))

    # Act
    portfolio.mark(VENUE, PERP, Decimal("10500"))
    result = portfolio.snapshot(T0)

    # Assert
    assert result.peak_nav == Decimal("11000")
    assert result.drawdown_frac == Decimal("500") / Decimal("11000")


def test_daily_pnl_when_utc_day_turns_then_measured_from_first_snapshot_of_new_day() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("10000")))
    portfolio.mark(VENUE, PERP, Decimal("10000"))
    day_one = datetime(2024, 1, 1, 23, 59, tzinfo=UTC)
    portfolio.snapshot(day_one)
    portfolio.mark(VENUE, PERP, Decimal("9700"))
    late_day_one = portfolio.snapshot(day_one + timedelta(seconds=30))

    # Act
    portfolio.mark(VENUE, PERP, Decimal("9500"))
    first_day_two = portfolio.snapshot(datetime(2024, 1, 2, 0, 0, 1, tzinfo=UTC))
    portfolio.mark(VENUE, PERP, Decimal("9400"))
    later_day_two = portfolio.snapshot(datetime(2024, 1, 2, 12, tzinfo=UTC))

    # Assert
    assert late_day_one.daily_pnl == Decimal("-300")
    assert first_day_two.daily_pnl == 0
    assert later_day_two.daily_pnl == Decimal("-100")
    assert later_day_two.peak_nav == Decimal("10000")


def test_daily_pnl_when_now_in_another_zone_then_utc_date_decides() -> None:
    # Arrange: 01:00 at UTC+2 on Jan 2 is 23:00 UTC on Jan 1, the same trading day as T0
    portfolio = funded()
    portfolio.snapshot(T0)
    portfolio.transfer(Decimal("1"))
    plus_two = timezone(timedelta(hours=2))

    # Act
    result = portfolio.snapshot(datetime(2024, 1, 2, 1, tzinfo=plus_two))

    # Assert
    assert result.ts == datetime(2024, 1, 1, 23, tzinfo=UTC)
    assert result.daily_pnl == 0


def _down_nine_percent(mark: str = "9100") -> Portfolio:
    """Return 10,000 USDT long 1 perpetual from 10,000, at its peak, then marked at ``mark``."""
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("10000")))
    portfolio.mark(VENUE, PERP, Decimal("10000"))
    portfolio.snapshot(T0)
    portfolio.mark(VENUE, PERP, Decimal(mark))
    return portfolio


def test_deposit_when_made_mid_day_then_not_counted_as_profit_or_recovery() -> None:
    # Arrange: 9 % down from the peak and on the day
    portfolio = _down_nine_percent()

    # Act: deposit as much again; the units double, so both baselines double
    portfolio.transfer(Decimal("9100"))
    result = portfolio.snapshot(T0 + timedelta(hours=1))

    # Assert: still 9 % down, in today's units
    assert result.nav == Decimal("18200")
    assert result.peak_nav == Decimal("20000")
    assert result.daily_pnl == Decimal("-1800")
    assert result.drawdown_frac == Decimal("0.09")


def test_deposit_when_followed_by_a_further_loss_then_measured_on_the_whole_account() -> None:
    # Arrange: 9 % down, then as much again deposited
    portfolio = _down_nine_percent()
    portfolio.transfer(Decimal("9100"))

    # Act: a further loss of 9 % of the original 10,000
    portfolio.mark(VENUE, PERP, Decimal("8200"))
    result = portfolio.snapshot(T0 + timedelta(hours=2))

    # Assert: 17,300 of 20,000 in today's units: 13.5 %, past a 10 % limit
    assert result.nav == Decimal("17300")
    assert result.drawdown_frac == Decimal("0.135")
    assert -result.daily_pnl / (result.nav - result.daily_pnl) == Decimal("0.135")


def test_withdrawal_when_made_after_a_loss_then_drawdown_unchanged() -> None:
    # Arrange
    portfolio = _down_nine_percent()

    # Act: take half the account out
    portfolio.transfer(Decimal("-4550"))
    result = portfolio.snapshot(T0 + timedelta(hours=1))

    # Assert
    assert result.nav == Decimal("4550")
    assert result.peak_nav == Decimal("5000")
    assert result.drawdown_frac == Decimal("0.09")


def test_transfer_when_nav_recorded_then_units_priced_at_it_not_at_the_marks() -> None:
    # Arrange: as a replay sees it, with the marks of the moment gone
    portfolio = _down_nine_percent()
    portfolio.mark(VENUE, PERP, Decimal("1"))

    # Act
    portfolio.transfer(Decimal("9100"), nav=Decimal("9100"))

    # Assert
    assert portfolio.baselines()[0] == Decimal("20000")


def test_transfer_when_open_position_unmarked_then_refused_and_nothing_changes() -> None:
    # Arrange: a peak was observed, then a perpetual opened without a mark yet
    portfolio = funded()
    portfolio.snapshot(T0)
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("1"), price=Decimal("10000")))

    # Act / Assert: the units cannot be priced without NAV
    with pytest.raises(MissingMarkError):
        portfolio.transfer(Decimal("500"))
    assert portfolio.cash == Decimal("10000")
    assert portfolio.baselines()[0] == Decimal("10000")


def test_transfer_when_ratio_has_no_finite_decimal_then_baseline_rounded_up() -> None:
    # Arrange: peak 10,000, NAV 9,000
    portfolio = _down_nine_percent(mark="9000")

    # Act: 1,000 more: the peak becomes 10,000 x 10,000 / 9,000 = 11,111.1...
    portfolio.transfer(Decimal("1000"))
    result = portfolio.snapshot(T0)

    # Assert: rounded up in the 28th digit, so drawdown reads a hair high, never low
    assert result.peak_nav == Decimal("11111.11111111111111111111112")
    assert result.drawdown_frac >= Decimal("0.1")
    assert result.drawdown_frac - Decimal("0.1") < Decimal("1e-26")


def test_transfer_when_nav_not_positive_then_measuring_starts_afresh() -> None:
    # Arrange: a perpetual that lost more than the account: NAV -2,000
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("2"), price=Decimal("10000")))
    portfolio.mark(VENUE, PERP, Decimal("10000"))
    portfolio.snapshot(T0)
    portfolio.mark(VENUE, PERP, Decimal("4000"))

    # Act: no unit price to buy at
    portfolio.transfer(Decimal("5000"))
    result = portfolio.snapshot(T0 + timedelta(hours=1))

    # Assert
    assert result.nav == Decimal("3000")
    assert result.peak_nav == Decimal("3000")
    assert result.daily_pnl == 0


def test_snapshot_when_now_on_earlier_utc_day_then_refused() -> None:
    # Arrange
    portfolio = funded()
    portfolio.snapshot(T0 + timedelta(days=1))

    # Act / Assert
    with pytest.raises(ValueError, match="before the current trading day 2024-01-02"):
        portfolio.snapshot(T0)


def test_snapshot_when_now_naive_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="no time zone"):
        funded().snapshot(datetime(2024, 1, 1))


def test_transfer_when_zero_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="amount=0 moves nothing"):
        funded().transfer(Decimal(0))


def test_snapshot_when_taken_then_carries_account_cash_and_time() -> None:
    # Act
    result = funded().snapshot(T0)

    # Assert
    assert (result.account, result.cash, result.ts) == (ACCOUNT, Decimal("10000"), T0)
    assert result.nav == Decimal("10000")
    assert result.peak_nav == Decimal("10000")
    assert result.daily_pnl == 0


def test_funding_payment_when_venue_reports_amount_then_booked_once_to_cash_and_position() -> None:
    # Arrange: long 2 BTC perpetual; the venue says we paid 12.5 USDT
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("2"), price=Decimal("50000")))

    # Act
    first = portfolio.apply_funding_payment(VENUE, PERP, amount=Decimal("12.5"), ts=T0)
    again = portfolio.apply_funding_payment(VENUE, PERP, amount=Decimal("12.5"), ts=T0)

    # Assert
    assert first
    assert not again
    held = portfolio.position(VENUE, PERP)
    assert held is not None
    assert held.funding_paid == Decimal("12.5")
    assert portfolio.cash == Decimal("9987.5")


def test_take_funding_payment_when_book_is_spot_then_held_aside_once_and_books_unchanged() -> None:
    # Arrange: 0.1 BTC held spot; the venue reports funding on it (a misconfigured kind)
    portfolio = funded()
    book(portfolio, SPOT, spot_fill(quantity=Decimal("0.1")))
    cash = portfolio.cash

    # Act
    first = portfolio.take_funding_payment(VENUE, SYMBOL, amount=Decimal("1.5"), ts=T0)
    again = portfolio.take_funding_payment(VENUE, SYMBOL, amount=Decimal("1.5"), ts=T0)

    # Assert: a break naming the payment and why, kept once; cash and position as before
    assert first is not None
    assert (first.venue, first.symbol, first.amount, first.ts) == (
        VENUE,
        SYMBOL,
        Decimal("1.5"),
        T0,
    )
    assert "only perpetuals pay funding" in first.reason
    assert again is None
    assert portfolio.breaks == (first,)
    assert portfolio.cash == cash
    held = portfolio.position(VENUE, SYMBOL)
    assert held is not None
    assert held.funding_paid == 0


def test_take_funding_payment_when_amount_not_a_number_then_held_aside() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("2"), price=Decimal("50000")))

    # Act
    held_aside = portfolio.take_funding_payment(VENUE, PERP, amount=Decimal("NaN"), ts=T0)

    # Assert
    assert held_aside is not None
    assert "amount=NaN, not a number" in held_aside.reason
    assert portfolio.cash == Decimal("10000")


def test_take_funding_payment_when_bookable_then_booked_and_no_break() -> None:
    # Arrange
    portfolio = funded()
    book(portfolio, PERPETUAL, perp_fill(quantity=Decimal("2"), price=Decimal("50000")))

    # Act
    held_aside = portfolio.take_funding_payment(VENUE, PERP, amount=Decimal("12.5"), ts=T0)

    # Assert
    assert held_aside is None
    assert portfolio.breaks == ()
    assert portfolio.cash == Decimal("9987.5")


def test_baselines_when_restored_after_restart_then_drawdown_measured_from_old_peak() -> None:
    # Arrange: a portfolio that saw NAV 12,000, then a fresh one (a restart) with NAV 10,000
    before = funded()
    book(before, SPOT, spot_fill(quantity=Decimal("1"), price=Decimal("5000")))
    before.mark(VENUE, SYMBOL, Decimal("7000"))
    before.snapshot(T0)
    peak, day, day_open = before.baselines()
    restarted = funded()
    book(restarted, SPOT, spot_fill(quantity=Decimal("1"), price=Decimal("5000")))
    restarted.mark(VENUE, SYMBOL, Decimal("5000"))

    # Act
    restarted.restore_baselines(peak, day, day_open)
    snapshot = restarted.snapshot(T0)

    # Assert
    assert peak == Decimal("12000")
    assert snapshot.peak_nav == Decimal("12000")
    assert snapshot.drawdown_frac == Decimal("2000") / Decimal("12000")
