"""Read a bar file of any format we know into checked, exactly rounded ``BarArrays``.

This is the one reader of bar files: `aiswarm backtest`, `optimize` and `bench backtest`
``--data``, the runtime's paper feeds (``runtime.composition.load_feeds``) and
``ReplayFeed.from_files`` all come here. It checks the path, detects the format (or takes the
one given), reads the rows (``bar_file_formats``), finds the time and OHLCV columns by name,
puts the rows in time order (a newest-first export is turned round), rounds prices and volumes
onto the feed's grid (``price_grid``, the rule), and refuses what a backtest must never trade
on, naming file, line, column and value: a price that is not above 0, a negative volume, a
high below the open, close or low, a low above the open or close, a time that does not rise
strictly, and a bar off its interval's grid. Missing bars (minutes without trades) are fine.
Nothing is skipped. No clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aiswarm.clock import from_ns
from aiswarm.market.bar_arrays import BarArrays
from aiswarm.market.bar_columns import number_column, times_ns
from aiswarm.market.bar_file_formats import detect_format, read_table
from aiswarm.market.bar_table import OHLCV, BarTable, RowPlaces, columns_of
from aiswarm.market.price_grid import (
    MAX_EXACT_DIGITS,
    NumberColumn,
    decimals_cap,
    infer_decimals,
    round_to_grid,
)
from aiswarm.market.replay_fields import MarketFileError
from aiswarm.types import BarFileFormat, Symbol, VenueId

__all__ = ["BarFile", "BarFileOptions", "Grid", "read_bar_file"]

_NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class BarFileOptions:
    """How to read a bar file: its format (None: detect it) and its grids (None: infer them).

    ``price_decimals`` and ``volume_decimals`` are decimal places: 2 is a tick of 0.01.
    """

    file_format: BarFileFormat | None = None
    price_decimals: int | None = None
    volume_decimals: int | None = None


@dataclass(frozen=True, slots=True)
class Grid:
    """The grid a group of columns was rounded to, where it came from, and what it changed."""

    decimals: int
    declared: bool
    values_rounded: int

    def describe(self) -> str:
        """Return e.g. ``0.01 (inferred)`` or ``0.01 (declared, 3 values rounded)``."""
        source = "declared" if self.declared else "inferred"
        rounded = f", {self.values_rounded} values rounded" if self.values_rounded else ""
        return f"{Decimal(1).scaleb(-self.decimals):f} ({source}{rounded})"


@dataclass(frozen=True, slots=True)
class BarFile:
    """A bar file as read: its bars, the format it was read as, and the grids applied."""

    path: Path
    file_format: BarFileFormat
    bars: BarArrays
    price: Grid
    volume: Grid

    def summary(self) -> dict[str, Any]:
        """Return what was read, for JSON output: format, bars, span, both grids, a note."""
        bars = self.bars
        return {
            "file": str(self.path),
            "format": self.file_format.value,
            "bars": len(bars),
            "interval_s": bars.interval_s,
            "first": _iso(int(bars.ts_ns[0])),
            "last": _iso(int(bars.ts_ns[-1])),
            "price_tick": f"{Decimal(1).scaleb(-bars.price_decimals):f}",
            "price_decimals_source": "declared" if self.price.declared else "inferred",
            "prices_rounded": self.price.values_rounded,
            "volume_step": f"{Decimal(1).scaleb(-bars.volume_decimals):f}",
            "volume_decimals_source": "declared" if self.volume.declared else "inferred",
            "volumes_rounded": self.volume.values_rounded,
            "note": self.describe(),
        }

    def describe(self) -> str:
        """Return one line saying what was read and how it was rounded."""
        bars = self.bars
        return (
            f"{self.path} as {self.file_format.value}: {len(bars)} bars of {bars.interval_s} s "
            f"from {_iso(int(bars.ts_ns[0]))} to {_iso(int(bars.ts_ns[-1]))} UTC; "
            f"price tick {self.price.describe()}, volume step {self.volume.describe()}"
        )


def read_bar_file(
    paths: Path | list[Path] | tuple[Path, ...],
    venue: VenueId,
    symbol: Symbol,
    options: BarFileOptions | None = None,
    interval_s: int | None = None,
) -> BarFile:
    """Return the bars of ``paths`` (one file, or Lean day zips in date order) for one symbol.

    ``interval_s`` defaults to what the format states (Lean) or the smallest gap between rows.

    Raises:
        MarketFileError: the file is missing, unreadable, of another format, or holds no bars;
            a row is bad (``ReplayFileError``: file, line, column and value); a declared grid
            is finer than 15 significant digits allow. Each message says what to do.
    """
    files = [paths] if isinstance(paths, Path) else list(paths)
    if not files:
        raise ValueError("read_bar_file needs at least one path")
    options = options or BarFileOptions()
    for path in files:
        _check_path(path)
    file_format = options.file_format or _detect(files[0])
    table = read_table(files, file_format)
    columns = columns_of(table, symbol.partition("/")[0])
    if not table.table.num_rows:
        raise MarketFileError(
            files[0], "holds no bars (no rows under the header); pass a file with bars"
        )
    import pyarrow as pa

    try:
        return _bars(table, columns, files[0], file_format, venue, symbol, options, interval_s)
    except pa.ArrowException as error:
        raise MarketFileError(
            files[0], f"has a value pyarrow cannot convert ({error}); fix or re-export the file"
        ) from None


def _bars(
    table: BarTable,
    columns: tuple[int, tuple[int, ...]],
    path: Path,
    file_format: BarFileFormat,
    venue: VenueId,
    symbol: Symbol,
    options: BarFileOptions,
    interval_s: int | None,
) -> BarFile:
    time_index, value_indexes = columns
    time_name = table.headers[time_index] or "timestamp"
    ts_ns = times_ns(table.column(time_index), table.places, time_name)
    order = _time_order(ts_ns, table, time_index, time_name)
    places = table.places.take(order)
    ts_ns = ts_ns[order]
    numbers = [
        number_column(table.column(index).take(order), places, name)
        for name, index in zip(OHLCV, value_indexes, strict=True)
    ]
    price, prices = _round(path, "price", numbers[:4], options.price_decimals)
    volume, volumes = _round(path, "volume", numbers[4:], options.volume_decimals)
    _check_rows(places, numbers, [*prices, *volumes])
    interval = _interval(path, ts_ns, places, interval_s, table.interval_s)
    _check_grid(ts_ns, places, interval, table, time_index, order, time_name)
    bars = BarArrays(
        venue=venue,
        symbol=symbol,
        interval_s=interval,
        ts_ns=np.ascontiguousarray(ts_ns),
        open=prices[0],
        high=prices[1],
        low=prices[2],
        close=prices[3],
        volume=volumes[0],
        price_decimals=price.decimals,
        volume_decimals=volume.decimals,
    )
    return BarFile(path, file_format, bars, price, volume)


def _check_path(path: Path) -> None:
    if not path.exists():
        raise MarketFileError(path, "does not exist; check the path and the working directory")
    if path.is_dir():
        raise MarketFileError(path, "is a directory; pass one bar file in it")
    if not path.stat().st_size:
        raise MarketFileError(path, "is empty; pass a file with a header and bars")


def _detect(path: Path) -> BarFileFormat:
    try:
        return detect_format(path)
    except OSError as error:
        raise MarketFileError(path, f"cannot be read ({error.strerror}); check it") from None


def _time_order(
    ts_ns: NDArray[np.int64], table: BarTable, time_index: int, time_name: str
) -> NDArray[np.intp]:
    """Return the row order that makes time rise: as written, or turned round if it falls."""
    rows = np.arange(len(ts_ns), dtype=np.intp)
    gaps = np.diff(ts_ns)
    if len(gaps) and (gaps < 0).all():
        return rows[::-1].copy()  # newest first, as CryptoDataDownload exports
    if (gaps > 0).all():
        return rows
    row = int(np.argmin(gaps > 0)) + 1
    text = table.column(time_index)
    before = table.places.at(row - 1)
    raise table.places.at(row).error(
        time_name,
        str(text[row].as_py()),
        f"is not after {text[row - 1].as_py()!s} on {before.unit} {before.line}; rows must "
        "be in strictly rising (or falling) time order with no duplicates: sort and dedupe",
    )


def _round(
    path: Path, what: str, columns: list[NumberColumn], declared: int | None
) -> tuple[Grid, list[NDArray[np.float64]]]:
    """Round ``columns`` onto their grid (declared, or inferred from them)."""
    cap = decimals_cap(columns)
    if declared is not None and declared > cap:
        largest = max(float(np.abs(column.floats).max()) for column in columns)
        raise MarketFileError(
            path,
            f"has {what}s up to {largest!r}, and {declared} {what} decimals would need more "
            f"than the {MAX_EXACT_DIGITS} significant digits a bar file keeps exactly; "
            f"declare at most {cap} {what} decimals",
        )
    decimals = declared if declared is not None else infer_decimals(columns, cap)
    rounded = [round_to_grid(column, decimals) for column in columns]
    moved = sum(count for _, count in rounded)
    return Grid(decimals, declared is not None, moved), [values for values, _ in rounded]


def _check_rows(
    places: RowPlaces, numbers: list[NumberColumn], values: list[NDArray[np.float64]]
) -> None:
    """Refuse the first row that breaks a bar rule, naming its first broken rule."""
    open_, high, low, close, volume = values
    rules: list[tuple[int, NDArray[np.bool_], str]] = [
        *[
            (i, numbers[i].floats <= 0, "is not above 0; a price must be positive")
            for i in range(4)
        ],
        *[
            (i, values[i] <= 0, "rounds to 0 on the price grid; declare more price decimals")
            for i in range(4)
        ],
        (4, volume < 0, "is negative; a volume cannot be"),
        (1, high < np.maximum(np.maximum(open_, close), low), "is below the open, close or low"),
        (2, low > np.minimum(open_, close), "is above the open or close; it must be <= them"),
    ]
    bad = [int(np.argmax(broken)) for _, broken, _ in rules if broken.any()]
    if not bad:
        return
    row = min(bad)
    column, _, why = next(rule for rule in rules if rule[1][row])
    raise places.at(row).error(OHLCV[column], numbers[column].text(row), why)


def _interval(
    path: Path,
    ts_ns: NDArray[np.int64],
    places: RowPlaces,
    asked: int | None,
    stated: int | None,
) -> int:
    """Return the bar length (s): asked for, stated by the format, or the smallest gap."""
    if asked is not None and stated is not None and asked != stated:
        raise MarketFileError(
            path,
            f"holds {stated} s bars, not the {asked} s asked for; fix the feed id's interval "
            "or pick the files of the other resolution",
        )
    if asked is not None or stated is not None:
        return asked or stated or 0
    if len(ts_ns) < 2:
        raise MarketFileError(
            path, "holds one bar, too few to tell the bar interval; pass a file with more bars"
        )
    gap_ns = int(np.diff(ts_ns).min())
    if gap_ns % _NS_PER_S:
        row = int(np.argmin(np.diff(ts_ns))) + 1
        place = places.at(row)
        raise MarketFileError(
            path,
            f"has bars {gap_ns} ns apart ({place.unit} {place.line}), not a whole number of "
            "seconds; fix the time stamps",
        )
    return gap_ns // _NS_PER_S


def _check_grid(
    ts_ns: NDArray[np.int64],
    places: RowPlaces,
    interval_s: int,
    table: BarTable,
    time_index: int,
    order: NDArray[np.intp],
    time_name: str,
) -> None:
    off = (ts_ns - ts_ns[0]) % (interval_s * _NS_PER_S) != 0
    if off.any():
        row = int(np.argmax(off))
        first = places.at(0)
        raise places.at(row).error(
            time_name,
            str(table.column(time_index)[int(order[row])].as_py()),
            f"is off the {interval_s} s grid that starts at {first.unit} {first.line}; "
            "fix the time stamp or the interval",
        )


def _iso(ts_ns: int) -> str:
    return f"{from_ns(ts_ns):%Y-%m-%d %H:%M:%S}"
