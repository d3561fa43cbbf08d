"""The float -> exact rounding rule of bar files, over generated prices, grids and noise.

Each example writes a two-bar file and reads it back through ``read_bar_file``, the one reader,
so the rule is checked where every consumer meets it: text files (the written decimal is the
value) and float columns (parquet: the float's binary value is the value).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import assume, given
from hypothesis import strategies as st

from aiswarm.market import BarFile, BarFileOptions, read_bar_file
from aiswarm.types import Symbol, VenueId

_MS = (1704067200000, 1704067260000)
# A grid price k * 10**-d with at most 14 digits, so a declared d always fits 15 digits.
_DECIMALS = st.integers(min_value=0, max_value=10)
_UNITS = st.integers(min_value=1, max_value=10**14 - 1)


def _read(write: object, decimals: int | None) -> BarFile:
    with TemporaryDirectory() as folder:
        path = write(Path(folder))  # type: ignore[operator]
        return read_bar_file(
            path, VenueId("x"), Symbol("BTC/USD"), BarFileOptions(price_decimals=decimals)
        )


def _text_file(price: str) -> object:
    def write(folder: Path) -> Path:
        path = folder / "bars.csv"
        rows = "".join(f"{ms},{price},{price},{price},{price},1\n" for ms in _MS)
        path.write_text("timestamp,open,high,low,close,volume\n" + rows, encoding="utf-8")
        return path

    return write


def _float_file(price: float) -> object:
    def write(folder: Path) -> Path:
        path = folder / "bars.parquet"
        column = pa.array([price, price], pa.float64())
        table = pa.table(
            {
                "timestamp": pa.array(_MS, pa.int64()),
                **dict.fromkeys(("open", "high", "low", "close"), column),
                "volume": pa.array([1.0, 1.0], pa.float64()),
            }
        )
        pq.write_table(table, path)
        return path

    return write


def _grid_price(units: int, decimals: int) -> Decimal:
    return Decimal(units).scaleb(-decimals)


# Shares of a tick; the midpoints themselves, as floats, land a hair to either side of them.
_SHARES = st.floats(min_value=-0.5, max_value=0.5) | st.sampled_from([-0.5, 0.5])


@given(units=_UNITS, decimals=_DECIMALS, share=_SHARES)
def test_float_within_half_a_tick_of_a_grid_price_rounds_to_it(
    units: int, decimals: int, share: float
) -> None:
    # Arrange: a float column value whose exact binary value is within half a tick of g
    grid = _grid_price(units, decimals)
    tick = Decimal(1).scaleb(-decimals)
    value = float(grid) + share * float(tick)
    with localcontext(prec=200):
        assume(abs(Decimal(value) - grid) < tick / 2)

    # Act
    loaded = _read(_float_file(value), decimals)

    # Assert
    assert loaded.bars.bar_at(0).close == grid
    assert loaded.price.decimals == decimals


@given(
    units=_UNITS,
    decimals=_DECIMALS,
    offset=st.integers(min_value=-(10**12), max_value=10**12),
    extra=st.integers(min_value=1, max_value=12),
)
def test_text_within_half_a_tick_of_a_grid_price_rounds_to_it(
    units: int, decimals: int, offset: int, extra: int
) -> None:
    # Arrange: g plus up to half a tick (exclusive), written with up to 12 more decimals
    grid = _grid_price(units, decimals)
    half = 5 * 10 ** (extra - 1)
    assume(-half < offset < half)
    written = grid + Decimal(offset).scaleb(-(decimals + extra))
    assume(written > 0)

    # Act
    loaded = _read(_text_file(f"{written:f}"), decimals)

    # Assert
    assert loaded.bars.bar_at(0).close == grid


@given(units=_UNITS, decimals=_DECIMALS, declare=st.booleans())
def test_value_already_on_the_grid_is_unchanged_and_not_counted(
    units: int, decimals: int, declare: bool
) -> None:
    # Arrange
    grid = _grid_price(units, decimals)

    # Act
    as_text = _read(_text_file(f"{grid:f}"), decimals if declare else None)
    as_float = _read(_float_file(float(grid)), decimals if declare else None)

    # Assert
    for loaded in (as_text, as_float):
        assert loaded.bars.bar_at(0).close == grid
        assert loaded.price.values_rounded == 0
    inferred = max(0, -int(grid.normalize().as_tuple().exponent))
    assert as_text.price.decimals == (decimals if declare else inferred)


@given(units=_UNITS, decimals=_DECIMALS, steps=st.integers(min_value=-2, max_value=2))
def test_float_noise_of_an_export_is_inferred_away(units: int, decimals: int, steps: int) -> None:
    # Arrange: the grid price's float, moved a couple of float64 spacings, printed with repr
    grid = _grid_price(units, decimals).normalize()
    noisy = float(grid)
    for _ in range(abs(steps)):
        noisy = float(np.nextafter(noisy, np.inf if steps > 0 else -np.inf))

    # Act
    loaded = _read(_text_file(repr(noisy)), None)

    # Assert
    assert loaded.bars.bar_at(0).close == grid
    assert loaded.price.decimals == max(0, -int(grid.as_tuple().exponent))


@given(
    whole=st.integers(min_value=0, max_value=10**9),
    digits=st.text(alphabet="0123456789", min_size=1, max_size=20),
    decimals=_DECIMALS,
)
def test_any_written_price_rounds_half_to_even_onto_a_declared_grid(
    whole: int, digits: str, decimals: int
) -> None:
    # Arrange
    written = Decimal(f"{whole}.{digits}")
    tick = Decimal(1).scaleb(-decimals)
    expected = written.quantize(tick, rounding=ROUND_HALF_EVEN)
    assume(expected > 0 and written * 10**decimals < 10**14)

    # Act
    loaded = _read(_text_file(f"{written:f}"), decimals)

    # Assert
    assert loaded.bars.bar_at(0).close == expected
    assert loaded.price.values_rounded == (0 if expected == written else 8)
