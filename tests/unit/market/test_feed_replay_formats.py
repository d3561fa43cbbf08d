"""File replay readers: each format we read, the shipped files, and bad rows failing closed."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import to_ns
from aiswarm.market import ReplayFileError, read_bars, read_funding_rates
from aiswarm.types import Symbol, VenueId

DATA = Path(__file__).resolve().parents[3] / "backtest_data"
VENUE = VenueId("binance")
BTC = Symbol("BTC/USDT")
HEADER = "timestamp,open,high,low,close,volume\n"


def ns(text: str) -> int:
    return to_ns(datetime.fromisoformat(text).replace(tzinfo=UTC))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lean_zip(tmp_path: Path, day: str, rows: str, resolution: str = "minute") -> Path:
    path = tmp_path / f"{day}_trade.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{day}_btcusd_{resolution}_trade.csv", rows)
    return path


# --- shipped files (hand-checked first and last rows) --------------------------------------


def test_shipped_coinbase_btcusd_minutes_when_read_then_first_last_and_count_match() -> None:
    # Act
    bars = read_bars(
        DATA / "coinbase_btcusd_1m_2018-04-04_06.csv", VenueId("coinbase"), Symbol("BTC/USD")
    )

    # Assert
    assert len(bars) == 3887
    first, last = bars[0], bars[-1]
    assert first.ts_ns == ns("2018-04-04T00:00:00")
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        Decimal("7424.91"),
        Decimal("7424.91"),
        Decimal("7422"),
        Decimal("7422"),
        Decimal("7.14319709"),
    )
    assert last.ts_ns == ns("2018-04-06T23:59:00")
    assert (last.open, last.high, last.low, last.close, last.volume) == (
        Decimal("6621.01"),
        Decimal("6621.2"),
        Decimal("6619.01"),
        Decimal("6619.01"),
        Decimal("1.93391536"),
    )
    assert {bar.interval_s for bar in bars} == {60}


def test_shipped_binance_daily_2020_when_read_then_366_days_with_exact_prices() -> None:
    # Act
    bars = read_bars(DATA / "binance_btcusdt_1d_2020.csv", VENUE, BTC)

    # Assert
    assert len(bars) == 366
    assert bars[0].ts_ns == ns("2020-01-01T00:00:00")
    assert bars[0].close == Decimal("7200.85000000")
    assert bars[-1].ts_ns == ns("2020-12-31T00:00:00")
    assert bars[-1].high == Decimal("29300.00000000")
    assert bars[-1].interval_s == 86_400


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("coinbase_ethusd_1m_2018-04-04_05.csv", 2449),
        ("coinbase_ltcusd_1m_2018-04-04_06.csv", 3887),
        ("bitstamp_btcusd_1m_2020-01-01.csv", 1440),
    ],
)
def test_shipped_minute_files_when_read_then_row_counts_match_notice(name: str, rows: int) -> None:
    assert len(read_bars(DATA / name, VENUE, BTC)) == rows


def test_shipped_funding_when_read_then_twelve_signed_rates() -> None:
    # Act
    rates = read_funding_rates(
        DATA / "binance_btcusd_perp_funding_8h.csv", VENUE, Symbol("BTC/USD:BTC")
    )

    # Assert
    assert len(rates) == 12
    assert (rates[0].ts_ns, rates[0].rate) == (ns("2020-12-29T00:00:00"), Decimal("0.00020030"))
    assert (rates[-1].ts_ns, rates[-1].rate) == (ns("2022-12-13T16:00:00"), Decimal("-0.00002983"))


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamps",
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"),
        ("2024-01-01 00:00:00+00:00", "2024-01-01 00:01:00+00:00"),
        ("2024-01-01 01:00:00+01:00", "2024-01-01 01:01:00+01:00"),
        ("1704067200000", "1704067260000"),
    ],
)
def test_ohlcv_csv_when_iso_or_epoch_ms_then_same_utc_times(
    tmp_path: Path, stamps: tuple[str, str]
) -> None:
    # Arrange
    path = write(tmp_path, "bars.csv", HEADER + f"{stamps[0]},1,2,1,2,5\n{stamps[1]},2,3,1,1,0\n")

    # Act
    bars = read_bars(path, VENUE, BTC)

    # Assert
    assert [bar.ts_ns for bar in bars] == [ns("2024-01-01T00:00:00"), ns("2024-01-01T00:01:00")]
    assert bars[0].interval_s == 60


def test_basana_datetime_csv_when_read_then_naive_times_are_utc(tmp_path: Path) -> None:
    # Arrange
    path = write(
        tmp_path,
        "b.csv",
        "datetime,open,high,low,close,volume\n2020-01-01 00:00:00,7160.69,7160.69,7159.64,"
        "7159.64,5.50169101\n2020-01-01 00:01:00,7161.51,7161.51,7155.09,7161.2,3.77692446\n",
    )

    # Act
    bars = read_bars(path, VenueId("bitstamp"), Symbol("BTC/USD"))

    # Assert
    assert bars[1].ts_ns == ns("2020-01-01T00:01:00")
    assert bars[1].close == Decimal("7161.2")


def test_ohlcv_csv_when_columns_reordered_then_found_by_name(tmp_path: Path) -> None:
    path = write(
        tmp_path, "r.csv", "volume,close,low,high,open,timestamp\n5,2,1,3,1.5,1704067200000\n"
    )
    bar = read_bars(path, VENUE, BTC, interval_s=60)[0]
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == tuple(
        Decimal(v) for v in ("1.5", "3", "1", "2", "5")
    )


def test_ohlcv_csv_when_gaps_then_interval_is_smallest_gap(tmp_path: Path) -> None:
    rows = "1704067200000,1,1,1,1,1\n1704067500000,1,1,1,1,1\n1704067560000,1,1,1,1,1\n"
    assert read_bars(write(tmp_path, "g.csv", HEADER + rows), VENUE, BTC)[0].interval_s == 60


def test_ccxt_json_when_read_then_numbers_exact_not_floats(tmp_path: Path) -> None:
    # Arrange
    rows = [
        [1516423980000, 0.08939998, 0.08939998, 0.08909372, 0.08909374, 81.45320695],
        [1516424040000, 0.08909374, 0.0892, 0.089, 0.0891, 0],
    ]
    path = write(tmp_path, "ETH_BTC-1m.json", json.dumps(rows))

    # Act
    bars = read_bars(path, VenueId("bittrex"), Symbol("ETH/BTC"))

    # Assert
    assert bars[0].low == Decimal("0.08909372")
    assert bars[1].volume == Decimal("0")
    assert bars[1].ts_ns == 1516424040000 * 1_000_000


def test_lean_minute_zips_when_read_then_day_from_name_and_ms_since_midnight(
    tmp_path: Path,
) -> None:
    # Arrange
    day1 = lean_zip(
        tmp_path,
        "20180404",
        "0,7424.91,7424.91,7422,7422,7.14319709\n86340000,7000,7001,6999,7000,1\n",
    )
    day2 = lean_zip(tmp_path, "20180405", "60000,6778.01,6780.88,6773.01,6779.47,10.71278428")

    # Act
    bars = read_bars([day1, day2], VenueId("coinbase"), Symbol("BTC/USD"))

    # Assert
    assert [bar.ts_ns for bar in bars] == [
        ns("2018-04-04T00:00:00"),
        ns("2018-04-04T23:59:00"),
        ns("2018-04-05T00:01:00"),
    ]
    assert bars[2].high == Decimal("6780.88")
    assert bars[0].interval_s == 60


def test_lean_second_zip_when_read_then_one_second_bars(tmp_path: Path) -> None:
    day = lean_zip(tmp_path, "20161007", "1000,1,1,1,1,1\n3000,1,1,1,1,1\n", resolution="second")
    assert read_bars([day], VenueId("coinbase"), Symbol("BTC/USD"))[0].interval_s == 1


def test_lean_margin_interest_when_read_then_funding_rates(tmp_path: Path) -> None:
    path = write(
        tmp_path, "btcusd.csv", "20201229 00:00:00,0.00020030\n20201229 08:00:00,-0.0001\n"
    )
    rates = read_funding_rates(path, VENUE, Symbol("BTC/USD:BTC"))
    assert [(r.ts_ns, r.rate) for r in rates] == [
        (ns("2020-12-29T00:00:00"), Decimal("0.00020030")),
        (ns("2020-12-29T08:00:00"), Decimal("-0.0001")),
    ]


# --- bad rows fail closed, naming file, line, column and value ---------------------------


@pytest.mark.parametrize(
    ("rows", "line", "column", "value"),
    [
        ("1704067200000,1,2,3,1,1\n", 2, "high", "2"),
        ("1704067200000,1,2,1,3,1\n", 2, "high", "2"),
        ("1704067200000,2,3,2.5,2,1\n", 2, "low", "2.5"),
        ("1704067200000,1,1,1,1,1\n1704067200000,1,1,1,1,1\n", 3, "timestamp", "1704067200000"),
        ("1704067260000,1,1,1,1,1\n1704067200000,1,1,1,1,1\n", 3, "timestamp", "1704067200000"),
        ("1704067200000,abc,1,1,1,1\n", 2, "open", "abc"),
        ("1704067200000,0,1,0,1,1\n", 2, "open", "0"),
        ("1704067200000,1,1,1,1,-1\n", 2, "volume", "-1"),
        ("1704067200000,NaN,1,1,1,1\n", 2, "open", "NaN"),
        ("1704067200,1,1,1,1,1\n", 2, "timestamp", "1704067200"),
        ("yesterday,1,1,1,1,1\n", 2, "timestamp", "yesterday"),
        ("1704067200000,1,1,1,1\n", 2, "volume", "1704067200000,1,1,1,1"),
        (
            "1704067200000,1,1,1,1,1\n1704067230000,1,1,1,1,1\n1704067260000,1,1,1,1,1\n"
            "1704067275000,1,1,1,1,1\n",
            5,
            "timestamp",
            "1704067275000",
        ),
    ],
)
def test_ohlcv_csv_when_bad_row_then_error_names_file_line_column_value(
    tmp_path: Path, rows: str, line: int, column: str, value: str
) -> None:
    # Arrange
    path = write(tmp_path, "bad.csv", HEADER + rows)

    # Act
    with pytest.raises(ReplayFileError) as caught:
        read_bars(path, VENUE, BTC, interval_s=30 if "1704067230000" in rows else 60)

    # Assert
    error = caught.value
    assert (error.path, error.line, error.column, error.value) == (path, line, column, value)
    assert str(path) in str(error)
    assert f"line {line}" in str(error)


def test_ohlcv_csv_when_column_missing_then_header_error_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "timestamp,open,high,low,close\n1704067200000,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match="lacks \\['volume'\\]") as caught:
        read_bars(path, VENUE, BTC)
    assert caught.value.line == 1


def test_ohlcv_csv_when_one_row_and_no_interval_then_asks_for_interval(tmp_path: Path) -> None:
    path = write(tmp_path, "one.csv", HEADER + "1704067200000,1,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match="pass interval_s"):
        read_bars(path, VENUE, BTC)


def test_ccxt_json_when_row_short_then_error_names_row(tmp_path: Path) -> None:
    path = write(tmp_path, "x.json", "[[1516423980000,1,1,1,1,1],[1516424040000,1,1]]")
    with pytest.raises(ReplayFileError, match="row 2") as caught:
        read_bars(path, VENUE, BTC)
    assert caught.value.line == 2


def test_ccxt_json_when_null_price_then_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "n.json", "[[1516423980000,1,null,1,1,1],[1516424040000,1,1,1,1,1]]")
    with pytest.raises(ReplayFileError, match="column 'high'"):
        read_bars(path, VENUE, BTC)


def test_lean_zips_when_days_out_of_order_then_refused_at_first_row(tmp_path: Path) -> None:
    day1 = lean_zip(tmp_path, "20180404", "0,1,1,1,1,1\n60000,1,1,1,1,1\n")
    day2 = lean_zip(tmp_path, "20180405", "0,1,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match="not after") as caught:
        read_bars([day2, day1], VenueId("coinbase"), Symbol("BTC/USD"))
    assert (caught.value.path, caught.value.line) == (day1, 1)


def test_lean_zip_when_ms_beyond_a_day_then_refused(tmp_path: Path) -> None:
    day = lean_zip(tmp_path, "20180404", "86400000,1,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match="within one day"):
        read_bars([day], VenueId("coinbase"), Symbol("BTC/USD"))


def test_lean_quote_zip_when_given_then_refused_not_misread(tmp_path: Path) -> None:
    quote = tmp_path / "20180404_quote.zip"
    with zipfile.ZipFile(quote, "w") as archive:
        archive.writestr("20180404_btcusd_minute_quote.csv", "0,1,1,1,1,1,1,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match=r"YYYYMMDD_trade\.zip"):
        read_bars([quote], VenueId("coinbase"), Symbol("BTC/USD"))


def test_funding_csv_when_rate_not_a_number_then_error_names_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "f.csv", "timestamp,rate\n2020-12-29T00:00:00Z,0.0001\n2020-12-29T08:00:00Z,x\n"
    )
    with pytest.raises(ReplayFileError, match="line 3, column 'rate'"):
        read_funding_rates(path, VENUE, BTC)
