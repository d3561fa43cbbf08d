"""BarArrays: columns for indicators, and exact Decimal bars back for orders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aiswarm.market import BarArrays, ReplayFileError, load_bar_arrays, read_bars
from aiswarm.types import Symbol, VenueId

DATA = Path(__file__).resolve().parents[3] / "backtest_data"
VENUE = VenueId("coinbase")
SYMBOL = Symbol("BTC/USD")
HEADER = "timestamp,open,high,low,close,volume\n"
SHIPPED = sorted(p.name for p in DATA.glob("*_1[md]_*.csv"))


@pytest.mark.parametrize("name", SHIPPED)
def test_bar_at_when_every_row_of_shipped_file_then_equals_decimal_bar(name: str) -> None:
    # Arrange
    exact = read_bars(DATA / name, VENUE, SYMBOL)

    # Act
    arrays = load_bar_arrays(DATA / name, VENUE, SYMBOL)

    # Assert
    assert len(arrays) == len(exact)
    assert all(arrays.bar_at(i) == bar for i, bar in enumerate(exact))


@pytest.mark.parametrize("name", SHIPPED)
def test_fast_load_when_plain_file_then_same_columns_as_exact_path(name: str) -> None:
    # Arrange
    slow = BarArrays.from_bars(read_bars(DATA / name, VENUE, SYMBOL))

    # Act
    fast = load_bar_arrays(DATA / name, VENUE, SYMBOL)

    # Assert
    for column in ("ts_ns", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(fast, column), getattr(slow, column)), column
    assert (fast.interval_s, fast.price_decimals, fast.volume_decimals) == (
        slow.interval_s,
        slow.price_decimals,
        slow.volume_decimals,
    )


@pytest.mark.parametrize(
    "stamp",
    ["2024-01-01 00:0{}:00+00:00", "2024-01-01T00:0{}:00Z", "2024-01-01T00:0{}:00"],
)
def test_load_when_iso_variants_then_epoch_ns(tmp_path: Path, stamp: str) -> None:
    # Arrange: the shape aiswarm bench backtest --data reads (gen_bars.py writes +00:00).
    path = tmp_path / "bars.csv"
    path.write_text(HEADER + "".join(f"{stamp.format(i)},1.5,2,1,1.25,3.000\n" for i in range(3)))

    # Act
    arrays = load_bar_arrays(path, VENUE, SYMBOL)

    # Assert
    assert arrays.ts_ns.tolist() == [
        1_704_067_200_000_000_000 + i * 60_000_000_000 for i in range(3)
    ]
    assert arrays.bar_at(2).volume.as_tuple().exponent == -3


def test_load_when_epoch_ms_then_epoch_ns(tmp_path: Path) -> None:
    path = tmp_path / "ms.csv"
    path.write_text(HEADER + "1704067200000,1,1,1,1,1\n1704067260000,1,1,1,1,1\n")
    assert load_bar_arrays(path, VENUE, SYMBOL).ts_ns.tolist() == [
        1_704_067_200_000_000_000,
        1_704_067_260_000_000_000,
    ]


def test_load_when_bad_row_then_same_error_as_exact_reader(tmp_path: Path) -> None:
    # Arrange
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "1704067200000,1,2,1,1,1\n1704067260000,1,0.5,1,1,1\n")

    # Act
    with pytest.raises(ReplayFileError) as caught:
        load_bar_arrays(path, VENUE, SYMBOL)

    # Assert
    assert (caught.value.line, caught.value.column, caught.value.value) == (3, "high", "0.5")


def test_load_when_value_has_too_many_digits_for_float_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + "1704067200000,1,1,1,1,0.12345678901234567\n1704067260000,1,1,1,1,1\n")
    with pytest.raises(ValueError, match="significant digits"):
        load_bar_arrays(path, VENUE, SYMBOL)


def test_columns_when_loaded_then_read_only(tmp_path: Path) -> None:
    arrays = load_bar_arrays(DATA / "binance_btcusdt_1d_2020.csv", VENUE, SYMBOL)
    with pytest.raises(ValueError, match="read-only"):
        arrays.close[0] = 1.0


def test_from_bars_when_mixed_series_then_refused() -> None:
    btc = read_bars(DATA / "bitstamp_btcusd_1m_2020-01-01.csv", VENUE, SYMBOL)[:2]
    eth = read_bars(DATA / "bitstamp_btcusd_1m_2020-01-01.csv", VENUE, Symbol("ETH/USD"))[:2]
    with pytest.raises(ValueError, match="one series"):
        BarArrays.from_bars([*btc, *eth])
