"""Read QuantConnect Lean crypto files: minute/second trade bar zips and funding rates.

Lean's format (``Data/crypto/readme.md`` in QuantConnect/Lean, Apache-2.0):

* ``YYYYMMDD_trade.zip`` holds one header-less CSV ``YYYYMMDD_symbol_minute_trade.csv`` with
  rows ``ms_since_midnight,open,high,low,close,volume``. The day comes from the zip's name,
  the resolution (``minute`` 60 s, ``second`` 1 s) from the member's name; UTC.
* ``margin_interest/<symbol>.csv`` holds header-less ``YYYYMMDD HH:MM:SS,rate`` rows: the
  8-hourly funding rate of a perpetual, as a fraction of notional.

Several days read as one series, and every bar-file rule of ``replay_bars`` applies across
them. Quote zips (bid/ask bars) are refused, not misread as trades. No clock.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiswarm.clock import to_ns
from aiswarm.market.replay_bars import RawBar, bars_from_rows
from aiswarm.market.replay_fields import ReplayFileError, RowPlace, parse_signed_decimal
from aiswarm.types import Bar, FundingRate, Symbol, VenueId

__all__ = ["read_lean_funding", "read_lean_trade_zips"]

_ZIP_NAME = re.compile(r"^(\d{8})_trade\.zip$")
_RESOLUTION_S = {"minute": 60, "second": 1}
_MS_PER_DAY = 86_400_000
_NS_PER_MS = 1_000_000


def read_lean_trade_zips(paths: Sequence[Path], venue: VenueId, symbol: Symbol) -> list[Bar]:
    """Return the trade bars of Lean ``YYYYMMDD_trade.zip`` files, in the order given.

    Pass the days in date order; the bars must rise in time across files, so a day out of
    order is refused at its first row.
    """
    if not paths:
        raise ValueError("read_lean_trade_zips needs at least one YYYYMMDD_trade.zip path")
    rows: list[RawBar] = []
    intervals: set[int] = set()
    for path in paths:
        interval, day_rows = _read_day(path)
        intervals.add(interval)
        rows.extend(day_rows)
    if len(intervals) > 1:
        raise ReplayFileError(
            paths[-1],
            1,
            "resolution",
            str(sorted(intervals)),
            "are the bar lengths (s) of the files given; read one resolution at a time",
        )
    return bars_from_rows(rows, venue, symbol, intervals.pop())


def read_lean_funding(path: Path, venue: VenueId, symbol: Symbol) -> list[FundingRate]:
    """Return the funding rates of a Lean ``margin_interest`` CSV, in strictly rising order."""
    rates: list[FundingRate] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        for fields in reader:
            if not fields:
                continue
            place = RowPlace(path, reader.line_num)
            if len(fields) != 2:
                raise place.error("time", ",".join(fields), "is not a row 'YYYYMMDD HH:MM:SS,rate'")
            ts_ns = _lean_time_ns(place, fields[0])
            if rates and ts_ns <= rates[-1].ts_ns:
                raise place.error("time", fields[0], "is not after the previous row's; sort it")
            rate = parse_signed_decimal(fields[1], place, "rate")
            rates.append(FundingRate(venue=venue, symbol=symbol, ts_ns=ts_ns, rate=rate))
    return rates


def _read_day(path: Path) -> tuple[int, list[RawBar]]:
    """Return the bar length (s) and rows of one day's trade zip."""
    name = _ZIP_NAME.match(path.name)
    if name is None:
        raise ReplayFileError(
            path,
            1,
            "file name",
            path.name,
            "is not a Lean trade zip name YYYYMMDD_trade.zip (quote zips hold bid/ask bars)",
        )
    day = datetime.strptime(name.group(1), "%Y%m%d").replace(tzinfo=UTC)
    with zipfile.ZipFile(path) as archive:
        members = archive.namelist()
        if len(members) != 1:
            raise ReplayFileError(
                path, 1, "zip member", ",".join(members), "should be exactly one CSV file"
            )
        resolution = next((r for r in _RESOLUTION_S if f"_{r}_" in members[0]), None)
        if resolution is None:
            raise ReplayFileError(
                path,
                1,
                "zip member",
                members[0],
                f"names no resolution we read {sorted(_RESOLUTION_S)}; tick and hour files differ",
            )
        text = archive.read(members[0]).decode("utf-8")
    return _RESOLUTION_S[resolution], list(_day_rows(path, to_ns(day), text))


def _day_rows(path: Path, day_ns: int, text: str) -> Iterator[RawBar]:
    reader = csv.reader(io.StringIO(text))
    for fields in reader:
        if not fields:
            continue
        place = RowPlace(path, reader.line_num)
        if len(fields) != 6:
            raise place.error(
                "ms_since_midnight",
                ",".join(fields),
                f"is a row of {len(fields)} field(s); Lean trade rows have 6 (ms,o,h,l,c,v)",
            )
        ms_text = fields[0]
        if not ms_text.isdigit() or int(ms_text) >= _MS_PER_DAY:
            raise place.error(
                "ms_since_midnight", ms_text, "is not whole milliseconds within one day"
            )
        ts_ns = day_ns + int(ms_text) * _NS_PER_MS
        yield RawBar(place, ms_text, ts_ns, (fields[1], fields[2], fields[3], fields[4], fields[5]))


def _lean_time_ns(place: RowPlace, text: str) -> int:
    try:
        moment = datetime.strptime(text.strip(), "%Y%m%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise place.error("time", text, "is not Lean time 'YYYYMMDD HH:MM:SS'") from None
    return to_ns(moment)
