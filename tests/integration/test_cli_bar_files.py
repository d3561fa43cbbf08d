"""`aiswarm backtest --data` as a trader runs it: every bar format loads, bad files get one line.

Small files in each format are written here from the shipped (Apache-2.0) data; the upstream
files of ../shared/data, some under copyleft licences, are read in place and never copied, and
their tests skip cleanly when the folder is absent.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kit.bar_files import (
    Row,
    shipped_rows,
    write_binance_klines,
    write_ccxt_json,
    write_cryptodatadownload,
    write_csv,
    write_feather,
    write_float_noise_csv,
    write_lean_zip,
    write_parquet,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SHARED = Path("/work/shared/data")
HEADER = "timestamp,open,high,low,close,volume\n"
ROWS = shipped_rows(count=400)
AGENT = ("--agent", "ema_cross", "--param", "fast=3", "--param", "slow=8", "--symbol", "BTC/USD")
shared_only = pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared/data is not present")


def _aiswarm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )


def _backtest(data: Path, *extra: str) -> dict[str, object]:
    result = _aiswarm("backtest", "--data", str(data), *AGENT, *extra, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *texts: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for text in texts:
        assert text in result.stderr


@pytest.mark.parametrize(
    ("writer", "name", "file_format"),
    [
        (write_csv, "bars.csv", "csv"),
        (write_ccxt_json, "BTC_USD-1m.json", "json"),
        (write_feather, "BTC_USD-1m.feather", "feather"),
        (write_parquet, "bars.parquet", "parquet"),
        (write_cryptodatadownload, "Bitstamp_BTCUSD_minute.csv", "csv"),
        (lambda path, rows: write_lean_zip(path.parent, rows), "unused", "lean-zip"),
        (write_float_noise_csv, "ftx_style.csv", "csv"),
        (write_binance_klines, "BTCUSDT-1m-2018-04-04.csv", "csv"),
        (
            lambda path, rows: write_binance_klines(path, rows, unit_per_ms=1000),
            "BTCUSDT-1m-2025-04-04.csv",
            "csv",
        ),
    ],
    ids=[
        "csv",
        "ccxt-json",
        "feather",
        "parquet",
        "bitstamp-cdd",
        "lean-zip",
        "float-noise",
        "binance-klines-ms",
        "binance-klines-us",
    ],
)
def test_backtest_when_data_in_each_format_then_runs_and_reports_what_it_read(
    tmp_path: Path, writer: Callable[[Path, list[Row]], Path], name: str, file_format: str
) -> None:
    # Arrange
    path = writer(tmp_path / name, ROWS)

    # Act
    summary = _backtest(path)

    # Assert
    read = summary["market_data"]
    assert isinstance(read, dict)
    assert (read["format"], read["bars"], read["interval_s"]) == (file_format, 400, 60)
    assert read["price_tick"] == "0.01"
    assert summary["bars"] == 400
    assert summary["orders"], "the agent traded on the file's bars"


def test_backtest_when_format_given_then_used_and_grids_declared(tmp_path: Path) -> None:
    # Arrange
    path = write_feather(tmp_path / "no_suffix", ROWS)

    # Act
    summary = _backtest(path, "--format", "feather", "--price-decimals", "1")

    # Assert
    read = summary["market_data"]
    assert isinstance(read, dict)
    assert (read["format"], read["price_tick"], read["price_decimals_source"]) == (
        "feather",
        "0.1",
        "declared",
    )
    assert read["prices_rounded"] > 0


def test_optimize_walk_forward_when_parquet_then_same_reader(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "bars.parquet", ROWS)
    result = _aiswarm(
        "optimize", "--data", str(path), *AGENT[:2], "--grid", "fast=3", "--grid", "slow=8",
        "--walk-forward", "--train-bars", "200", "--test-bars", "100", "--symbol", "BTC/USD",
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["market_data"]["format"] == "parquet"


@shared_only
@pytest.mark.parametrize(
    ("relative", "file_format", "bars"),
    [
        ("freqtrade/historical_1m_d50445108/ETH_BTC-1m.json", "json", 14397),
        ("freqtrade/XRP_ETH-5m.feather", "feather", 706),
        (
            "quantconnect_lean/Data/crypto/coinbase/minute/btcusd/20180404_trade.zip",
            "lean-zip",
            1007,
        ),
        ("basana/bitstamp_btcusd_min_2020_01_01.csv", "csv", 1440),
        ("nautilus_trader/ADABTC-1m-2021-11-28.csv", "csv", 11),
    ],
    ids=["freqtrade-json", "freqtrade-feather", "lean-zip", "bitstamp", "binance-klines"],
)
def test_backtest_when_upstream_file_then_runs_end_to_end(
    relative: str, file_format: str, bars: int
) -> None:
    # Act
    summary = _backtest(SHARED / relative)

    # Assert
    read = summary["market_data"]
    assert isinstance(read, dict)
    assert (read["format"], read["bars"]) == (file_format, bars)
    assert summary["bars"] == bars
    journal = summary["journal"]
    assert isinstance(journal, dict)
    assert journal["chain_ok"]


@shared_only
def test_backtest_when_ftx_float_noise_then_runs_end_to_end_and_reports_rounding() -> None:
    # Act: the FTX BTC-PERP minutes (nautilus_trader test data), 218102.59507500002 and all
    summary = _backtest(SHARED / "nautilus_trader/btc-perp-20211231-20220201_1m.csv")

    # Assert
    read = summary["market_data"]
    assert isinstance(read, dict)
    assert (read["format"], read["bars"], summary["bars"]) == ("csv", 45031, 45031)
    assert (read["volume_step"], read["volume_decimals_source"]) == ("0.000001", "inferred")
    assert (read["price_tick"], read["prices_rounded"], read["volumes_rounded"]) == ("0.001", 0, 9)
    assert summary["orders"]
    journal = summary["journal"]
    assert isinstance(journal, dict)
    assert journal["chain_ok"]


# --- bad files: one line naming the file (and line), and the fix -------------------------------


def test_backtest_when_file_missing_then_one_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, str(path), "does not exist; check the path")


def test_backtest_when_file_binary_then_one_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "bars.bin"
    path.write_bytes(bytes(range(256)) * 4)
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, str(path), "is a binary file", "convert it to CSV")


def test_backtest_when_file_compressed_then_one_line_says_unpack(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "1704067200000,1,1,1,1,1\n").encode()))
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, str(path), "gzip-compressed; unpack it first")


def test_backtest_when_file_has_no_rows_then_one_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "header_only.csv"
    path.write_text(HEADER, encoding="utf-8")
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, str(path), "holds no bars", "pass a file with bars")


def test_backtest_when_csv_is_not_bars_then_one_line_names_header_line(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv"
    path.write_text("timestamp,price,amount\n1704067200000,1,1\n", encoding="utf-8")
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, f"{path}, line 1", "lacks ['open'", "name them")


def test_backtest_when_csv_has_no_header_and_is_not_klines_then_one_line_says_add_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "no_header.csv"
    path.write_text("1704067200000,1,1,1,1,1\n1704067260000,1,1,1,1,1\n", encoding="utf-8")
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(
        result, str(path), "has no header: line 1 is a row of 6 numbers", "add the header"
    )


def test_backtest_when_klines_row_bad_then_one_line_names_its_line(tmp_path: Path) -> None:
    path = write_binance_klines(tmp_path / "BTCUSDT-1m.csv", ROWS[:3])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(ROWS[1][4], "oops", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, f"{path}, line 2", "value 'oops'")


def test_backtest_when_format_given_is_wrong_then_one_line_says_drop_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bars.csv", ROWS)
    result = _aiswarm("backtest", "--data", str(path), *AGENT, "--format", "parquet")
    _assert_one_line_error(result, str(path), "is not a readable parquet file", "--format")


def test_backtest_when_format_unknown_then_one_line_lists_formats(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bars.csv", ROWS)
    result = _aiswarm("backtest", "--data", str(path), *AGENT, "--format", "xlsx")
    _assert_one_line_error(result, "--format was 'xlsx'", "csv, json, feather, parquet, lean-zip")


def test_backtest_when_row_bad_then_one_line_names_file_line_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "1704067200000,1,1,1,1,1\n1704067260000,1,1,1,oops,1\n", encoding="utf-8"
    )
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, f"{path}, line 3, column 'close': value 'oops'", "write a")


def test_backtest_when_json_is_not_bars_then_one_line_names_layouts(tmp_path: Path) -> None:
    path = tmp_path / "trades.json"
    path.write_text('{"trades": 3}', encoding="utf-8")
    result = _aiswarm("backtest", "--data", str(path), *AGENT)
    _assert_one_line_error(result, str(path), "is JSON but not bars", "ccxt rows")
