"""Read funding rates from a ``timestamp,rate`` CSV, exactly, failing on the first bad row.

The rate is a fraction of notional per period (UTC; time stamps are epoch milliseconds or
ISO-8601 text, see ``replay_fields``). Rates stay text until ``Decimal`` reads them, so nothing
is rounded. Empty lines hold no data and are passed over; every other line must be a full row.
Bar files go through ``bar_file.read_bar_file`` instead. No clock.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from aiswarm.market.replay_fields import (
    ReplayFileError,
    RowPlace,
    parse_signed_decimal,
    parse_timestamp_ns,
)
from aiswarm.types import FundingRate, Symbol, VenueId

__all__ = ["read_funding_csv"]


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
