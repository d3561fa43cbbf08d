"""Order scenarios through the real ccxt client and our adapter against the fake Binance."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.execution.venue import RejectCode, ReportKind
from aiswarm.types import ClientOrderId, OrderStatus, OrderType, Side, Symbol, TimeInForce
from aiswarm.venues.ccxt_venue import CcxtVenue
from fakes.binance_fake import FakeBinance
from kit.binance_venue import fake_settings
from kit.builders import T0, order_spec

pytestmark = pytest.mark.integration


def _limit(cid: str, quantity: str = "0.01", price: str = "50000", **more: object):  # type: ignore[no-untyped-def]
    return order_spec(
        client_order_id=ClientOrderId(cid),
        quantity=Decimal(quantity),
        limit_price=Decimal(price),
        **more,
    )


async def test_place_limit_order_then_accepted_report_and_resting_at_venue(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    ack = await binance_venue.submit(_limit("ais-place-1"))

    assert ack.accepted
    assert ack.venue_order_id == "1"
    [report] = binance_venue.drain_reports()
    assert report.kind is ReportKind.ACCEPTED
    [order] = fake_binance.by_client_id("ais-place-1")
    assert (order.quantity, order.price, order.status) == (
        Decimal("0.01"),
        Decimal("50000"),
        "NEW",
    )
    [view] = await binance_venue.open_orders()
    assert view.client_order_id == "ais-place-1"
    assert view.status is OrderStatus.ACCEPTED


async def test_partial_fill_then_fill_reported_in_order_with_leaves(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_limit("ais-fill-1"))
    binance_venue.drain_reports()

    fake_binance.fill("ais-fill-1", "0.004")
    await binance_venue.poll()
    partial = binance_venue.drain_reports()
    fake_binance.fill("ais-fill-1", "0.006", "49999.5")
    await binance_venue.poll()
    rest = binance_venue.drain_reports()
    await binance_venue.poll()

    assert [(r.kind, r.quantity, r.leaves_quantity) for r in partial] == [
        (ReportKind.FILL, Decimal("0.004"), Decimal("0.006"))
    ]
    assert [(r.kind, r.quantity, r.price, r.leaves_quantity) for r in rest] == [
        (ReportKind.FILL, Decimal("0.006"), Decimal("49999.5"), Decimal("0"))
    ]
    assert rest[0].fee == Decimal("0.299997")
    assert rest[0].fee_currency == "USDT"
    assert rest[0].is_maker is True
    assert binance_venue.drain_reports() == []  # nothing reported twice
    seen = await binance_venue.query(ClientOrderId("ais-fill-1"))
    assert seen is not None
    assert seen.status is OrderStatus.FILLED
    fills = await binance_venue.fills_for(ClientOrderId("ais-fill-1"))
    assert [r.trade_id for r in fills] == [partial[0].trade_id, rest[0].trade_id]


async def test_market_order_fills_at_once_as_taker(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    spec = order_spec(
        client_order_id=ClientOrderId("ais-mkt-1"),
        order_type=OrderType.MARKET,
        quantity=Decimal("0.002"),
    )

    ack = await binance_venue.submit(spec)

    kinds = [(r.kind, r.price, r.is_maker) for r in binance_venue.drain_reports()]
    assert ack.accepted
    assert kinds == [(ReportKind.ACCEPTED, None, None), (ReportKind.FILL, Decimal("57000"), False)]
    balances = await binance_venue.balances()
    assert balances["BTC"].free == Decimal("0.002")


async def test_cancel_resting_order_then_canceled_report(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_limit("ais-cancel-1"))
    binance_venue.drain_reports()

    ack = await binance_venue.cancel(ClientOrderId("ais-cancel-1"))

    assert ack.accepted
    assert [r.kind for r in binance_venue.drain_reports()] == [ReportKind.CANCELED]
    assert fake_binance.by_client_id("ais-cancel-1")[0].status == "CANCELED"
    again = await binance_venue.cancel(ClientOrderId("ais-cancel-1"))
    assert again.code is RejectCode.ORDER_CLOSED


async def test_cancel_after_the_order_filled_reports_the_fill_and_order_closed(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_limit("ais-late-1"))
    binance_venue.drain_reports()
    fake_binance.fill("ais-late-1", "0.01")

    ack = await binance_venue.cancel(ClientOrderId("ais-late-1"))

    assert ack.code is RejectCode.ORDER_CLOSED
    assert [r.kind for r in binance_venue.drain_reports()] == [ReportKind.FILL]


async def test_cancel_of_unknown_id_refused_unknown_order(binance_venue: CcxtVenue) -> None:
    ack = await binance_venue.cancel(ClientOrderId("ais-never"))

    assert ack.code is RejectCode.UNKNOWN_ORDER
    assert await binance_venue.query(ClientOrderId("ais-never")) is None


@pytest.mark.parametrize(
    ("spec_fields", "code"),
    [
        ({"quantity": Decimal("10")}, RejectCode.INSUFFICIENT_FUNDS),
        ({"quantity": Decimal("0.0001")}, RejectCode.BELOW_MINIMUM),
        ({"quantity": Decimal("0.000001")}, RejectCode.PRECISION),
        ({"limit_price": Decimal("50000.001")}, RejectCode.PRECISION),
    ],
    ids=["insufficient-funds", "min-notional", "quantity-precision", "price-precision"],
)
async def test_refused_order_maps_to_our_reason_code(
    binance_venue: CcxtVenue,
    fake_binance: FakeBinance,
    spec_fields: dict[str, object],
    code: RejectCode,
) -> None:
    spec = order_spec(client_order_id=ClientOrderId("ais-bad-1"), **spec_fields)

    ack = await binance_venue.submit(spec)

    assert not ack.accepted
    assert ack.code is code
    [report] = binance_venue.drain_reports()
    assert (report.kind, report.code) == (ReportKind.REJECTED, code)
    assert fake_binance.by_client_id("ais-bad-1") == []
    # the same spec again is answered from memory: no second request, no second report
    requests = len(fake_binance.requests)
    assert (await binance_venue.submit(spec)).code is code
    assert len(fake_binance.requests) == requests
    assert binance_venue.drain_reports() == []


async def test_precision_refusal_sends_nothing(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_limit("ais-prec-1", quantity="0.000001"))

    assert ("POST", "/api/v3/order") not in fake_binance.requests


async def test_sell_ioc_limit_passes_time_in_force(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    fake_binance.balances["BTC"] = Decimal("1")

    await binance_venue.submit(
        _limit("ais-ioc-1", side=Side.SELL, price="60000", time_in_force=TimeInForce.IOC)
    )

    assert fake_binance.by_client_id("ais-ioc-1")[0].time_in_force == "IOC"


async def test_same_spec_twice_returns_first_ack_and_one_order(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    first = await binance_venue.submit(_limit("ais-twice-1"))
    second = await binance_venue.submit(_limit("ais-twice-1"))
    other = await binance_venue.submit(_limit("ais-twice-1", price="49000"))

    assert (second.accepted, second.venue_order_id) == (True, first.venue_order_id)
    assert other.code is RejectCode.DUPLICATE_CLIENT_ORDER_ID
    assert len(fake_binance.by_client_id("ais-twice-1")) == 1


async def test_modify_cancels_and_replaces_with_new_id_tracked(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_limit("ais-old-1"))

    ack = await binance_venue.modify(ClientOrderId("ais-old-1"), _limit("ais-new-1", price="49500"))

    assert ack.accepted
    assert binance_venue.replaced_by(ClientOrderId("ais-old-1")) == "ais-new-1"
    assert fake_binance.by_client_id("ais-old-1")[0].status == "CANCELED"
    assert fake_binance.by_client_id("ais-new-1")[0].price == Decimal("49500")
    kinds = [(r.client_order_id, r.kind) for r in binance_venue.drain_reports()]
    assert kinds[-2:] == [
        ("ais-old-1", ReportKind.CANCELED),
        ("ais-new-1", ReportKind.ACCEPTED),
    ]


async def test_modify_of_filled_order_places_nothing(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_limit("ais-old-2"))
    fake_binance.fill("ais-old-2", "0.01")

    ack = await binance_venue.modify(ClientOrderId("ais-old-2"), _limit("ais-new-2"))

    assert not ack.accepted
    assert fake_binance.by_client_id("ais-new-2") == []


async def test_markets_cached_in_a_file_are_read_instead_of_asking_the_venue(
    fake_binance: FakeBinance, tmp_path: Path
) -> None:
    cache = tmp_path / "binance-markets.json"
    first = CcxtVenue(fake_settings(fake_binance, markets_file=cache), SimulatedClock(T0))
    await first.connect()
    await first.close()
    asked = fake_binance.requests.count(("GET", "/api/v3/exchangeInfo"))

    second = CcxtVenue(fake_settings(fake_binance, markets_file=cache), SimulatedClock(T0))
    await second.connect()
    try:
        instrument = second.instruments[Symbol("BTC/USDT")]
    finally:
        await second.close()

    assert cache.exists()
    assert asked == 1
    assert fake_binance.requests.count(("GET", "/api/v3/exchangeInfo")) == 1
    assert (instrument.tick_size, instrument.step_size) == (Decimal("0.01"), Decimal("0.00001"))
    assert instrument.min_notional == Decimal("10")


async def test_fills_since_returns_our_fills_oldest_first(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_limit("ais-since-1"))
    await binance_venue.submit(_limit("ais-since-2", price="49000"))
    fake_binance.fill("ais-since-2", "0.01")
    fake_binance.fill("ais-since-1", "0.002")

    fills = await binance_venue.fills_since(0)

    assert [(r.client_order_id, r.quantity) for r in fills] == [
        ("ais-since-2", Decimal("0.01")),
        ("ais-since-1", Decimal("0.002")),
    ]


async def test_client_throttles_by_the_venues_published_weights(binance_venue: CcxtVenue) -> None:
    exchange = binance_venue.exchange

    assert exchange.enableRateLimit is True
    assert exchange.rateLimit > 0
    # Binance's request weights as ccxt encodes them: an order query costs more than a ping.
    weights = (exchange.api["private"]["get"]["order"], exchange.api["public"]["get"]["ping"])
    assert weights[0]["cost"] > weights[1]["cost"]
