"""Read QuantConnect Lean ``margin_interest`` CSVs: the funding rates of perpetuals.

Lean's format (``Data/crypto/readme.md`` in QuantConnect/Lean, Apache-2.0):
``margin_interest/<symbol>.csv`` holds header-less ``YYYYMMDD HH:MM:SS,rate`` rows (UTC), the
8-hourly funding rate as a fraction of notional. Lean's trade-bar zips are bar files, read by
``bar_file_lean``. No clock.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from aiswarm.clock import to_ns
from aiswarm.market.replay_fields import RowPlace, parse_signed_decimal
from aiswarm.types import FundingRate, Symbol, VenueId

__all__ = ["read_lean_funding"]


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


def _lean_time_ns(place: RowPlace, text: str) -> int:
    try:
        moment = datetime.strptime(text.strip(), "%Y%m%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise place.error("time", text, "is not Lean time 'YYYYMMDD HH:MM:SS'") from None
    return to_ns(moment)
