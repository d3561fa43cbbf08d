"""Specs for inputs, instrument rules, order size, price band and liquidity guards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.risk.guards_market import (
    check_account_known,
    check_instrument_known,
    check_liquidity,
    check_market_data_fresh,
    check_min_notional,
    check_min_quantity,
    check_order_notional,
    check_order_quantity,
    check_price_band,
    check_price_known,
    check_price_precision,
    check_quantity_precision,
)
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason
from aiswarm.types import AccountId, OrderType, Symbol, VenueId
from kit.builders import instrument, order_spec
from kit.guards import (
    NOW_NS,
    SECOND_NS,
    account,
    buy,
    flattening_context,
    guard_context,
    market_view,
)


def test_account_known_when_snapshot_is_for_the_account_then_passes() -> None:
    assert check_account_known(guard_context()) is None


@pytest.mark.parametrize(
    ("portfolio", "detail"),
    [
        (None, "account=acct-1 snapshot=none"),
        (account(account=AccountId("acct-2")), "account=acct-1 snapshot_account=acct-2"),
    ],
    ids=["no-snapshot", "other-account"],
)
def test_account_known_when_account_unknown_then_refused(portfolio: object, detail: str) -> None:
    # Arrange
    ctx = guard_context(portfolio=portfolio)

    # Act
    refusal = check_account_known(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.UNKNOWN_ACCOUNT
    assert refusal.detail == detail


def test_instrument_known_when_missing_or_other_market_then_refused() -> None:
    # Arrange
    missing = guard_context(instrument=None)
    other = guard_context(instrument=instrument(symbol=Symbol("ETH/USDT")))

    # Act
    refusals = [check_instrument_known(missing), check_instrument_known(other)]

    # Assert
    assert [r.code if r else None for r in refusals] == [Reason.UNKNOWN_INSTRUMENT] * 2
    assert check_instrument_known(guard_context()) is None


@pytest.mark.parametrize(
    ("market", "detail"),
    [
        (None, "market=none"),
        ("other", "market_symbol=ETH/USDT market_venue=binance venue=binance"),
        ("other-venue", "market_symbol=BTC/USDT market_venue=kraken venue=binance"),
        ("no-mark", "mark=none"),
        ("zero-mark", "mark=0"),
    ],
)
def test_price_known_when_no_usable_mark_then_refused(market: str | None, detail: str) -> None:
    # Arrange
    views = {
        None: None,
        "other": market_view(symbol=Symbol("ETH/USDT")),
        # The same symbol at another venue: its price is not this market's price.
        "other-venue": market_view(venue=VenueId("kraken")),
        "no-mark": market_view(mark=None),
        "zero-mark": market_view(mark=Decimal("0")),
    }
    ctx = guard_context(market=views[market])

    # Act
    refusal = check_price_known(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.UNKNOWN_PRICE
    assert refusal.detail == f"symbol=BTC/USDT {detail}"


def test_price_known_when_mark_positive_then_passes() -> None:
    assert check_price_known(guard_context()) is None


def test_market_data_fresh_when_exactly_max_age_then_passes() -> None:
    # Arrange: default max age 10 s
    ctx = guard_context(market=market_view(updated_ns=NOW_NS - 10 * SECOND_NS))

    # Act / Assert
    assert check_market_data_fresh(ctx) is None


def test_market_data_fresh_when_older_than_max_age_then_refused_with_age() -> None:
    # Arrange
    ctx = guard_context(market=market_view(updated_ns=NOW_NS - 12_500_000_000))

    # Act
    refusal = check_market_data_fresh(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "STALE_MARKET_DATA symbol=BTC/USDT age_s=12.5 max_age_s=10"


def test_quantity_precision_when_on_step_then_passes() -> None:
    assert check_quantity_precision(guard_context(buy("0.02001"))) is None


def test_quantity_precision_when_off_step_then_refused() -> None:
    # Arrange: step 0.00001
    ctx = guard_context(buy("0.020005"))

    # Act
    refusal = check_quantity_precision(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "QUANTITY_PRECISION quantity=0.020005 step_size=0.00001"


def test_quantity_precision_when_quotient_too_long_for_context_then_exact_fallback_decides() -> (
    None
):
    # Arrange: 30 significant digits of steps make Decimal's remainder give up
    ctx = guard_context(buy("1234567890123456789012345.00001"))
    off = guard_context(buy("1234567890123456789012345.000015"))

    # Act / Assert
    assert check_quantity_precision(ctx) is None
    refusal = check_quantity_precision(off)
    assert refusal is not None
    assert refusal.code is Reason.QUANTITY_PRECISION


def test_price_precision_when_limit_off_tick_then_refused() -> None:
    # Arrange: tick 0.01
    ctx = guard_context(order_spec(quantity=Decimal("0.02"), limit_price=Decimal("50000.005")))

    # Act
    refusal = check_price_precision(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "PRICE_PRECISION limit_price=50000.005 tick_size=0.01"


def test_price_precision_when_stop_off_tick_then_refused() -> None:
    # Arrange
    spec = order_spec(
        order_type=OrderType.STOP_MARKET, quantity=Decimal("0.02"), stop_price=Decimal("49000.001")
    )

    # Act
    refusal = check_price_precision(guard_context(spec))

    # Assert
    assert refusal is not None
    assert refusal.detail == "stop_price=49000.001 tick_size=0.01"


def test_price_precision_when_prices_on_tick_then_passes() -> None:
    spec = order_spec(order_type=OrderType.STOP_LIMIT, quantity=Decimal("0.02"))
    assert check_price_precision(guard_context(spec)) is None


def test_min_quantity_when_below_then_refused_and_at_minimum_passes() -> None:
    # Arrange: min quantity 0.0001; min notional lowered so only the quantity rule is tested
    below = guard_context(buy("0.00009"))
    at = guard_context(buy("0.0001"))

    # Act
    refusal = check_min_quantity(below)

    # Assert
    assert refusal is not None
    assert str(refusal) == "BELOW_MIN_QUANTITY quantity=0.00009 min_quantity=0.0001"
    assert check_min_quantity(at) is None


def test_min_notional_when_exactly_minimum_then_passes() -> None:
    # Arrange: 0.0001 x 50000 = 5, min notional 5
    ctx = guard_context(buy("0.0001"))

    # Act / Assert
    assert check_min_notional(ctx) is None


def test_min_notional_when_below_then_refused_with_numbers() -> None:
    # Arrange
    ctx = guard_context(buy("0.0001", limit_price=Decimal("49999.99")))

    # Act
    refusal = check_min_notional(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "BELOW_MIN_NOTIONAL notional=4.999999 quantity=0.0001 price=49999.99 min_notional=5"
    )


def test_min_notional_when_market_order_then_judged_at_the_mark() -> None:
    # Arrange: mark 40000 -> 0.0001 x 40000 = 4 < 5
    spec = order_spec(order_type=OrderType.MARKET, quantity=Decimal("0.0001"))
    ctx = guard_context(spec, market=market_view(mark=Decimal("40000")))

    # Act
    refusal = check_min_notional(ctx)

    # Assert
    assert refusal is not None
    assert "price=40000" in refusal.detail


def test_min_notional_when_rounded_product_equals_minimum_then_exact_arithmetic_decides() -> None:
    # Arrange: the exact product is 5 - 1e-30, which the 28-digit context rounds to 5
    tiny = instrument(step_size=Decimal("1e-30"), min_quantity=Decimal("1e-30"))
    spec = buy("0.000099999999999999999999999999", limit_price=Decimal("50000"))
    ctx = guard_context(spec, instrument=tiny)

    # Act
    refusal = check_min_notional(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.BELOW_MIN_NOTIONAL


def test_order_quantity_when_symbol_has_no_cap_then_passes() -> None:
    assert check_order_quantity(guard_context(buy("5"))) is None


def test_order_quantity_when_above_symbol_cap_then_refused() -> None:
    # Arrange
    limits = RiskLimits(max_order_quantity={Symbol("BTC/USDT"): Decimal("1")})
    over = guard_context(buy("1.00001"), limits=limits)
    at = guard_context(buy("1"), limits=limits)

    # Act
    refusal = check_order_quantity(over)

    # Assert
    assert refusal is not None
    assert str(refusal) == "ORDER_QUANTITY_LIMIT symbol=BTC/USDT quantity=1.00001 limit=1"
    assert check_order_quantity(at) is None


def test_order_notional_when_at_limit_then_passes_and_above_refused() -> None:
    # Arrange: limit 10,000; 0.2 x 50,000 = 10,000
    at = guard_context(buy("0.2"))
    over = guard_context(buy("0.20001"))

    # Act
    refusal = check_order_notional(over)

    # Assert
    assert check_order_notional(at) is None
    assert refusal is not None
    assert str(refusal) == "ORDER_NOTIONAL_LIMIT notional=10000.5 quantity=0.20001 limit=10000"


def test_order_notional_when_limit_above_mark_then_counted_at_limit_price() -> None:
    # Arrange: a marketable buy at 52,000 may pay up to its limit
    ctx = guard_context(buy("0.2", limit_price=Decimal("52000")))

    # Act
    refusal = check_order_notional(ctx)

    # Assert
    assert refusal is not None
    assert "notional=10400" in refusal.detail


def test_price_band_when_within_band_then_passes() -> None:
    # Arrange: 5% band around 50,000 -> 47,500 .. 52,500
    ctx = guard_context(buy("0.02", limit_price=Decimal("52500")))

    # Act / Assert
    assert check_price_band(ctx) is None


def test_price_band_when_outside_band_then_refused_with_distance() -> None:
    # Arrange
    ctx = guard_context(buy("0.02", limit_price=Decimal("45000")))

    # Act
    refusal = check_price_band(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "PRICE_OUTSIDE_BAND limit_price=45000 mark=50000 distance_frac=0.1 band_frac=0.05"
    )


def test_price_band_when_stop_limit_then_limit_judged_against_stop() -> None:
    # Arrange: stop 40,000 is far from the mark, the limit sits right by the stop
    spec = order_spec(
        order_type=OrderType.STOP_LIMIT,
        quantity=Decimal("0.02"),
        stop_price=Decimal("40000"),
        limit_price=Decimal("40100"),
    )

    # Act / Assert
    assert check_price_band(guard_context(spec)) is None


def test_price_band_when_market_order_then_nothing_to_check() -> None:
    spec = order_spec(order_type=OrderType.MARKET, quantity=Decimal("0.02"))
    assert check_price_band(guard_context(spec)) is None


def test_liquidity_when_order_within_participation_then_passes() -> None:
    # Arrange: 1,000 notional vs 10% of 10,000
    ctx = guard_context(market=market_view(liquidity_usd=Decimal("10000")))

    # Act / Assert
    assert check_liquidity(ctx) is None


def test_liquidity_when_order_too_large_for_measured_depth_then_refused() -> None:
    # Arrange
    ctx = guard_context(market=market_view(liquidity_usd=Decimal("9000")))

    # Act
    refusal = check_liquidity(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "INSUFFICIENT_LIQUIDITY symbol=BTC/USDT notional=1000 liquidity=9000 "
        "source=book_depth max_participation_frac=0.1"
    )


def test_liquidity_when_not_measured_then_refused_as_unknown() -> None:
    # Arrange
    ctx = guard_context(market=market_view(liquidity_usd=None, liquidity_source=None))

    # Act
    refusal = check_liquidity(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "LIQUIDITY_UNKNOWN symbol=BTC/USDT liquidity=none"


def test_liquidity_when_measured_zero_then_refused() -> None:
    ctx = guard_context(market=market_view(liquidity_usd=Decimal("0")))
    refusal = check_liquidity(ctx)
    assert refusal is not None
    assert refusal.code is Reason.INSUFFICIENT_LIQUIDITY


@pytest.mark.parametrize("liquidity", [None, Decimal("0"), Decimal("100")])
def test_liquidity_when_flatten_within_floor_then_passes_whatever_was_measured(
    liquidity: Decimal | None,
) -> None:
    # Arrange: a 1,000 USDT closing slice, the default floor, on a thin or unmeasured market
    ctx = flattening_context("0.02", market=market_view(liquidity_usd=liquidity))

    # Act / Assert
    assert check_liquidity(ctx) is None


def test_liquidity_when_flatten_above_floor_and_participation_then_refused() -> None:
    # Arrange: 1,000.5 USDT, above the 1,000 floor and 10 % of 10,000
    ctx = flattening_context("0.02001", market=market_view(liquidity_usd=Decimal("10000")))

    # Act
    refusal = check_liquidity(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.INSUFFICIENT_LIQUIDITY


def test_liquidity_when_flatten_above_floor_within_participation_then_passes() -> None:
    # Arrange: a raised floor is not needed when the market is deep enough
    ctx = flattening_context(
        "0.04",
        market=market_view(liquidity_usd=Decimal("20000")),
        limits=RiskLimits(flatten_on_trip=True, flatten_slice_floor_usd=Decimal("10")),
    )

    # Act / Assert
    assert check_liquidity(ctx) is None


def test_liquidity_when_reduce_only_sell_not_latched_then_floor_does_not_apply() -> None:
    # Arrange: the same 1,000 USDT close, but no trip: an ordinary risk-reducing order
    ctx = flattening_context(
        "0.02", kill_switch_latched=False, market=market_view(liquidity_usd=None)
    )

    # Act
    refusal = check_liquidity(ctx)

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.LIQUIDITY_UNKNOWN
