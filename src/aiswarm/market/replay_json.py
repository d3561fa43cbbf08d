"""Read ccxt ``fetch_ohlcv`` JSON: a list of ``[ms, open, high, low, close, volume]`` rows.

This is what ccxt returns and what freqtrade stored as ``*.json``. Numbers are read as text
(``parse_float=str``) before ``Decimal`` sees them, so ``7424.91`` stays exactly that and never
passes through a float. Errors name the 1-based row, since one line may hold the whole file.
No clock.
"""

from __future__ import annotations

import json
from pathlib import Path

from aiswarm.market.replay_bars import RawBar, bars_from_rows, infer_interval_s
from aiswarm.market.replay_fields import ReplayFileError, RowPlace, parse_timestamp_ns
from aiswarm.types import Bar, Symbol, VenueId

__all__ = ["read_ccxt_json"]

_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def read_ccxt_json(
    path: Path, venue: VenueId, symbol: Symbol, interval_s: int | None = None
) -> list[Bar]:
    """Return every bar of a ccxt OHLCV JSON file in file order, as exact ``Bar`` s.

    ``interval_s`` defaults to the smallest gap between rows.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_float=str, parse_int=str)
    except json.JSONDecodeError as error:
        raise ReplayFileError(
            path, error.lineno, "json", error.msg, "is where the JSON breaks; fix the file"
        ) from None
    if not isinstance(document, list):
        raise ReplayFileError(
            path, 1, "json", type(document).__name__, "is the top level; expected a list of rows"
        )
    rows = [_raw_bar(path, number, row) for number, row in enumerate(document, start=1)]
    interval = interval_s if interval_s is not None else infer_interval_s(rows, path)
    return bars_from_rows(rows, venue, symbol, interval)


def _raw_bar(path: Path, number: int, row: object) -> RawBar:
    place = RowPlace(path, number, unit="row")
    if not isinstance(row, list) or len(row) != len(_COLUMNS):
        raise place.error(
            _COLUMNS[0], json.dumps(row), "is not a list [ms, open, high, low, close, volume]"
        )
    texts = [str(value) for value in row]
    for column, value in zip(_COLUMNS, row, strict=True):
        if not isinstance(value, str):
            raise place.error(column, json.dumps(value), "is not a number")
    return RawBar(
        place,
        texts[0],
        parse_timestamp_ns(texts[0], place, "timestamp"),
        (texts[1], texts[2], texts[3], texts[4], texts[5]),
    )
