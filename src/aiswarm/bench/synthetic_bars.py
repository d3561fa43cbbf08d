"""Generate the shared benchmark's synthetic 1-minute BTC/USDT bars, without pandas.

This reproduces `gen_bars.py` of the shared benchmark folder operation for operation (numpy
PCG64 seeded with 42, the same draws in the same order, the same rounding), so the bars equal
the reference file's: `write_csv` produces a file whose SHA-256 is the published one (a test
checks it), and the EMA(9/21) long-only cross on 500,000 bars makes the reference 23,162
orders. Prices are floats here because they are market data; orders turn them into exact
Decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["REFERENCE_SHA256", "SyntheticBars", "make_bars", "write_csv"]

REFERENCE_SHA256 = "3a2c3bda9d6e137b1435d4ca9ac438bf4784f740892711ab5430de63545b7a30"
"""SHA-256 of the reference CSV for 500,000 bars, seed 42 (shared BENCHMARKS.md)."""

_START_NS = 1_704_067_200 * 1_000_000_000  # 2024-01-01T00:00:00Z
_MINUTE_NS = 60 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class SyntheticBars:
    """Columns of the generated bars; ``ts_ns`` is each bar's open time (epoch ns, UTC)."""

    ts_ns: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]


def make_bars(count: int = 500_000, seed: int = 42) -> SyntheticBars:
    """Return ``count`` bars drawn exactly as the shared generator draws them."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, 0.001, count)
    high_wick = np.abs(rng.normal(0.0, 0.0005, count))
    low_wick = np.abs(rng.normal(0.0, 0.0005, count))
    raw_volume = rng.lognormal(2.0, 1.0, count)
    close = np.round(60000.0 * np.exp(np.cumsum(returns)), 2)
    open_ = np.empty(count)
    open_[0] = 60000.0
    open_[1:] = close[:-1]
    high = np.round(np.maximum(open_, close) * (1.0 + high_wick), 2)
    low = np.round(np.minimum(open_, close) * (1.0 - low_wick), 2)
    high = np.maximum(high, np.maximum(open_, close))
    low = np.minimum(low, np.minimum(open_, close))
    volume = np.maximum(np.round(raw_volume, 3), 0.001)
    ts_ns = _START_NS + np.arange(count, dtype=np.int64) * _MINUTE_NS
    return SyntheticBars(ts_ns, open_, high, low, close, volume)


def write_csv(bars: SyntheticBars, path: Path) -> None:
    """Write ``bars`` in the reference file's exact text format (pandas ``to_csv``, %.3f)."""
    minutes = (bars.ts_ns - _START_NS) // _MINUTE_NS
    stamps = np.datetime64("2024-01-01T00:00") + minutes.astype("timedelta64[m]")
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("timestamp,open,high,low,close,volume\n")
        columns = zip(
            stamps.astype(str),
            bars.open.tolist(),
            bars.high.tolist(),
            bars.low.tolist(),
            bars.close.tolist(),
            bars.volume.tolist(),
            strict=True,
        )
        for stamp, o, h, lo, c, v in columns:
            out.write(
                f"{stamp.replace('T', ' ')}:00+00:00,{o:.3f},{h:.3f},{lo:.3f},{c:.3f},{v:.3f}\n"
            )
