"""Tell a bar file's format from its bytes, and read CSV, ccxt/freqtrade JSON, feather, parquet.

Detection looks at the content, never the name: a zip is a Lean zip, ``ARROW1``/``FEA1`` is
feather, ``PAR1`` is parquet, text starting ``[`` or ``{`` is JSON, other text is CSV. A gzip
or other binary file is refused by name. Parsing is pyarrow's (CSV, feather, parquet) and the
standard library's ``json`` with numbers kept as text; every value stays text or float here,
and ``bar_file`` applies one rule set to all. Formats, detection and layouts: docs/feeds.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aiswarm.market.bar_file_lean import read_lean_zips
from aiswarm.market.bar_table import BarTable, RowPlaces
from aiswarm.market.replay_fields import MarketFileError, ReplayFileError
from aiswarm.types import BarFileFormat

__all__ = ["detect_format", "read_table"]

_SNIFF_BYTES = 4096
_MAGIC = (
    (b"PK\x03\x04", BarFileFormat.LEAN_ZIP),
    (b"ARROW1", BarFileFormat.FEATHER),
    (b"FEA1", BarFileFormat.FEATHER),
    (b"PAR1", BarFileFormat.PARQUET),
)
_BOM = b"\xef\xbb\xbf"
BINANCE_KLINE = (
    "open time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close time",
    "quote asset volume",
    "number of trades",
    "taker buy base asset volume",
    "taker buy quote asset volume",
    "ignore",
)
"""The columns of a data.binance.vision kline CSV, which has no header line (open time in ms,
or µs in files from 2025 on: the time reader tells the unit from the numbers' size)."""
_READ_AS = "give --format (csv, json, feather, parquet, lean-zip) only if detection is wrong"


def detect_format(path: Path) -> BarFileFormat:
    """Return the format of ``path`` from its first bytes.

    Raises:
        MarketFileError: the file is compressed or binary in a format we do not read.
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    for magic, found in _MAGIC:
        if head.startswith(magic):
            return found
    if head.startswith(b"\x1f\x8b"):
        raise MarketFileError(path, "is gzip-compressed; unpack it first (gunzip) and pass that")
    if b"\x00" in head:
        raise MarketFileError(
            path,
            "is a binary file of no format we read; convert it to CSV, or pass a ccxt JSON, "
            "feather, parquet or Lean zip file",
        )
    text = head.removeprefix(_BOM).lstrip()
    return BarFileFormat.JSON if text[:1] in (b"[", b"{") else BarFileFormat.CSV


def read_table(paths: Sequence[Path], file_format: BarFileFormat) -> BarTable:
    """Return the rows of ``paths`` in ``file_format``; only Lean zips come several at once.

    Raises:
        MarketFileError: the file is not in that format (the message says what the parser
            found), or a row is malformed (``ReplayFileError``, naming the line).
    """
    if file_format is BarFileFormat.LEAN_ZIP:
        return read_lean_zips(paths)
    if len(paths) != 1:
        raise MarketFileError(
            paths[0], f"is one of {len(paths)} files; only Lean day zips are read several at once"
        )
    reader = _READERS[file_format]
    try:
        return reader(paths[0])
    except MarketFileError:
        raise
    except (ValueError, TypeError, OSError, NotImplementedError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MarketFileError(
            paths[0], f"is not a readable {file_format.value} file ({detail}); {_READ_AS}"
        ) from None


def _read_csv(path: Path) -> BarTable:
    """Read a header CSV with every column as text; skip a CryptoDataDownload URL line."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    raw = path.read_bytes().removeprefix(_BOM)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise MarketFileError(
            path, f"is not UTF-8 text (line {line}); save it as UTF-8 CSV or pass another file"
        ) from None
    lines = _nonblank_lines(raw)
    if not len(lines):
        raise MarketFileError(path, "is empty; pass a file with a header and bars")
    header_at = 0
    if _line(raw, lines[0]).lstrip().lower().startswith(b"http") and len(lines) > 1:
        header_at = 1  # CryptoDataDownload puts its URL above the header
    first = int(lines[header_at])
    header = next(csv.reader([_line(raw, first).decode("utf-8")]))
    header_line: int | None = first
    if _is_data(header):  # no header: the first line is already a bar
        header = _headerless(path, header, first)
        header_at, header_line = header_at - 1, None
    body = raw[_line_end(raw, first if header_line else first - 1) :]
    names = [f"c{i}" for i in range(len(header))]
    if len(lines) == header_at + 1:  # a header and no rows: an empty table says so
        empty = pa.table([pa.array([], pa.string())] * len(names), names=names)
        return BarTable(empty, tuple(header), RowPlaces((path,), *_no_rows(), "line"), header_line)
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            read_options=pa_csv.ReadOptions(column_names=names),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        raise _bad_width(path, raw, lines[header_at + 1 :], header) from None
    data_lines = lines[header_at + 1 :]
    places = RowPlaces(
        (path,), np.zeros(len(data_lines), dtype=np.intp), data_lines.astype(np.int64), "line"
    )
    return BarTable(table, tuple(header), places, header_line)


def _is_data(fields: list[str]) -> bool:
    """Return True when a would-be header line holds only numbers: it is a row, not names."""
    try:
        return all(float(field) == float(field) for field in fields)  # NaN is no number here
    except ValueError:
        return False


def _headerless(path: Path, first_row: list[str], line: int) -> list[str]:
    """Return the column names of a header-less CSV, which only Binance klines may be."""
    if len(first_row) == len(BINANCE_KLINE):
        return list(BINANCE_KLINE)
    raise MarketFileError(
        path,
        f"has no header: line {line} is a row of {len(first_row)} numbers; add the header "
        "line timestamp,open,high,low,close,volume (only a Binance kline file, 12 columns, "
        "is read without one)",
    )


def _read_json(path: Path) -> BarTable:
    """Read ccxt ``[[ms, o, h, l, c, v], ...]`` rows, records, or pandas columns as text."""
    import pyarrow as pa

    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=str, parse_int=str)
    except json.JSONDecodeError as error:
        raise ReplayFileError(
            path, error.lineno, "json", error.msg, "is where the JSON breaks; fix the file"
        ) from None
    except UnicodeDecodeError:
        raise MarketFileError(path, "is not UTF-8 JSON; save it as UTF-8") from None
    headers, columns = _json_columns(path, document)
    for name, values in zip(headers, columns, strict=True):
        for row, value in enumerate(values, start=1):
            if not isinstance(value, str):
                raise ReplayFileError(
                    path, row, name, json.dumps(value), "is not a number or time", "row"
                )
    rows = len(columns[0]) if columns else 0
    places = RowPlaces(
        (path,), np.zeros(rows, dtype=np.intp), np.arange(1, rows + 1, dtype=np.int64), "row"
    )
    table = pa.table([pa.array(values, pa.string()) for values in columns], names=headers)
    return BarTable(table, tuple(headers), places)


def _json_columns(path: Path, document: object) -> tuple[list[str], list[list[object]]]:
    """Return the headers and columns of a JSON bar document (see ``_read_json``)."""
    ccxt = ["timestamp", "open", "high", "low", "close", "volume"]
    if isinstance(document, list) and all(isinstance(row, list) for row in document):
        for number, row in enumerate(document, start=1):
            if len(row) != len(ccxt):
                raise ReplayFileError(
                    path, number, "timestamp", json.dumps(row), "is not [ms, o, h, l, c, v]", "row"
                )
        return ccxt, [list(column) for column in zip(*document, strict=True)] or [[]] * 6
    if isinstance(document, list) and all(isinstance(row, dict) for row in document):
        headers = list(document[0]) if document else ccxt
        return headers, [[row.get(name) for row in document] for name in headers]
    if isinstance(document, dict) and all(isinstance(c, dict | list) for c in document.values()):
        headers = list(document)
        return headers, [_values(column) for column in document.values()]
    raise MarketFileError(
        path,
        "is JSON but not bars; expected ccxt rows [[ms, open, high, low, close, volume], ...], "
        "a list of records, or pandas columns {'date': {...}, 'open': {...}, ...}",
    )


def _no_rows() -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)


def _values(column: Mapping[str, object] | list[object]) -> list[object]:
    return list(column.values()) if isinstance(column, dict) else list(column)


def _read_feather(path: Path) -> BarTable:
    import pyarrow.feather as feather

    return _arrow_table(path, feather.read_table(path))


def _read_parquet(path: Path) -> BarTable:
    import pyarrow.parquet as parquet

    return _arrow_table(path, parquet.read_table(path))


def _arrow_table(path: Path, table: Any) -> BarTable:
    rows = table.num_rows
    places = RowPlaces(
        (path,), np.zeros(rows, dtype=np.intp), np.arange(1, rows + 1, dtype=np.int64), "row"
    )
    return BarTable(table, tuple(table.column_names), places)


_READERS: dict[BarFileFormat, Callable[[Path], BarTable]] = {
    BarFileFormat.CSV: _read_csv,
    BarFileFormat.JSON: _read_json,
    BarFileFormat.FEATHER: _read_feather,
    BarFileFormat.PARQUET: _read_parquet,
}


def _nonblank_lines(raw: bytes) -> NDArray[np.int64]:
    """Return the 1-based numbers of the lines that hold anything (pyarrow skips the rest)."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == ord("\n"))
    if len(buf) and buf[-1] != ord("\n"):
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.intp)
    lengths = ends - starts
    only_cr = (lengths == 1) & (buf[np.minimum(starts, max(len(buf) - 1, 0))] == ord("\r"))
    return (np.flatnonzero((lengths > 0) & ~only_cr) + 1).astype(np.int64)


def _line_end(raw: bytes, line: int) -> int:
    """Return the offset just after line ``line`` (1-based) of ``raw``."""
    offset = -1
    for _ in range(line):
        offset = raw.find(b"\n", offset + 1)
        if offset < 0:
            return len(raw)
    return offset + 1


def _line(raw: bytes, line: int) -> bytes:
    start = _line_end(raw, line - 1) if line > 1 else 0
    return raw[start : _line_end(raw, line)].rstrip(b"\r\n")


def _bad_width(path: Path, raw: bytes, lines: NDArray[np.int64], header: list[str]) -> Exception:
    """Return the error for the first data line whose field count differs from the header's."""
    text = [line.rstrip("\r") for line in raw.decode("utf-8").split("\n")]
    for line in lines.tolist():
        fields = next(csv.reader([text[line - 1]]), [])
        if len(fields) != len(header):
            column = header[len(fields)] if len(fields) < len(header) else f"#{len(fields)}"
            return ReplayFileError(
                path,
                line,
                column,
                text[line - 1],
                f"is a row of {len(fields)} field(s) under a header of {len(header)}; "
                "every row needs one value per column",
            )
    return MarketFileError(path, "is not a CSV pyarrow can parse; check its quoting")
