"""Read bars and funding rates from header CSV files, exactly, failing on the first bad row.

Formats (UTC; time stamps are epoch milliseconds or ISO-8601 text, see ``replay_fields``):

* OHLCV: a header ``timestamp,open,high,low,close,volume`` (ours, ccxt-style, and what
  ``aiswarm bench backtest --data`` reads) or ``datetime,open,...`` (basana and Bitstamp
  exports). Columns are found by name, so their order may vary; a missing one is refused.
* Funding: a header ``timestamp,rate``, the rate a fraction of notional per period.

Prices stay text until ``Decimal`` reads them, so nothing is rounded. Empty lines hold no data
and are passed over; every other line must be a full row. No clock.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from aiswarm.market.replay_bars import OHLCV_COLUMNS, RawBar, bars_from_rows, infer_interval_s
from aiswarm.market.replay_fields import (
    ReplayFileError,
    RowPlace,
    parse_signed_decimal,
    parse_timestamp_ns,
)
from aiswarm.types import Bar, FundingRate, Symbol, VenueId

__all__ = ["TIME_COLUMNS", "read_funding_csv", "read_ohlcv_csv", "read_ohlcv_header"]

TIME_COLUMNS = ("timestamp", "datetime")
"""Names the time column of an OHLCV CSV may have."""


def read_ohlcv_header(path: Path, header: list[str]) -> tuple[int, tuple[int, ...]]:
    """Return the index of the time column and of open, high, low, close and volume.

    Raises:
        ReplayFileError: a column is missing (line 1 names which, and what was found).
    """
    names = [name.strip().lower() for name in header]
    time_index = next((names.index(n) for n in TIME_COLUMNS if n in names), None)
    missing = [n for n in OHLCV_COLUMNS if n not in names]
    if time_index is None or missing:
        absent = missing if time_index is not None else ["timestamp", *missing]
        raise ReplayFileError(
            path,
            1,
            absent[0],
            ",".join(header),
            f"is the header, and it lacks {absent}; an OHLCV CSV starts "
            "'timestamp,open,high,low,close,volume' (or 'datetime,...')",
        )
    return time_index, tuple(names.index(n) for n in OHLCV_COLUMNS)


def read_ohlcv_csv(
    path: Path, venue: VenueId, symbol: Symbol, interval_s: int | None = None
) -> list[Bar]:
    """Return every bar of an OHLCV CSV in file order, as exact ``Bar`` s.

    ``interval_s`` defaults to the smallest gap between rows (a file with one row needs it).
    """
    rows = list(_raw_bars(path))
    interval = interval_s if interval_s is not None else infer_interval_s(rows, path)
    return bars_from_rows(rows, venue, symbol, interval)


def read_funding_csv(path: Path, venue: VenueId, symbol: Symbol) -> list[FundingRate]:
    """Return every funding rate of a ``timestamp,rate`` CSV, in strictly rising time order."""
    rates: list[FundingRate] = []
    for place, fields in _rows(path, ("timestamp", "rate")):
        ts_ns = parse_timestamp_ns(fields[0], place, "timestamp")
        if rates and ts_ns <= rates[-1].ts_ns:
            raise place.error("timestamp", fields[0], "is not after the previous row's; sort it")
        rates.append(_funding(place, venue, symbol, ts_ns, fields[1]))
    return rates


def _funding(place: RowPlace, venue: VenueId, symbol: Symbol, ts_ns: int, rate: str) -> FundingRate:
    return FundingRate(
        venue=venue, symbol=symbol, ts_ns=ts_ns, rate=parse_signed_decimal(rate, place, "rate")
    )


def _raw_bars(path: Path) -> Iterator[RawBar]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ReplayFileError(path, 1, "timestamp", "", "is an empty file; it holds no bars")
        time_index, value_indexes = read_ohlcv_header(path, header)
        for fields in reader:
            if not fields:
                continue
            place = RowPlace(path, reader.line_num)
            _check_width(place, fields, header)
            ts_text = fields[time_index]
            values = tuple(fields[i] for i in value_indexes)
            yield RawBar(
                place,
                ts_text,
                parse_timestamp_ns(ts_text, place, header[time_index]),
                (values[0], values[1], values[2], values[3], values[4]),
            )


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[RowPlace, list[str]]]:
    """Yield each data row of a CSV whose header must be exactly ``columns``."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header] != list(columns):
            raise ReplayFileError(
                path,
                1,
                columns[0],
                ",".join(header or []),
                f"is the header; expected {','.join(columns)}",
            )
        for fields in reader:
            if fields:
                place = RowPlace(path, reader.line_num)
                _check_width(place, fields, header)
                yield place, fields


def _check_width(place: RowPlace, fields: list[str], header: list[str]) -> None:
    if len(fields) != len(header):
        column = header[len(fields)] if len(fields) < len(header) else f"#{len(fields)}"
        raise place.error(
            column,
            ",".join(fields),
            f"is a row of {len(fields)} field(s) under a header of {len(header)}; "
            "every row needs one value per column",
        )
