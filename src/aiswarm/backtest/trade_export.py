"""Write a backtest's trade list as ``trades.csv`` and ``trades.json``, one round trip a row.

A trade is a round trip from flat to flat, or to a reversal through zero
(``results.round_trips``). Both files hold the same rows and columns, in trade order: money,
prices and quantities as exact decimal text (never a rounded float), times as ISO 8601 UTC,
``return_frac`` as a float fraction of the entry value (``pnl / (entry_price * quantity)``)
and ``duration_s`` in seconds. The JSON is a list of objects, so pandas, a spreadsheet or
``json.load`` reads either file back without this package. Decimals are written plain (``0``,
``1.5``: no exponent, no trailing zeros). Writes in ``out_dir`` only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aiswarm.backtest.iso_times import iso_utc
from aiswarm.backtest.results import TradeRecord
from aiswarm.types import Side
from aiswarm.types.money import plain

__all__ = ["TRADE_COLUMNS", "trade_rows", "write_trades"]

TRADE_COLUMNS = (
    "trade",
    "venue",
    "symbol",
    "direction",
    "quantity",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "fees",
    "pnl",
    "return_frac",
    "duration_s",
    "fills",
)
"""The columns of both files, in order; ``trade`` numbers the round trips from 1."""

_NS_PER_S = 1_000_000_000


def trade_rows(trades: Sequence[TradeRecord]) -> list[dict[str, str | int | float]]:
    """Return one row per trade, with the columns of ``TRADE_COLUMNS``."""
    entries = iso_utc(np.array([t.entry_ts_ns for t in trades], dtype=np.int64))
    exits = iso_utc(np.array([t.exit_ts_ns for t in trades], dtype=np.int64))
    return [
        {
            "trade": number,
            "venue": str(trade.venue),
            "symbol": str(trade.symbol),
            "direction": "long" if trade.side is Side.BUY else "short",
            "quantity": plain(trade.quantity),
            "entry_time": entry,
            "exit_time": exit_,
            "entry_price": plain(trade.entry_price),
            "exit_price": plain(trade.exit_price),
            "fees": plain(trade.fees),
            "pnl": plain(trade.pnl),
            "return_frac": float(trade.pnl / (trade.entry_price * trade.quantity)),
            "duration_s": (trade.exit_ts_ns - trade.entry_ts_ns) / _NS_PER_S,
            "fills": trade.fills,
        }
        for number, (trade, entry, exit_) in enumerate(zip(trades, entries, exits, strict=True), 1)
    ]


def write_trades(trades: Sequence[TradeRecord], out_dir: Path) -> tuple[Path, Path]:
    """Write ``trades.csv`` and ``trades.json`` into ``out_dir``; return their paths."""
    rows = trade_rows(trades)
    csv_path, json_path = out_dir / "trades.csv", out_dir / "trades.json"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TRADE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    json_path.write_text(json.dumps(rows, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return csv_path, json_path
