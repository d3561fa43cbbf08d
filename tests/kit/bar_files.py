"""Write small bar files in every format we read, from rows of the shipped canonical CSVs.

The rows come straight from ``backtest_data`` through the ``csv`` module (not our reader), so a
test can compare what ``read_bar_file`` gives back with what was written. The shipped data is
Apache-2.0; copyleft files from ../shared/data are read in place, never copied here.
"""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "backtest_data"
BTC_MINUTES = DATA / "coinbase_btcusd_1m_2018-04-04_06.csv"
Row = tuple[str, str, str, str, str, str]


def shipped_rows(path: Path = BTC_MINUTES, count: int = 300) -> list[Row]:
    """Return the first ``count`` rows (timestamp text and OHLCV texts) of a shipped CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in islice(reader, count)]


def epoch_ms(text: str) -> int:
    """Return an ISO-8601 UTC time stamp as epoch milliseconds."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1000


def write_csv(path: Path, rows: list[Row], header: str = "timestamp") -> Path:
    """Write the canonical CSV (or another time column name)."""
    lines = [f"{header},open,high,low,close,volume", *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_binance_klines(path: Path, rows: list[Row], unit_per_ms: int = 1) -> Path:
    """Write data.binance.vision klines: no header, 12 columns, open and close time in ms
    (``unit_per_ms=1000``: in µs, as Binance writes files from 2025 on), volumes as Binance
    pads them."""
    lines = []
    for time, open_, high, low, close, volume in rows:
        opened = epoch_ms(time) * unit_per_ms
        closed = opened + 60_000 * unit_per_ms - 1
        quote = Decimal(close) * Decimal(volume)
        lines.append(
            f"{opened},{open_},{high},{low},{close},{Decimal(volume):.8f},{closed},"
            f"{quote:.8f},7,{Decimal(volume) / 2:.8f},{quote / 2:.8f},0"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_ccxt_json(path: Path, rows: list[Row]) -> Path:
    """Write ccxt ``fetch_ohlcv`` rows, numbers as JSON numbers, as freqtrade stored them."""
    body = ",".join(f"[{epoch_ms(r[0])},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]}]" for r in rows)
    path.write_text(f"[{body}]", encoding="utf-8")
    return path


def write_pandas_json(path: Path, rows: list[Row]) -> Path:
    """Write pandas ``orient=columns`` JSON, as freqtrade's orderflow candles."""
    columns = {"date": {str(i): epoch_ms(r[0]) for i, r in enumerate(rows)}}
    for index, name in enumerate(("open", "high", "low", "close", "volume"), start=1):
        columns[name] = {str(i): float(r[index]) for i, r in enumerate(rows)}
    path.write_text(json.dumps(columns), encoding="utf-8")
    return path


def _frame(rows: list[Row]) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "date": pd.to_datetime([epoch_ms(r[0]) for r in rows], unit="ms", utc=True),
            **{
                name: [float(r[i]) for r in rows]
                for i, name in enumerate(("open", "high", "low", "close", "volume"), start=1)
            },
        }
    )


def write_feather(path: Path, rows: list[Row]) -> Path:
    """Write freqtrade's feather layout: ``date`` (ns, UTC) and float64 OHLCV."""
    _frame(rows).to_feather(path)
    return path


def write_parquet(path: Path, rows: list[Row]) -> Path:
    """Write parquet with the time as the dataframe's index, as ``df.to_parquet`` does."""
    _frame(rows).set_index("date").to_parquet(path)
    return path


def write_lean_zip(folder: Path, rows: list[Row]) -> Path:
    """Write the rows of one UTC day as Lean's ``YYYYMMDD_trade.zip`` (ms since midnight)."""
    day = rows[0][0][:10].replace("-", "")
    midnight = epoch_ms(rows[0][0][:10] + "T00:00:00Z")
    body = "".join(f"{epoch_ms(r[0]) - midnight},{','.join(r[1:])}\n" for r in rows)
    path = folder / f"{day}_trade.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{day}_btcusd_minute_trade.csv", body)
    return path


def write_cryptodatadownload(path: Path, rows: list[Row]) -> Path:
    """Write CryptoDataDownload's Bitstamp layout: URL line, unix ms, two volumes, newest first."""
    lines = [
        "https://www.CryptoDataDownload.com",
        "unix,date,symbol,open,high,low,close,Volume BTC,Volume USD",
    ]
    for r in reversed(rows):
        usd = Decimal(r[4]) * Decimal(r[5])
        stamp = datetime.fromtimestamp(epoch_ms(r[0]) / 1000, tz=UTC)
        lines.append(
            f"{epoch_ms(r[0])},{stamp:%Y-%m-%d %H:%M:%S},BTC/USD,{r[1]},{r[2]},{r[3]},{r[4]},"
            f"{r[5]},{usd}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_float_noise_csv(path: Path, rows: list[Row]) -> Path:
    """Write the rows as an exporter computing in floats would: volume as quote notional.

    ``close * volume`` in float64, printed with ``repr``, gives values such as
    ``218102.59507500002`` (the FTX BTC-PERP export's kind of noise).
    """
    lines = ["timestamp,open,high,low,close,volume"]
    for r in rows:
        notional = float(r[4]) * float(r[5])
        lines.append(f"{r[0]},{float(r[1])!r},{r[2]},{r[3]},{r[4]},{notional!r}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
