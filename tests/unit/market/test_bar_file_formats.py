"""The one bar reader: every format, detection by content, and bad rows failing closed."""

from __future__ import annotations

import gzip
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import to_ns
from aiswarm.market import (
    BarFileOptions,
    MarketFileError,
    ReplayFileError,
    read_bar_file,
    read_funding_rates,
)
from aiswarm.types import Bar, BarFileFormat, Symbol, VenueId
from kit.bar_files import (
    DATA,
    epoch_ms,
    shipped_rows,
    write_ccxt_json,
    write_cryptodatadownload,
    write_csv,
    write_feather,
    write_lean_zip,
    write_pandas_json,
    write_parquet,
)

VENUE = VenueId("binance")
BTC = Symbol("BTC/USDT")
HEADER = "timestamp,open,high,low,close,volume\n"


def ns(text: str) -> int:
    return to_ns(datetime.fromisoformat(text).replace(tzinfo=UTC))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_bars(path: Path | list[Path], venue: VenueId = VENUE, symbol: Symbol = BTC) -> list[Bar]:
    return read_bar_file(path, venue, symbol).bars.to_bars()


def lean_zip(tmp_path: Path, day: str, rows: str, resolution: str = "minute") -> Path:
    path = tmp_path / f"{day}_trade.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{day}_btcusd_{resolution}_trade.csv", rows)
    return path


def as_tuples(bars: list[Bar]) -> list[tuple[object, ...]]:
    return [(b.ts_ns, b.open, b.high, b.low, b.close, b.volume) for b in bars]


def expected(rows: list[tuple[str, ...]]) -> list[tuple[object, ...]]:
    return [(epoch_ms(r[0]) * 1_000_000, *(Decimal(v) for v in r[1:])) for r in rows]


# --- shipped files (hand-checked first and last rows) --------------------------------------


def test_shipped_coinbase_btcusd_minutes_when_read_then_first_last_and_count_match() -> None:
    # Act
    bars = read_bars(
        DATA / "coinbase_btcusd_1m_2018-04-04_06.csv", VenueId("coinbase"), Symbol("BTC/USD")
    )

    # Assert
    assert len(bars) == 3887
    assert as_tuples([bars[0], bars[-1]]) == [
        (
            ns("2018-04-04T00:00:00"),
            *map(Decimal, ("7424.91", "7424.91", "7422", "7422", "7.14319709")),
        ),
        (
            ns("2018-04-06T23:59:00"),
            *map(Decimal, ("6621.01", "6621.2", "6619.01", "6619.01", "1.93391536")),
        ),
    ]
    assert {bar.interval_s for bar in bars} == {60}


def test_shipped_binance_daily_2020_when_read_then_366_days_with_exact_prices() -> None:
    # Act
    loaded = read_bar_file(DATA / "binance_btcusdt_1d_2020.csv", VENUE, BTC)

    # Assert: written with 8 places, but trailing zeros do not count towards the grid
    assert (loaded.price.decimals, loaded.volume.decimals) == (2, 6)
    bars = loaded.bars.to_bars()
    assert len(bars) == 366
    assert bars[0].ts_ns == ns("2020-01-01T00:00:00")
    assert bars[0].close == Decimal("7200.85")
    assert bars[-1].ts_ns == ns("2020-12-31T00:00:00")
    assert bars[-1].high == Decimal("29300")
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
    assert len(read_bar_file(DATA / name, VENUE, BTC).bars) == rows


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*_1[md]_*.csv")))
def test_shipped_file_when_read_then_every_value_equals_the_written_decimal(name: str) -> None:
    # Arrange: the file's own decimals, read by the csv module and Decimal alone
    rows = shipped_rows(DATA / name, count=10**6)

    # Act
    bars = read_bars(DATA / name)

    # Assert
    assert as_tuples(bars) == expected(rows)


def test_shipped_funding_when_read_then_twelve_signed_rates() -> None:
    # Act
    rates = read_funding_rates(
        DATA / "binance_btcusd_perp_funding_8h.csv", VENUE, Symbol("BTC/USD:BTC")
    )

    # Assert
    assert len(rates) == 12
    assert (rates[0].ts_ns, rates[0].rate) == (ns("2020-12-29T00:00:00"), Decimal("0.00020030"))
    assert (rates[-1].ts_ns, rates[-1].rate) == (ns("2022-12-13T16:00:00"), Decimal("-0.00002983"))


# --- every format gives the same bars ---------------------------------------------------------

ROWS = shipped_rows(count=120)


@pytest.mark.parametrize(
    ("writer", "name", "file_format"),
    [
        (write_csv, "bars.csv", BarFileFormat.CSV),
        (write_ccxt_json, "BTC_USD-1m.json", BarFileFormat.JSON),
        (write_pandas_json, "candles.json", BarFileFormat.JSON),
        (write_feather, "BTC_USD-1m.feather", BarFileFormat.FEATHER),
        (write_parquet, "bars.parquet", BarFileFormat.PARQUET),
        (write_cryptodatadownload, "Bitstamp_BTCUSD_1m.csv", BarFileFormat.CSV),
    ],
    ids=["csv", "ccxt-json", "pandas-json", "feather", "parquet", "cryptodatadownload"],
)
def test_format_when_written_from_shipped_rows_then_detected_and_same_exact_bars(
    tmp_path: Path, writer: object, name: str, file_format: BarFileFormat
) -> None:
    # Arrange
    path = writer(tmp_path / name, ROWS)  # type: ignore[operator]

    # Act
    loaded = read_bar_file(path, VenueId("coinbase"), Symbol("BTC/USD"))

    # Assert
    assert loaded.file_format is file_format
    assert as_tuples(loaded.bars.to_bars()) == expected(ROWS)
    assert loaded.bars.interval_s == 60
    assert (loaded.price.values_rounded, loaded.volume.values_rounded) == (0, 0)


def test_lean_zip_when_written_from_shipped_rows_then_same_exact_bars(tmp_path: Path) -> None:
    # Arrange
    path = write_lean_zip(tmp_path, ROWS)

    # Act
    loaded = read_bar_file(path, VenueId("coinbase"), Symbol("BTC/USD"))

    # Assert
    assert loaded.file_format is BarFileFormat.LEAN_ZIP
    assert as_tuples(loaded.bars.to_bars()) == expected(ROWS)


def test_detection_when_name_misleads_then_content_decides(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "looks_like.csv", ROWS)
    assert read_bar_file(path, VENUE, BTC).file_format is BarFileFormat.PARQUET


def test_format_when_given_and_wrong_then_one_line_names_file_and_fix(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bars.csv", ROWS)
    with pytest.raises(MarketFileError, match=r"is not a readable parquet file .*--format"):
        read_bar_file(path, VENUE, BTC, BarFileOptions(file_format=BarFileFormat.PARQUET))


@pytest.mark.parametrize(
    "stamps",
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"),
        ("2024-01-01 00:00:00+00:00", "2024-01-01 00:01:00+00:00"),
        ("2024-01-01 01:00:00+01:00", "2024-01-01 01:01:00+01:00"),
        ("2024-01-01 00:00:00.000000", "2024-01-01 00:01:00.000000"),
        ("1704067200000", "1704067260000"),
        ("1704067200", "1704067260"),
        ("1704067200000000", "1704067260000000"),
    ],
    ids=["z", "offset-0", "offset+1", "naive-fraction", "epoch-ms", "epoch-s", "epoch-us"],
)
def test_csv_when_iso_or_epoch_of_any_unit_then_same_utc_times(
    tmp_path: Path, stamps: tuple[str, str]
) -> None:
    # Arrange
    path = write(tmp_path, "bars.csv", HEADER + f"{stamps[0]},1,2,1,2,5\n{stamps[1]},2,3,1,1,0\n")

    # Act
    bars = read_bars(path)

    # Assert
    assert [bar.ts_ns for bar in bars] == [ns("2024-01-01T00:00:00"), ns("2024-01-01T00:01:00")]
    assert bars[0].interval_s == 60


def test_csv_when_columns_reordered_and_capitalised_then_found_by_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "Volume,Close,Low,High,Open,Date\n5,2,1,3,1.5,1704067200000\n5,2,1,3,1.5,1704067260000\n",
    )
    bar = read_bars(path)[0]
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == tuple(
        Decimal(v) for v in ("1.5", "3", "1", "2", "5")
    )


def test_csv_when_volume_in_both_currencies_then_base_volume_used(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "k.csv",
        "Timestamp,Open,High,Low,Close,Volume_(Currency),Volume_(BTC)\n"
        "1325317920,4.39,4.39,4.39,4.39,2.09,0.45558087\n"
        "1325317980,4.39,4.39,4.39,4.39,1.5,0.3\n",
    )
    bars = read_bars(path, VenueId("bitstamp"), Symbol("BTC/USD"))
    assert bars[0].volume == Decimal("0.45558087")
    assert bars[0].ts_ns == ns("2011-12-31T07:52:00")


def test_csv_when_blank_lines_and_crlf_then_passed_over_and_lines_counted(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "b.csv",
        HEADER.replace("\n", "\r\n")
        + "1704067200000,1,1,1,1,1\r\n\r\n\n1704067260000,1,1,1,1,1\r\n"
        + "1704067320000,1,0.5,1,1,1\r\n",
    )
    with pytest.raises(ReplayFileError) as caught:
        read_bars(path)
    assert (caught.value.line, caught.value.column) == (6, "high")


def test_csv_when_gaps_then_interval_is_smallest_gap(tmp_path: Path) -> None:
    rows = "1704067200000,1,1,1,1,1\n1704067500000,1,1,1,1,1\n1704067560000,1,1,1,1,1\n"
    assert read_bar_file(write(tmp_path, "g.csv", HEADER + rows), VENUE, BTC).bars.interval_s == 60


def test_csv_when_newest_first_then_turned_round(tmp_path: Path) -> None:
    rows = "1704067260000,2,2,2,2,1\n1704067200000,1,1,1,1,1\n"
    bars = read_bars(write(tmp_path, "desc.csv", HEADER + rows))
    assert [bar.close for bar in bars] == [Decimal(1), Decimal(2)]


def test_ccxt_json_when_read_then_numbers_exact_not_floats(tmp_path: Path) -> None:
    # Arrange
    path = write(
        tmp_path,
        "ETH_BTC-1m.json",
        "[[1516423980000, 0.08939998, 0.08939998, 0.08909372, 0.08909374, 81.45320695],"
        " [1516424040000, 0.08909374, 0.0892, 0.089, 0.0891, 0]]",
    )

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
    assert read_bar_file([day], VENUE, BTC).bars.interval_s == 1


def test_lean_hour_zip_when_read_then_times_from_rows(tmp_path: Path) -> None:
    path = tmp_path / "btcusdt_trade.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "btcusdt.csv",
            "20180501 00:00,9246.01,9248.99,8934.44,8955.01,5263.8\n"
            "20180501 01:00,8955.13,9020.99,8870,8994.99,4347.876744\n",
        )
    bars = read_bars(path)
    assert [bar.ts_ns for bar in bars] == [ns("2018-05-01T00:00:00"), ns("2018-05-01T01:00:00")]
    assert bars[0].interval_s == 3600


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
        (
            "1704067260000,1,1,1,1,1\n1704067200000,1,1,1,1,1\n1704067320000,1,1,1,1,1\n",
            3,
            "timestamp",
            "1704067200000",
        ),
        ("1704067200000,abc,1,1,1,1\n", 2, "open", "abc"),
        ("1704067200000,,1,1,1,1\n", 2, "open", ""),
        ("1704067200000,0,1,0,1,1\n", 2, "open", "0"),
        ("1704067200000,1,1,1,1,-1\n", 2, "volume", "-1"),
        ("1704067200000,NaN,1,1,1,1\n", 2, "open", "NaN"),
        ("17040672000,1,1,1,1,1\n", 2, "timestamp", "17040672000"),
        ("1704067200000,1,1,1,1,1\n1704067260,1,1,1,1,1\n", 3, "timestamp", "1704067260"),
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
def test_csv_when_bad_row_then_error_names_file_line_column_value(
    tmp_path: Path, rows: str, line: int, column: str, value: str
) -> None:
    # Arrange
    path = write(tmp_path, "bad.csv", HEADER + rows)

    # Act
    with pytest.raises(ReplayFileError) as caught:
        read_bar_file(path, VENUE, BTC, interval_s=30 if "1704067230000" in rows else 60)

    # Assert
    error = caught.value
    assert (error.path, error.line, error.column, error.value) == (path, line, column, value)
    assert str(path) in str(error)
    assert f"line {line}" in str(error)


def test_csv_when_column_missing_then_header_error_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "timestamp,open,high,low,close\n1704067200000,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match="lacks \\['volume'\\]") as caught:
        read_bar_file(path, VENUE, BTC)
    assert caught.value.line == 1


def test_csv_when_one_row_and_no_interval_then_asks_for_more_bars(tmp_path: Path) -> None:
    path = write(tmp_path, "one.csv", HEADER + "1704067200000,1,1,1,1,1\n")
    with pytest.raises(MarketFileError, match="holds one bar"):
        read_bar_file(path, VENUE, BTC)


def test_ccxt_json_when_row_short_then_error_names_row(tmp_path: Path) -> None:
    path = write(tmp_path, "x.json", "[[1516423980000,1,1,1,1,1],[1516424040000,1,1]]")
    with pytest.raises(ReplayFileError, match="row 2") as caught:
        read_bar_file(path, VENUE, BTC)
    assert caught.value.line == 2


def test_ccxt_json_when_null_price_then_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "n.json", "[[1516423980000,1,null,1,1,1],[1516424040000,1,1,1,1,1]]")
    with pytest.raises(ReplayFileError, match="row 1, column 'high'"):
        read_bar_file(path, VENUE, BTC)


def test_lean_zips_when_days_out_of_order_then_refused_naming_the_zip(tmp_path: Path) -> None:
    day1 = lean_zip(tmp_path, "20180404", "0,1,1,1,1,1\n60000,1,1,1,1,1\n120000,1,1,1,1,1\n")
    day2 = lean_zip(tmp_path, "20180405", "0,1,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match="not after") as caught:
        read_bar_file([day2, day1], VENUE, BTC)
    assert (caught.value.path, caught.value.line) == (day1, 1)


def test_lean_zip_when_ms_beyond_a_day_then_refused(tmp_path: Path) -> None:
    day = lean_zip(tmp_path, "20180404", "86400000,1,1,1,1,1\n")
    with pytest.raises(ReplayFileError, match="since midnight"):
        read_bar_file([day], VENUE, BTC)


def test_lean_quote_zip_when_given_then_refused_not_misread(tmp_path: Path) -> None:
    quote = tmp_path / "20180404_quote.zip"
    with zipfile.ZipFile(quote, "w") as archive:
        archive.writestr("20180404_btcusd_minute_quote.csv", "0,1,1,1,1,1,1,1,1,1,1\n")
    with pytest.raises(MarketFileError, match="quote"):
        read_bar_file([quote], VENUE, BTC)


def test_funding_csv_when_rate_not_a_number_then_error_names_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "f.csv", "timestamp,rate\n2020-12-29T00:00:00Z,0.0001\n2020-12-29T08:00:00Z,x\n"
    )
    with pytest.raises(ReplayFileError, match="line 3, column 'rate'"):
        read_funding_rates(path, VENUE, BTC)


# --- whole files that cannot be bars -------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, "does not exist"),
        (b"directory", "is a directory"),
        (b"", "is empty"),
        (HEADER.encode(), "holds no bars"),
        (b"\x00\x01\x02binary", "is a binary file"),
        (gzip.compress(HEADER.encode()), "is gzip-compressed"),
        (b'{"hello": "world"}', "is JSON but not bars"),
        (HEADER.encode() + b"2020-01-01 00:00:00,1,1,1,1,caf\xe9\n", "is not UTF-8"),
    ],
    ids=["missing", "directory", "empty", "no-rows", "binary", "gzip", "other-json", "latin-1"],
)
def test_file_when_not_bars_then_one_line_names_file_and_fix(
    tmp_path: Path, content: bytes | None, text: str
) -> None:
    # Arrange
    path = tmp_path / "data.csv"
    if content == b"directory":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)

    # Act
    with pytest.raises(MarketFileError) as caught:
        read_bar_file(path, VENUE, BTC)

    # Assert
    message = str(caught.value)
    assert message.startswith(str(path))
    assert text in message
    assert "\n" not in message
