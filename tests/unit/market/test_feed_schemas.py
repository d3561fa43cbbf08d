"""Market record schemas (trades, books, open interest) and feed ids, specs and coverage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from aiswarm.market import Coverage, FeedId, FeedIdError, FeedSchema, FeedSpec, LatencyClass
from aiswarm.types import OpenInterest, OrderBookSnapshot, Side, Trade

T0 = 1_700_000_000_000_000_000


def book(bids: object, asks: object) -> OrderBookSnapshot:
    return OrderBookSnapshot.model_validate(
        {"venue": "binance", "symbol": "BTC/USDT", "ts_ns": T0, "bids": bids, "asks": asks}
    )


# --- record schemas -------------------------------------------------------------------------


def test_trade_when_valid_then_exact_decimals_and_side() -> None:
    # Act
    trade = Trade(
        venue="binance",
        symbol="BTC/USDT",
        ts_ns=T0,
        price="42000.10",
        size="0.5",
        side=Side.BUY,
        trade_id="7",
    )

    # Assert
    assert (trade.price, trade.size, trade.side) == (Decimal("42000.10"), Decimal("0.5"), Side.BUY)


@pytest.mark.parametrize(("price", "size"), [(42000.1, "1"), ("0", "1"), ("1", "0")])
def test_trade_when_float_or_not_positive_then_refused(price: object, size: object) -> None:
    with pytest.raises(ValidationError):
        Trade(venue="binance", symbol="BTC/USDT", ts_ns=T0, price=price, size=size)


def test_book_when_ladders_given_as_tuples_then_levels_with_decimals() -> None:
    # Act
    snapshot = book(bids=(("100", "1"), ("99.5", "2")), asks=(("100.5", "3"),))

    # Assert
    assert snapshot.bids[1].price == Decimal("99.5")
    assert snapshot.asks[0].size == Decimal("3")
    assert snapshot.depth == 2


def test_book_when_bids_rise_then_refused_naming_prices() -> None:
    with pytest.raises(ValidationError, match="bids 99 then 100"):
        book(bids=(("99", "1"), ("100", "1")), asks=())


def test_book_when_asks_repeat_a_price_then_refused() -> None:
    with pytest.raises(ValidationError, match="asks must rise strictly"):
        book(bids=(), asks=(("101", "1"), ("101", "2")))


def test_book_when_crossed_then_refused() -> None:
    with pytest.raises(ValidationError, match="crossed"):
        book(bids=(("101", "1"),), asks=(("100", "1"),))


def test_book_when_level_price_is_float_then_refused() -> None:
    with pytest.raises(ValidationError, match="float"):
        book(bids=((100.5, "1"),), asks=())


def test_open_interest_when_negative_then_refused() -> None:
    with pytest.raises(ValidationError):
        OpenInterest(venue="binance", symbol="BTC/USDT:USDT", ts_ns=T0, quantity="-1")


def test_records_when_built_then_frozen() -> None:
    trade = Trade(venue="binance", symbol="BTC/USDT", ts_ns=T0, price="1", size="1")
    with pytest.raises(ValidationError):
        trade.price = Decimal("2")  # type: ignore[misc]


# --- feed ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "venue", "symbol", "schema", "interval_s"),
    [
        ("binance:BTC/USDT:1m", "binance", "BTC/USDT", FeedSchema.BARS, 60),
        ("binance:BTC/USDT:USDT:8h", "binance", "BTC/USDT:USDT", FeedSchema.BARS, 28_800),
        ("coinbase:BTC/USD:1d", "coinbase", "BTC/USD", FeedSchema.BARS, 86_400),
        ("coinbase:BTC/USD:trades", "coinbase", "BTC/USD", FeedSchema.TRADES, None),
        ("binance:BTC/USDT:book", "binance", "BTC/USDT", FeedSchema.BOOK, None),
        ("binance:BTC/USD:BTC:funding", "binance", "BTC/USD:BTC", FeedSchema.FUNDING, None),
        (
            "hyperliquid:BTC/USDC:USDC:open_interest",
            "hyperliquid",
            "BTC/USDC:USDC",
            FeedSchema.OPEN_INTEREST,
            None,
        ),
    ],
)
def test_feed_id_when_valid_then_parts_parsed_and_text_round_trips(
    text: str, venue: str, symbol: str, schema: FeedSchema, interval_s: int | None
) -> None:
    # Act
    feed_id = FeedId.parse(text)

    # Assert
    assert (feed_id.venue, feed_id.symbol, feed_id.schema, feed_id.interval_s) == (
        venue,
        symbol,
        schema,
        interval_s,
    )
    assert str(feed_id) == text


def test_feed_id_when_interval_in_seconds_then_text_is_canonical() -> None:
    assert str(FeedId.parse("binance:BTC/USDT:60s")) == "binance:BTC/USDT:1m"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("binance:BTC/USDT", "2 part"),
        ("Binance:BTC/USDT:1m", "venue 'Binance'"),
        ("binance:btc/usdt:1m", "symbol 'btc/usdt'"),
        ("binance:BTCUSDT:1m", "symbol 'BTCUSDT'"),
        ("binance:BTC/USDT:1M", "kind '1M'"),
        ("binance:BTC/USDT:0m", "kind '0m'"),
        ("binance:BTC/USDT:candles", "kind 'candles'"),
    ],
)
def test_feed_id_when_malformed_then_error_names_part_and_shows_example(
    text: str, why: str
) -> None:
    with pytest.raises(FeedIdError, match=why) as caught:
        FeedId.parse(text)
    assert "binance:BTC/USDT:1m" in str(caught.value)


def test_feed_id_when_bars_without_interval_then_refused() -> None:
    with pytest.raises(FeedIdError, match="bars need an interval"):
        FeedId(venue="binance", symbol="BTC/USDT", schema=FeedSchema.BARS)  # type: ignore[arg-type]


def test_feed_spec_when_built_then_schema_comes_from_id() -> None:
    spec = FeedSpec(FeedId.parse("binance:BTC/USDT:funding"), LatencyClass.POLLED)
    assert spec.schema is FeedSchema.FUNDING
    assert spec.coverage is None


@pytest.mark.parametrize(("first", "last", "records"), [(2, 1, 1), (1, 2, 0), (-1, 2, 1)])
def test_coverage_when_range_backwards_or_empty_then_refused(
    first: int, last: int, records: int
) -> None:
    with pytest.raises(ValueError, match="coverage"):
        Coverage(first, last, records)
