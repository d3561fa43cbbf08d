"""A bar file's rows as its reader found them: an Arrow table, its headers, where each row sits.

Every format's reader (``bar_file_formats``, ``bar_file_lean``) produces a ``BarTable``, and one
path (``bar_file``) turns it into checked, rounded ``BarArrays``. ``columns_of`` finds the time
and OHLCV columns by name, so exports with their own names and order are read alike. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aiswarm.market.replay_fields import MarketFileError, ReplayFileError, RowPlace

__all__ = ["OHLCV", "BarTable", "RowPlaces", "columns_of"]

OHLCV = ("open", "high", "low", "close", "volume")
# Names the time column goes by, best first: ours and ccxt's, CryptoDataDownload's epoch column,
# basana/Bitstamp, freqtrade, Binance klines; an unnamed first column is a pandas index.
_TIME_NAMES = ("timestamp", "unix", "datetime", "date", "time", "open time")
_HINT = (
    "a bar file has a time column (timestamp, datetime, date or unix) and open, high, low, "
    "close, volume"
)


@dataclass(frozen=True, slots=True)
class RowPlaces:
    """Where each row of a table sits: its file and 1-based line (``unit`` "line" or "row")."""

    paths: tuple[Path, ...]
    file_index: NDArray[np.intp]
    lines: NDArray[np.int64]
    unit: str

    def at(self, row: int) -> RowPlace:
        """Return the place of ``row``, for an error message."""
        return RowPlace(self.paths[self.file_index[row]], int(self.lines[row]), self.unit)

    def take(self, rows: NDArray[np.intp]) -> RowPlaces:
        """Return the places of ``rows``, in that order."""
        return RowPlaces(self.paths, self.file_index[rows], self.lines[rows], self.unit)


@dataclass(frozen=True, slots=True)
class BarTable:
    """A bar file's table (``pyarrow.Table``), its column headers as written, and row places.

    ``header_line`` is the line the headers are on, or None for formats that name columns
    another way (JSON keys, Arrow schemas, Lean's fixed layout). ``interval_s`` is the bar
    length when the format states it (Lean names its resolution), else None: inferred.
    """

    table: Any
    headers: tuple[str, ...]
    places: RowPlaces
    header_line: int | None = None
    interval_s: int | None = None

    def column(self, index: int) -> Any:
        """Return column ``index`` as one ``pyarrow.Array``."""
        return self.table.column(index).combine_chunks()


def columns_of(table: BarTable, base: str) -> tuple[int, tuple[int, ...]]:
    """Return the index of the time column, and of open, high, low, close and volume.

    Names are matched ignoring case and punctuation. The volume is ``volume``, or
    ``volume <base>`` where an export gives it in both currencies (``Volume BTC``,
    ``Volume_(BTC)``). Without a named time column, the only timestamp-typed column (a
    dataframe's index in parquet) or an unnamed first column serves.
    """
    names = [" ".join(re.findall(r"[a-z0-9]+", header.lower())) for header in table.headers]
    time_index = next((names.index(name) for name in _TIME_NAMES if name in names), None)
    if time_index is None:
        time_index = _unnamed_time(table, names)
    wanted = {"volume": ("volume", f"volume {base.lower()}", f"{base.lower()} volume")}
    found: list[int] = []
    missing: list[str] = []
    for column in OHLCV:
        index = next((names.index(n) for n in wanted.get(column, (column,)) if n in names), None)
        if index is None:
            missing.append(column)
        else:
            found.append(index)
    if time_index is None or missing:
        absent = missing if time_index is not None else ["timestamp", *missing]
        headers = ",".join(table.headers)
        if table.header_line is None:
            raise MarketFileError(
                table.places.paths[0], f"has the columns {headers!r}, which lack {absent}; {_HINT}"
            )
        raise ReplayFileError(
            table.places.paths[0],
            table.header_line,
            absent[0],
            headers,
            f"is the header, and it lacks {absent}; {_HINT}: name them in the first line",
        )
    return time_index, tuple(found)


def _unnamed_time(table: BarTable, names: Sequence[str]) -> int | None:
    """Return the only timestamp-typed column, or an unnamed first column, if there is one."""
    import pyarrow as pa

    typed = [i for i, field in enumerate(table.table.schema) if pa.types.is_timestamp(field.type)]
    if len(typed) == 1:
        return typed[0]
    return 0 if names and names[0] in ("", "index level 0") else None
