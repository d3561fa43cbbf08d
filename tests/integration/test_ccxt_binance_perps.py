"""USDⓈ-M perpetuals through the real ccxt client against the fake Binance's /fapi endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.execution.venue import RejectCode, ReportKind
from aiswarm.types import ClientOrderId, InstrumentKind, OrderType, Side, Symbol
from aiswarm.venues.ccxt_venue import CcxtVenue
from fakes.binance_fake import FakeBinance
from kit.binance_venue import fake_settings
from kit.builders import T0, order_spec

pytestmark = pytest.mark.integration

PERP = Symbol("BTC/USDT:USDT")


@pytest.fixture
async def perp_venue(fake_binance: FakeBinance) -> AsyncIterator[CcxtVenue]:
    fake_binance.usdm.last_price["BTCUSDT"] = Decimal("40000")
    settings = fake_settings(
        fake_binance,
        market_type="swap",
        routes={PERP: "BTC/USDT:USDT"},
        options={
            "fetchMarkets": {"types": ["linear"]},
            "fetchMargins": False,
            "fetchCurrencies": False,
        },
    )
    venue = CcxtVenue(settings, SimulatedClock(T0))
    await venue.connect()
    try:
        yield venue
    finally:
        await venue.close()


def _market(cid: str, side: Side, quantity: str, *, reduce_only: bool = False):  # type: ignore[no-untyped-def]
    return order_spec(
        client_order_id=ClientOrderId(cid),
        symbol=PERP,
        side=side,
        order_type=OrderType.MARKET,
        quantity=Decimal(quantity),
        reduce_only=reduce_only,
    )


async def test_perpetual_instrument_read_from_recorded_futures_markets(
    perp_venue: CcxtVenue,
) -> None:
    instrument = perp_venue.instruments[PERP]

    assert instrument.kind is InstrumentKind.PERPETUAL
    assert (instrument.tick_size, instrument.step_size) == (Decimal("0.01"), Decimal("0.001"))
    assert instrument.min_notional == Decimal("5")


async def test_open_then_reduce_only_close_leaves_no_position(
    perp_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    opened = await perp_venue.submit(_market("ais-perp-1", Side.BUY, "0.010"))
    [position] = await perp_venue.positions()
    closed = await perp_venue.submit(_market("ais-perp-2", Side.SELL, "0.010", reduce_only=True))

    assert opened.accepted
    assert closed.accepted
    assert (position.symbol, position.quantity) == (PERP, Decimal("0.01"))
    assert await perp_venue.positions() == []
    fills = [r for r in perp_venue.drain_reports() if r.kind is ReportKind.FILL]
    assert [(r.side, r.quantity, r.is_maker) for r in fills] == [
        (Side.BUY, Decimal("0.01"), False),
        (Side.SELL, Decimal("0.01"), False),
    ]
    assert fake_binance.usdm.orders[2].reduce_only is True


async def test_reduce_only_that_would_open_is_rejected_reduce_only(
    perp_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    ack = await perp_venue.submit(_market("ais-perp-3", Side.SELL, "0.010", reduce_only=True))

    assert ack.code is RejectCode.REDUCE_ONLY
    [report] = perp_venue.drain_reports()
    assert (report.kind, report.code) == (ReportKind.REJECTED, RejectCode.REDUCE_ONLY)
    assert fake_binance.usdm.orders == {}


async def test_futures_balance_is_read(perp_venue: CcxtVenue) -> None:
    balances = await perp_venue.balances()

    assert balances["USDT"].total == Decimal("100000")
