"""BarArrays: float columns for indicators, and the exact Decimal bars back for orders."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.market import read_bar_file
from aiswarm.types import Symbol, VenueId
from kit.bar_files import DATA, epoch_ms, shipped_rows

VENUE = VenueId("coinbase")
SYMBOL = Symbol("BTC/USD")
SHIPPED = sorted(p.name for p in DATA.glob("*_1[md]_*.csv"))


@pytest.mark.parametrize("name", SHIPPED)
def test_bar_at_when_every_row_of_shipped_file_then_the_written_decimals(name: str) -> None:
    # Arrange
    rows = shipped_rows(DATA / name, count=10**6)

    # Act
    arrays = read_bar_file(DATA / name, VENUE, SYMBOL).bars

    # Assert
    assert len(arrays) == len(rows)
    for index, row in enumerate(rows):
        bar = arrays.bar_at(index)
        assert bar.ts_ns == epoch_ms(row[0]) * 1_000_000
        assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == tuple(
            Decimal(value) for value in row[1:]
        )
        assert float(row[4]) == arrays.close[index]


def test_bar_at_when_grid_inferred_then_decimals_padded_to_the_tick(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-01-01T00:00:00Z,1.5,2,1,1.25,3\n2024-01-01T00:01:00Z,1,1,1,1,0.125\n",
        encoding="utf-8",
    )
    bar = read_bar_file(path, VENUE, SYMBOL).bars.bar_at(0)
    assert (str(bar.open), str(bar.volume)) == ("1.50", "3.000")


def test_columns_when_read_then_read_only() -> None:
    arrays = read_bar_file(DATA / "binance_btcusdt_1d_2020.csv", VENUE, SYMBOL).bars
    with pytest.raises(ValueError, match="read-only"):
        arrays.close[0] = 1.0
