"""PaperVenue: fills only on data, after latency, within volume, at prices a real book gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.execution.venue import (
    ExecutionReport,
    MarketDataSink,
    RejectCode,
    ReportKind,
    Venue,
    fill_from_report,
)
from aiswarm.types import (
    AccountId,
    Bar,
    ClientOrderId,
    FundingRate,
    InstrumentKind,
    OrderSpec,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    TimeInForce,
)
from aiswarm.venues.fill_models import FeeModel, TickSlippage
from aiswarm.venues.paper_venue import PaperVenue
from kit.builders import ACCOUNT, SYMBOL, T0, VENUE, instrument, order_spec

T0_NS = to_ns(T0)
MINUTE_NS = 60_000_000_000
PERP = Symbol("BTC/USDT:USDT")
MAKER = Decimal("0.0002")
TAKER = Decimal("0.0005")


def bar(index: int, open_: str, high: str, low: str, close: str, volume: str = "1000") -> Bar:
    """Return the one-minute BTC/USDT bar number ``index`` after T0."""
    return Bar(
        venue=VENUE,
        symbol=SYMBOL,
        ts_ns=T0_NS + index * MINUTE_NS,
        interval_s=60,
        open=Decimal(open_),
        high=Decimal(high),
        low=Decimal(low),
        close=Decimal(close),
        volume=Decimal(volume),
    )


def flat_bar(index: int, price: str = "50000", volume: str = "1000") -> Bar:
    """Return a bar that trades only at ``price``."""
    return bar(index, price, price, price, price, volume)


def paper(clock: SimulatedClock | None = None, **overrides: Any) -> PaperVenue:
    """Return a paper venue listing BTC/USDT spot and BTC/USDT:USDT perpetual, no latency."""
    perp = instrument(symbol=PERP, kind=InstrumentKind.PERPETUAL)
    options: dict[str, Any] = {
        "fee_model": FeeModel(maker_fee_frac=MAKER, taker_fee_frac=TAKER),
        "max_participation_frac": Decimal(1),
    }
    return PaperVenue(
        VENUE,
        {SYMBOL: instrument(), PERP: perp},
        clock or SimulatedClock(T0),
        **(options | overrides),
    )


def market(**overrides: Any) -> OrderSpec:
    """Return a market buy of 0.01 BTC."""
    return order_spec(**({"order_type": OrderType.MARKET} | overrides))


def kinds(reports: list[ExecutionReport]) -> list[ReportKind]:
    return [report.kind for report in reports]


def fills(reports: list[ExecutionReport]) -> list[ExecutionReport]:
    return [report for report in reports if report.kind is ReportKind.FILL]


async def test_market_order_when_no_bar_yet_then_rests_until_next_bar_open() -> None:
    # Arrange
    venue = paper()

    # Act
    ack = await venue.submit(market())
    before = venue.drain_reports()
    venue.on_bar(bar(1, "50010", "50100", "49900", "50050"))
    after = venue.drain_reports()

    # Assert
    assert ack.accepted
    assert kinds(before) == [ReportKind.ACCEPTED]
    (fill,) = fills(after)
    assert fill.price == Decimal("50010.00")
    assert fill.quantity == Decimal("0.01")
    assert fill.is_maker is False
    assert fill.ts_ns == T0_NS + MINUTE_NS


async def test_market_order_when_one_bar_latency_then_fills_at_next_bar_open() -> None:
    # Arrange: bar t has been seen; the decision is stamped at its time.
    clock = SimulatedClock(T0)
    venue = paper(clock, latency_ns=MINUTE_NS)
    venue.on_bar(flat_bar(0, "50000"))
    await venue.submit(market())

    # Act
    venue.on_bar(bar(1, "50020", "50030", "49990", "50000"))
    reports = venue.drain_reports()

    # Assert
    (fill,) = fills(reports)
    assert fill.price == Decimal("50020.00")
    assert fill.ts_ns == T0_NS + MINUTE_NS


async def test_market_order_when_latency_spans_two_bars_then_skips_the_first() -> None:
    # Arrange
    venue = paper(latency_ns=2 * MINUTE_NS)
    venue.on_bar(flat_bar(0))
    await venue.submit(market())

    # Act
    venue.on_bar(flat_bar(1, "50100"))
    too_early = fills(venue.drain_reports())
    venue.on_bar(flat_bar(2, "50200"))
    on_time = fills(venue.drain_reports())

    # Assert
    assert too_early == []
    assert [fill.price for fill in on_time] == [Decimal("50200.00")]


@pytest.mark.parametrize(
    ("side", "limit", "price", "is_maker"),
    [
        (Side.BUY, "49900", "49900", True),  # below the open: rests, filled at its limit
        (Side.BUY, "50100", "50000", False),  # above the open: crosses, takes at the open
        (Side.SELL, "50100", "50100", True),  # above the open: rests, filled at its limit
        (Side.SELL, "49900", "50000", False),  # below the open: crosses, takes at the open
    ],
)
async def test_limit_order_when_bar_reaches_it_then_maker_at_limit_or_taker_at_open(
    side: Side, limit: str, price: str, is_maker: bool
) -> None:
    # Arrange
    venue = paper()
    await venue.submit(order_spec(side=side, limit_price=Decimal(limit)))

    # Act
    venue.on_bar(bar(1, "50000", "50200", "49800", "50000"))
    (fill,) = fills(venue.drain_reports())

    # Assert
    assert fill.price == Decimal(price)
    assert fill.is_maker is is_maker
    fee_frac = MAKER if is_maker else TAKER
    assert fill.fee == Decimal("0.01") * Decimal(price) * fee_frac


async def test_limit_buy_when_bar_low_stays_above_it_then_rests_unfilled() -> None:
    # Arrange
    venue = paper()
    await venue.submit(order_spec(limit_price=Decimal("49000")))

    # Act
    venue.on_bar(bar(1, "50000", "50200", "49800", "50000"))
    reports = venue.drain_reports()
    open_orders = await venue.open_orders()

    # Assert
    assert fills(reports) == []
    assert [order.client_order_id for order in open_orders] == ["cid-1"]


async def test_fees_when_maker_and_taker_then_exact_decimals_with_maker_rebate() -> None:
    # Arrange: a maker rebate of 1 bp and a taker fee of 5 bp.
    venue = paper(fee_model=FeeModel(maker_fee_frac=Decimal("-0.0001"), taker_fee_frac=TAKER))
    await venue.submit(
        order_spec(client_order_id=ClientOrderId("maker"), limit_price=Decimal("49900.01"))
    )
    await venue.submit(market(client_order_id=ClientOrderId("taker"), quantity=Decimal("0.00333")))

    # Act
    venue.on_bar(bar(1, "50000.03", "50100", "49800", "50000"))
    maker, taker = fills(venue.drain_reports())

    # Assert
    assert maker.fee == Decimal("-0.0499000100")  # 0.01 x 49900.01 x -0.0001, exact
    assert taker.fee == Decimal("0.0832500499500")  # 0.00333 x 50000.03 x 0.0005, exact
    assert maker.fee_currency == taker.fee_currency == "USDT"


async def test_stop_market_buy_when_bar_trades_through_stop_then_fills_at_stop() -> None:
    # Arrange
    venue = paper()
    await venue.submit(order_spec(order_type=OrderType.STOP_MARKET, stop_price=Decimal("50500")))

    # Act
    venue.on_bar(bar(1, "50000", "50400", "49900", "50300"))
    untouched = fills(venue.drain_reports())
    venue.on_bar(bar(2, "50300", "50600", "50200", "50550"))
    triggered = fills(venue.drain_reports())

    # Assert
    assert untouched == []
    assert [(fill.price, fill.is_maker) for fill in triggered] == [(Decimal("50500"), False)]


async def test_stop_market_buy_when_bar_gaps_over_stop_then_fills_at_open() -> None:
    # Arrange
    venue = paper()
    await venue.submit(order_spec(order_type=OrderType.STOP_MARKET, stop_price=Decimal("50500")))

    # Act
    venue.on_bar(bar(1, "50700", "50800", "50600", "50650"))
    (fill,) = fills(venue.drain_reports())

    # Assert
    assert fill.price == Decimal("50700.00")


async def test_stop_market_sell_when_bar_trades_down_through_stop_then_fills_at_stop() -> None:
    # Arrange
    venue = paper()
    spec = order_spec(side=Side.SELL, order_type=OrderType.STOP_MARKET, stop_price=Decimal("49500"))
    await venue.submit(spec)

    # Act
    venue.on_bar(bar(1, "50000", "50100", "49400", "49450"))
    (fill,) = fills(venue.drain_reports())

    # Assert
    assert fill.price == Decimal("49500")
    assert fill.side is Side.SELL


async def test_stop_limit_when_limit_marketable_at_trigger_then_fills_at_trigger_price() -> None:
    # Arrange
    venue = paper()
    spec = order_spec(
        order_type=OrderType.STOP_LIMIT, stop_price=Decimal("50500"), limit_price=Decimal("50600")
    )
    await venue.submit(spec)

    # Act
    venue.on_bar(bar(1, "50000", "50700", "49900", "50650"))
    (fill,) = fills(venue.drain_reports())

    # Assert
    assert (fill.price, fill.is_maker) == (Decimal("50500"), False)


async def test_stop_limit_when_limit_below_trigger_then_rests_and_fills_later_as_limit() -> None:
    # Arrange
    venue = paper()
    spec = order_spec(
        order_type=OrderType.STOP_LIMIT, stop_price=Decimal("50500"), limit_price=Decimal("50400")
    )
    await venue.submit(spec)

    # Act
    venue.on_bar(bar(1, "50450", "50700", "50450", "50650"))
    trigger_bar = fills(venue.drain_reports())
    venue.on_bar(bar(2, "50600", "50650", "50300", "50350"))
    next_bar = fills(venue.drain_reports())

    # Assert
    assert trigger_bar == []
    assert [(fill.price, fill.is_maker) for fill in next_bar] == [(Decimal("50400"), True)]


async def test_ioc_when_volume_covers_half_then_half_fills_and_remainder_expires() -> None:
    # Arrange: 50% of a 0.01 BTC bar is 0.005 BTC.
    venue = paper(max_participation_frac=Decimal("0.5"))
    await venue.submit(market(time_in_force=TimeInForce.IOC))

    # Act
    venue.on_bar(flat_bar(1, volume="0.01"))
    reports = venue.drain_reports()
    order = await venue.query(ClientOrderId("cid-1"))

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.FILL, ReportKind.EXPIRED]
    assert reports[1].quantity == Decimal("0.005")
    assert reports[1].leaves_quantity == Decimal("0.005")
    assert reports[2].code is RejectCode.TIME_IN_FORCE
    assert order is not None
    assert (order.status, order.filled_quantity) == (OrderStatus.EXPIRED, Decimal("0.005"))


async def test_ioc_limit_when_first_bar_misses_it_then_expires_without_fill() -> None:
    # Arrange
    venue = paper()
    await venue.submit(order_spec(limit_price=Decimal("49000"), time_in_force=TimeInForce.IOC))

    # Act
    venue.on_bar(flat_bar(1, "50000"))
    venue.on_bar(flat_bar(2, "48000"))
    reports = venue.drain_reports()

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.EXPIRED]


async def test_fok_when_volume_short_of_quantity_then_nothing_fills() -> None:
    # Arrange
    venue = paper(max_participation_frac=Decimal("0.5"))
    await venue.submit(market(time_in_force=TimeInForce.FOK))

    # Act
    venue.on_bar(flat_bar(1, volume="0.01"))
    reports = venue.drain_reports()

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.EXPIRED]


async def test_fok_when_volume_covers_quantity_then_fills_whole() -> None:
    # Arrange
    venue = paper(max_participation_frac=Decimal("0.5"))
    await venue.submit(market(time_in_force=TimeInForce.FOK))

    # Act
    venue.on_bar(flat_bar(1, volume="0.02"))
    reports = venue.drain_reports()

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.FILL]
    assert reports[1].quantity == Decimal("0.01")


async def test_post_only_when_crossing_last_close_then_rejected_at_submit() -> None:
    # Arrange
    venue = paper()
    venue.on_bar(flat_bar(0, "50000"))

    # Act
    ack = await venue.submit(order_spec(limit_price=Decimal("50100"), post_only=True))
    reports = venue.drain_reports()

    # Assert
    assert not ack.accepted
    assert ack.code is RejectCode.WOULD_CROSS
    assert kinds(reports) == [ReportKind.REJECTED]


async def test_post_only_when_crossing_open_of_first_eligible_bar_then_expires_unfilled() -> None:
    # Arrange: no bar seen at submission, so the check happens when the order reaches the book.
    venue = paper()
    await venue.submit(order_spec(limit_price=Decimal("50100"), post_only=True))

    # Act
    venue.on_bar(bar(1, "50000", "50200", "49800", "50000"))
    reports = venue.drain_reports()

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.EXPIRED]
    assert reports[1].code is RejectCode.WOULD_CROSS


async def test_post_only_when_resting_below_market_then_fills_as_maker() -> None:
    # Arrange
    venue = paper()
    venue.on_bar(flat_bar(0, "50000"))
    await venue.submit(order_spec(limit_price=Decimal("49900"), post_only=True))

    # Act
    venue.on_bar(bar(1, "50000", "50000", "49850", "49950"))
    (fill,) = fills(venue.drain_reports())

    # Assert
    assert (fill.price, fill.is_maker) == (Decimal("49900"), True)


async def test_partial_fills_when_volume_limited_then_spread_over_bars_and_sum_to_quantity() -> (
    None
):
    # Arrange: 10% of 0.04 BTC is 0.004 BTC a bar.
    venue = paper(max_participation_frac=Decimal("0.1"))
    await venue.submit(order_spec(limit_price=Decimal("50000")))

    # Act
    for index in (1, 2, 3, 4):
        venue.on_bar(flat_bar(index, "49990", volume="0.04"))
    reports = fills(venue.drain_reports())
    order = await venue.query(ClientOrderId("cid-1"))

    # Assert
    assert [fill.quantity for fill in reports] == [
        Decimal("0.004"),
        Decimal("0.004"),
        Decimal("0.002"),
    ]
    assert sum(fill.quantity for fill in reports) == Decimal("0.01")
    assert [fill.leaves_quantity for fill in reports] == [
        Decimal("0.006"),
        Decimal("0.002"),
        Decimal("0"),
    ]
    assert order is not None
    assert order.status is OrderStatus.FILLED
    assert len({fill.trade_id for fill in reports}) == 3


async def test_participation_when_two_orders_share_a_bar_then_they_share_its_budget() -> None:
    # Arrange
    venue = paper(max_participation_frac=Decimal("0.5"))
    await venue.submit(market(client_order_id=ClientOrderId("first")))
    await venue.submit(market(client_order_id=ClientOrderId("second")))

    # Act
    venue.on_bar(flat_bar(1, volume="0.03"))
    reports = fills(venue.drain_reports())

    # Assert: 0.015 in all, oldest order first.
    assert [(fill.client_order_id, fill.quantity) for fill in reports] == [
        ("first", Decimal("0.01")),
        ("second", Decimal("0.005")),
    ]


async def test_zero_volume_bar_when_market_order_waits_then_nothing_fills() -> None:
    # Arrange
    venue = paper()
    await venue.submit(market())

    # Act
    venue.on_bar(flat_bar(1, volume="0"))
    reports = venue.drain_reports()

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED]


async def _slipped_run(seed: int) -> list[ExecutionReport]:
    """Return the reports of 30 market buys and 30 market sells with 50% one-tick slippage."""
    venue = paper(slippage=TickSlippage(0.5, seed=seed))
    for index in range(1, 31):
        await venue.submit(market(client_order_id=ClientOrderId(f"b{index}")))
        await venue.submit(market(client_order_id=ClientOrderId(f"s{index}"), side=Side.SELL))
        venue.on_bar(flat_bar(index, "50000"))
    return venue.drain_reports()


async def test_slippage_when_seeded_then_same_reports_and_whole_ticks_against_taker() -> None:
    # Arrange, Act
    first = await _slipped_run(seed=7)
    second = await _slipped_run(seed=7)

    # Assert
    assert first == second
    moves = {
        (fill.side, (fill.price - Decimal("50000")) / Decimal("0.01")) for fill in fills(first)
    }
    assert moves == {(Side.BUY, 0), (Side.BUY, 1), (Side.SELL, 0), (Side.SELL, -1)}


async def test_slippage_when_seed_differs_then_fills_differ() -> None:
    # Arrange, Act
    first = await _slipped_run(seed=7)
    other = await _slipped_run(seed=8)

    # Assert
    assert [f.price for f in fills(first)] != [f.price for f in fills(other)]


@pytest.mark.parametrize(
    ("side", "rate", "amount"),
    [
        (Side.BUY, "0.0001", "0.05"),  # long, positive rate: pays
        (Side.SELL, "0.0001", "-0.05"),  # short, positive rate: receives
        (Side.BUY, "-0.0001", "-0.05"),  # long, negative rate: receives
    ],
)
async def test_funding_when_position_open_then_amount_is_quantity_times_mark_times_rate(
    side: Side, rate: str, amount: str
) -> None:
    # Arrange: 0.01 BTC at mark 50000 is 500 USDT of notional.
    venue = paper()
    await venue.submit(market(symbol=PERP, side=side))
    venue.on_bar(flat_bar(1).model_copy(update={"symbol": PERP}))
    venue.drain_reports()
    settlement = FundingRate(
        venue=VENUE, symbol=PERP, ts_ns=T0_NS + 2 * MINUTE_NS, rate=Decimal(rate)
    )

    # Act
    venue.on_funding(settlement, Decimal("50000"))
    (report,) = venue.drain_reports()

    # Assert
    assert report.kind is ReportKind.FUNDING
    assert (report.account, report.symbol) == (ACCOUNT, PERP)
    assert report.amount == Decimal(amount)
    assert report.ts_ns == settlement.ts_ns


async def test_funding_when_spot_position_then_nothing_is_due() -> None:
    # Arrange
    venue = paper()
    await venue.submit(market())
    venue.on_bar(flat_bar(1))
    venue.drain_reports()

    # Act
    venue.on_funding(
        FundingRate(venue=VENUE, symbol=SYMBOL, ts_ns=T0_NS, rate=Decimal("0.0001")),
        Decimal("50000"),
    )

    # Assert
    assert venue.drain_reports() == []


async def test_submit_when_same_client_order_id_twice_then_one_order_and_one_set_of_fills() -> None:
    # Arrange
    venue = paper()
    spec = market()

    # Act
    first = await venue.submit(spec)
    second = await venue.submit(spec)
    venue.on_bar(flat_bar(1))
    reports = venue.drain_reports()

    # Assert
    assert second == first
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.FILL]
    assert len(await venue.open_orders()) == 0
    assert venue.position(ACCOUNT, SYMBOL) == Decimal("0.01")


async def test_submit_when_used_id_carries_another_spec_then_refused_and_first_untouched() -> None:
    # Arrange
    venue = paper()
    await venue.submit(order_spec(limit_price=Decimal("49000")))
    venue.drain_reports()

    # Act
    ack = await venue.submit(order_spec(limit_price=Decimal("49500")))
    reports = venue.drain_reports()
    order = await venue.query(ClientOrderId("cid-1"))

    # Assert
    assert not ack.accepted
    assert ack.code is RejectCode.DUPLICATE_CLIENT_ORDER_ID
    assert reports == []
    assert order is not None
    assert order.spec.limit_price == Decimal("49000")
    assert order.status is OrderStatus.ACCEPTED


async def test_cancel_when_order_rests_then_canceled_and_never_fills() -> None:
    # Arrange
    venue = paper()
    await venue.submit(order_spec(limit_price=Decimal("49000")))

    # Act
    ack = await venue.cancel(ClientOrderId("cid-1"))
    venue.on_bar(flat_bar(1, "48000"))
    reports = venue.drain_reports()
    order = await venue.query(ClientOrderId("cid-1"))

    # Assert
    assert ack.accepted
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.CANCELED]
    assert order is not None
    assert order.status is OrderStatus.CANCELED
    assert await venue.open_orders() == []


async def test_cancel_when_id_unknown_then_refused_without_report() -> None:
    # Arrange
    venue = paper()

    # Act
    ack = await venue.cancel(ClientOrderId("nope"))

    # Assert
    assert not ack.accepted
    assert ack.code is RejectCode.UNKNOWN_ORDER
    assert venue.drain_reports() == []
    assert await venue.query(ClientOrderId("nope")) is None


async def test_cancel_when_order_already_filled_then_cancel_rejected() -> None:
    # Arrange
    venue = paper()
    await venue.submit(market())
    venue.on_bar(flat_bar(1))
    venue.drain_reports()

    # Act
    ack = await venue.cancel(ClientOrderId("cid-1"))
    reports = venue.drain_reports()

    # Assert
    assert (ack.accepted, ack.code) == (False, RejectCode.ORDER_CLOSED)
    assert kinds(reports) == [ReportKind.CANCEL_REJECTED]


async def test_cancel_when_latency_then_a_bar_before_it_lands_can_still_fill() -> None:
    # Arrange: cancels travel as slowly as orders.
    clock = SimulatedClock(T0)
    venue = paper(clock, latency_ns=MINUTE_NS)
    await venue.submit(order_spec(limit_price=Decimal("49000")))
    clock.advance(60)
    await venue.cancel(ClientOrderId("cid-1"))

    # Act: this bar reaches the order before the cancel does.
    venue.on_bar(flat_bar(1, "48500"))
    clock.advance(60)
    reports = venue.drain_reports()

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.FILL, ReportKind.CANCEL_REJECTED]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"limit_price": Decimal("50000.005")}, RejectCode.OFF_TICK),
        ({"quantity": Decimal("0.010001")}, RejectCode.OFF_STEP),
        ({"symbol": Symbol("DOGE/USDT")}, RejectCode.UNKNOWN_SYMBOL),
        ({"quantity": Decimal("0.00005")}, RejectCode.BELOW_MINIMUM),
        ({"reduce_only": True}, RejectCode.REDUCE_ONLY),
    ],
)
async def test_submit_when_spec_breaks_venue_rules_then_rejected_with_reason(
    overrides: dict[str, Any], code: RejectCode
) -> None:
    # Arrange
    venue = paper()

    # Act
    ack = await venue.submit(order_spec(**overrides))
    reports = venue.drain_reports()
    venue.on_bar(flat_bar(1, "40000"))

    # Assert
    assert not ack.accepted
    assert ack.code is code
    assert ack.reason
    assert kinds(reports) == [ReportKind.REJECTED]
    assert reports[0].code is code
    assert fills(venue.drain_reports()) == []


async def test_reduce_only_when_position_smaller_than_order_then_fills_only_the_position() -> None:
    # Arrange: long 0.004, then a reduce-only sell of 0.01.
    venue = paper()
    await venue.submit(market(client_order_id=ClientOrderId("open"), quantity=Decimal("0.004")))
    venue.on_bar(flat_bar(1))
    await venue.submit(
        market(client_order_id=ClientOrderId("close"), side=Side.SELL, reduce_only=True)
    )

    # Act
    venue.on_bar(flat_bar(2))
    reports = [r for r in venue.drain_reports() if r.client_order_id == "close"]

    # Assert
    assert kinds(reports) == [ReportKind.ACCEPTED, ReportKind.FILL, ReportKind.EXPIRED]
    assert reports[1].quantity == Decimal("0.004")
    assert venue.position(ACCOUNT, SYMBOL) == 0


async def test_fill_report_when_converted_then_fill_carries_spec_account_and_side() -> None:
    # Arrange
    venue = paper()
    spec = market(account=AccountId("acct-9"))
    await venue.submit(spec)
    venue.on_bar(flat_bar(1))
    (report,) = fills(venue.drain_reports())

    # Act
    fill = fill_from_report(report, spec, received_ns=T0_NS + 2 * MINUTE_NS)

    # Assert
    assert (fill.account, fill.symbol, fill.side) == ("acct-9", SYMBOL, Side.BUY)
    assert (fill.quantity, fill.price, fill.fee) == (report.quantity, report.price, report.fee)
    assert fill.trade_id == report.trade_id
    assert fill.ts_init > fill.ts_event


async def test_fill_report_when_spec_is_another_order_then_refused() -> None:
    # Arrange
    venue = paper()
    await venue.submit(market())
    venue.on_bar(flat_bar(1))
    (report,) = fills(venue.drain_reports())

    # Act, Assert
    with pytest.raises(ValueError, match="does not match"):
        fill_from_report(report, market(client_order_id=ClientOrderId("other")), received_ns=0)


async def test_bar_when_older_than_last_then_refused() -> None:
    # Arrange
    venue = paper()
    venue.on_bar(flat_bar(2))

    # Act, Assert
    with pytest.raises(ValueError, match="not after the last bar"):
        venue.on_bar(flat_bar(1))


def test_bar_when_low_above_open_then_refused() -> None:
    # Act, Assert
    with pytest.raises(ValidationError, match="low must be"):
        bar(1, "50000", "50100", "50050", "50080")


def test_paper_venue_when_checked_then_implements_venue_and_market_data_protocols() -> None:
    # Arrange
    venue = paper()

    # Assert
    assert isinstance(venue, Venue)
    assert isinstance(venue, MarketDataSink)


def test_fee_model_when_taker_fee_negative_then_refused() -> None:
    # Act, Assert
    with pytest.raises(ValueError, match="taker_fee_frac"):
        FeeModel(maker_fee_frac=Decimal(0), taker_fee_frac=Decimal("-0.0001"))
