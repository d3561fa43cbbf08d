"""Turn the rows of a bar file into checked ``Bar`` s: one rule set for every file format.

A reader only splits its format into ``RawBar`` rows (time stamp plus the five OHLCV texts);
this module refuses what a backtest must never trade on, naming the file, line, column and
value: a price that is not a positive number, a high below the low, open or close, a time
that does not rise strictly, and a bar off its interval's grid. Missing minutes (no trades)
are fine. No clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from aiswarm.market.replay_fields import ReplayFileError, RowPlace, parse_decimal
from aiswarm.types import Bar, Symbol, VenueId

__all__ = ["OHLCV_COLUMNS", "RawBar", "bars_from_rows", "infer_interval_s"]

OHLCV_COLUMNS = ("open", "high", "low", "close", "volume")
_NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class RawBar:
    """One row as a reader found it: where it is, its time stamp and the five OHLCV texts."""

    place: RowPlace
    ts_text: str
    ts_ns: int
    values: tuple[str, str, str, str, str]


def infer_interval_s(rows: Sequence[RawBar], path: Path) -> int:
    """Return the bar interval (s): the smallest gap between consecutive rows.

    The smallest, not the first, because minute files skip minutes without trades. A file of
    fewer than two rows has no gap, and the caller must say the interval.
    """
    if len(rows) < 2:
        raise ReplayFileError(
            path,
            rows[0].place.line if rows else 1,
            "timestamp",
            rows[0].ts_text if rows else "",
            f"is one of {len(rows)} bar(s), too few to infer the interval; pass interval_s",
        )
    gap_ns = min(after.ts_ns - before.ts_ns for before, after in pairwise(rows))
    if gap_ns <= 0 or gap_ns % _NS_PER_S:
        _check_rising(rows)
        raise ReplayFileError(
            rows[0].place.path,
            rows[0].place.line,
            "timestamp",
            rows[0].ts_text,
            f"starts bars {gap_ns} ns apart, not a whole number of seconds; pass interval_s",
        )
    return gap_ns // _NS_PER_S


def bars_from_rows(
    rows: Sequence[RawBar], venue: VenueId, symbol: Symbol, interval_s: int
) -> list[Bar]:
    """Return every row as a checked ``Bar``, in file order, or raise on the first bad one."""
    _check_rising(rows)
    step_ns = interval_s * _NS_PER_S
    bars: list[Bar] = []
    for row in rows:
        if (row.ts_ns - rows[0].ts_ns) % step_ns:
            raise row.place.error(
                "timestamp",
                row.ts_text,
                f"is off the {interval_s} s grid that starts at line {rows[0].place.line}; "
                "fix the time stamp or pass the right interval_s",
            )
        open_, high, low, close, volume = _prices(row)
        bars.append(
            Bar(
                venue=venue,
                symbol=symbol,
                ts_ns=row.ts_ns,
                interval_s=interval_s,
                open=open_,
                high=high,
                low=low,
                close=close,
                volume=volume,
            )
        )
    return bars


def _prices(row: RawBar) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """Return the row's exact OHLCV, refusing a high or low that does not contain the rest."""
    place = row.place
    open_, high, low, close = (
        parse_decimal(text, place, name, positive=True)
        for name, text in zip(OHLCV_COLUMNS[:4], row.values[:4], strict=True)
    )
    volume = parse_decimal(row.values[4], place, "volume", positive=False)
    if high < max(open_, close, low):
        raise place.error(
            "high",
            row.values[1],
            f"is below the open {open_}, close {close} or low {low}; the high must be >= them",
        )
    if low > min(open_, close):
        raise place.error(
            "low", row.values[2], f"is above the open {open_} or close {close}; it must be <= them"
        )
    return open_, high, low, close, volume


def _check_rising(rows: Sequence[RawBar]) -> None:
    """Refuse a row whose time stamp is not after the previous row's."""
    for before, after in pairwise(rows):
        if after.ts_ns <= before.ts_ns:
            raise after.place.error(
                "timestamp",
                after.ts_text,
                f"is not after {before.ts_text!r} on line {before.place.line}; rows must be in "
                "strictly rising time order with no duplicates: sort and dedupe the file",
            )
