"""Precision of bar files: float noise accepted and rounded by the rule, grids reported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.market import BarFileOptions, MarketFileError, ReplayFileError, read_bar_file
from aiswarm.types import Symbol, VenueId
from kit.bar_files import shipped_rows, write_float_noise_csv

VENUE = VenueId("ftx")
SYMBOL = Symbol("BTC-PERP")
HEADER = "timestamp,open,high,low,close,volume\n"


def write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "bars.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_float_noise_when_read_then_accepted_rounded_and_reported(tmp_path: Path) -> None:
    # Arrange: rows of the FTX BTC-PERP export (nautilus_trader test data), noise and all
    path = write(
        tmp_path,
        "2022-01-01 03:07:00.000000,46816.75,46828.5,46801.0,46801.75,232316.0730125\n"
        "2022-01-01 03:08:00.000000,46815.5,46828.0,46799.0,46799.5,218102.59507500002\n"
        "2022-01-01 03:09:00.000000,46814.25,46827.5,46797.0,46797.25,203889.11713750003\n",
    )

    # Act
    loaded = read_bar_file(path, VENUE, SYMBOL)

    # Assert
    volumes = [bar.volume for bar in loaded.bars.to_bars()]
    assert volumes == [
        Decimal("232316.0730125"),
        Decimal("218102.595075"),
        Decimal("203889.1171375"),
    ]
    assert (loaded.price.decimals, loaded.volume.decimals) == (2, 7)
    assert (loaded.price.declared, loaded.volume.declared) == (False, False)
    assert (loaded.price.values_rounded, loaded.volume.values_rounded) == (0, 2)
    assert "volume step 0.0000001 (inferred, 2 values rounded)" in loaded.describe()


def test_noisy_export_when_read_then_every_bar_is_the_exact_price_and_notional(
    tmp_path: Path,
) -> None:
    # Arrange
    rows = shipped_rows(count=200)
    path = write_float_noise_csv(tmp_path / "noisy.csv", rows)

    # Act
    loaded = read_bar_file(path, VENUE, SYMBOL)

    # Assert: float noise gone from prices; each notional within half a step of the exact
    # product (plus float64's own error), on a grid that keeps 15 significant digits
    half_step = Decimal(1).scaleb(-loaded.volume.decimals) / 2
    for bar, row in zip(loaded.bars.to_bars(), rows, strict=True):
        assert bar.open == Decimal(row[1])
        exact = Decimal(row[4]) * Decimal(row[5])
        assert abs(bar.volume - exact) <= half_step + exact * Decimal("1e-15")
        assert len(bar.volume.normalize().as_tuple().digits) <= 15
    assert loaded.price.values_rounded == 0


def test_largest_value_beyond_15_digits_when_inferred_then_grid_capped_and_counted(
    tmp_path: Path,
) -> None:
    # Arrange: 9 digits before the point and 7 after would be 16 significant digits
    path = write(
        tmp_path,
        "1704067200000,1,1,1,1,134919000.5\n1704067260000,1,1,1,1,289169.9847625\n",
    )

    # Act
    loaded = read_bar_file(path, VENUE, SYMBOL)

    # Assert
    assert loaded.volume.decimals == 6
    assert loaded.bars.bar_at(1).volume == Decimal("289169.984762")  # half to even
    assert loaded.volume.values_rounded == 1


def test_declared_grid_when_coarser_than_data_then_half_to_even_and_counted(
    tmp_path: Path,
) -> None:
    # Arrange
    path = write(
        tmp_path,
        "1704067200000,43609.375,43610.5,43606.5,43609.625,1\n"
        "1704067260000,43609.5,43610,43609,43609.5,1\n",
    )

    # Act
    loaded = read_bar_file(path, VENUE, SYMBOL, BarFileOptions(price_decimals=0))

    # Assert
    first = loaded.bars.bar_at(0)
    assert (first.open, first.high, first.low, first.close) == tuple(
        Decimal(v) for v in ("43609", "43610", "43606", "43610")
    )
    assert loaded.price.declared
    assert loaded.price.values_rounded == 6


def test_declared_grid_when_finer_than_15_digits_then_refused_naming_the_most(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "1704067200000,46816.75,46828.5,46801,46801.75,1\n")
    with pytest.raises(MarketFileError, match="declare at most 10 price decimals"):
        read_bar_file(path, VENUE, SYMBOL, BarFileOptions(price_decimals=12), interval_s=60)


def test_declared_grid_when_a_price_rounds_to_zero_then_row_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "1704067200000,0.004,0.004,0.004,0.004,1\n")
    with pytest.raises(
        ReplayFileError, match=r"line 2, column 'open'.*rounds to 0 on the price grid; declare more"
    ):
        read_bar_file(path, VENUE, SYMBOL, BarFileOptions(price_decimals=2), interval_s=60)
