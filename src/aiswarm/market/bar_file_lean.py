"""Read QuantConnect Lean crypto trade-bar zips: minute and second day files, hour and daily.

Lean's format (``Data/crypto/readme.md`` in QuantConnect/Lean, Apache-2.0): each zip holds one
header-less CSV of ``time,open,high,low,close,volume`` rows, UTC.

* ``YYYYMMDD_trade.zip`` holds ``YYYYMMDD_<symbol>_minute_trade.csv`` (or ``_second_``): the
  time is milliseconds since midnight of the day in the zip's name; the bar length is the
  resolution in the member's name.
* ``<symbol>_trade.zip`` (hour and daily folders) holds rows timed ``YYYYMMDD HH:MM``.

Several zips read as one series, in the order given. Quote zips (bid/ask bars) are refused,
not misread as trades. The rows go on to ``bar_file``'s checks like any format's.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aiswarm.clock import to_ns
from aiswarm.market.bar_table import BarTable, RowPlaces
from aiswarm.market.replay_fields import MarketFileError, ReplayFileError

__all__ = ["read_lean_zips"]

_DAY_ZIP = re.compile(r"^(\d{8})_trade\.zip$")
_RESOLUTION_S = {"minute": 60, "second": 1}
_COLUMNS = ("time", "open", "high", "low", "close", "volume")
_MS_PER_DAY = 86_400_000
_NS_PER_MS = 1_000_000


def read_lean_zips(paths: Sequence[Path]) -> BarTable:
    """Return the trade bars of Lean zips as one table (the time column in epoch ns, UTC).

    Raises:
        MarketFileError: a zip is not a Lean trade zip, or the zips mix resolutions.
        ReplayFileError: a row is short or its time is not Lean's (names zip and line).
    """
    import pyarrow as pa

    tables: list[Any] = []
    places: list[RowPlaces] = []
    intervals: set[int | None] = set()
    for index, path in enumerate(paths):
        table, lines, interval = _read_zip(path)
        tables.append(table)
        places.append(RowPlaces((), np.full(len(lines), index, dtype=np.intp), lines, "line"))
        intervals.add(interval)
    if len(intervals) > 1:
        raise MarketFileError(
            paths[-1],
            f"has another resolution than the zips before it ({sorted(map(str, intervals))}); "
            "read one resolution at a time",
        )
    merged = RowPlaces(
        tuple(paths),
        np.concatenate([p.file_index for p in places]),
        np.concatenate([p.lines for p in places]),
        "line",
    )
    return BarTable(pa.concat_tables(tables), _COLUMNS, merged, interval_s=intervals.pop())


def _read_zip(path: Path) -> tuple[Any, NDArray[np.int64], int | None]:
    """Return one zip's table, its rows' line numbers and its bar length (None: infer)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if "_quote" in path.name:
        raise MarketFileError(
            path, "holds Lean quote (bid/ask) bars; pass the matching _trade.zip for trade bars"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
            if len(members) != 1:
                raise MarketFileError(
                    path, f"holds {len(members)} files; a Lean zip holds exactly one CSV"
                )
            member = members[0]
            data = archive.read(member)
    except zipfile.BadZipFile as error:
        raise MarketFileError(
            path, f"is not a readable zip ({error}); pass an intact file"
        ) from None
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=list(_COLUMNS)),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(_COLUMNS, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as error:
        raise MarketFileError(
            path,
            f"holds {member}, which is not Lean trade rows time,open,high,low,close,volume "
            f"({str(error).splitlines()[0]})",
        ) from None
    lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    resolution = next((r for r in _RESOLUTION_S if f"_{r}_" in member), None)
    times = table.column("time").combine_chunks().to_pylist()
    day = _DAY_ZIP.match(path.name)
    if resolution is not None and day is not None:
        ns = _since_midnight(path, day.group(1), times)
    else:
        ns = _lean_times(path, times)
    stamped = table.set_column(0, "time", pa.array(ns, pa.timestamp("ns", tz="UTC")))
    return stamped, lines, _RESOLUTION_S.get(resolution or "")


def _since_midnight(path: Path, day: str, times: list[str]) -> list[int]:
    midnight = to_ns(datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC))
    stamps: list[int] = []
    for line, text in enumerate(times, start=1):
        if not text.isdigit() or int(text) >= _MS_PER_DAY:
            raise ReplayFileError(
                path, line, "time", text, "is not whole milliseconds since midnight (Lean)"
            )
        stamps.append(midnight + int(text) * _NS_PER_MS)
    return stamps


def _lean_times(path: Path, times: list[str]) -> list[int]:
    stamps: list[int] = []
    for line, text in enumerate(times, start=1):
        try:
            moment = datetime.strptime(text.strip(), "%Y%m%d %H:%M").replace(tzinfo=UTC)
        except ValueError:
            raise ReplayFileError(
                path,
                line,
                "time",
                text,
                "is not Lean time 'YYYYMMDD HH:MM'; minute and second rows need the "
                "YYYYMMDD_trade.zip name they came in",
            ) from None
        stamps.append(to_ns(moment))
    return stamps
