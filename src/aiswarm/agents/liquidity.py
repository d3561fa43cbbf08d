"""Score how much a symbol's market can absorb, from the frame's data, never from a constant.

Two sources, in order of preference:

* **measured** — the frame's ``liquidity_usd`` (book depth near the price or recent traded
  notional, quote currency): score = L / (L + reference), so the reference (a parameter,
  default 1,000,000) is the depth that scores 0.5 and the score rises towards 1 with depth;
* **traded notional** — when nothing is measured: the mean traded notional per bar (close x
  volume, quote currency) over the last ``window_bars`` bars, divided by the median per-bar
  notional over the last ``baseline_bars`` bars, capped at 1. A market trading at its usual
  pace scores about 1, one that has gone quiet scores towards 0, and a market with no volume
  at all scores 0.

Computed only when a signal fires (a slice of at most ``baseline_bars`` bars), so it costs
nothing per bar. The measured source reflects the frame the signal is emitted in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aiswarm.types import SymbolFrame

__all__ = ["liquidity_score"]


def _median(values: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    """Return the median of a non-empty array (``np.median`` minus its wrapper overhead)."""
    size = len(values)
    half = size // 2
    if size % 2:
        return float(np.partition(values, half)[half])
    low, high = np.partition(values, (half - 1, half))[half - 1 : half + 1].tolist()
    return 0.5 * (float(low) + float(high))


def liquidity_score(
    frame: SymbolFrame,
    index: int,
    window_bars: int,
    baseline_bars: int,
    reference_usd: float,
) -> tuple[float, dict[str, float | int | str]]:
    """Return the liquidity score in [0, 1] at bar ``index`` and the numbers behind it."""
    measured = frame.liquidity_usd
    if measured is not None and math.isfinite(measured) and measured >= 0.0:
        return measured / (measured + reference_usd), {
            "liquidity_source": "measured",
            "liquidity_usd": measured,
            "liquidity_reference_usd": reference_usd,
        }
    stop = index + 1
    bars = frame.bars
    start = max(0, stop - max(baseline_bars, window_bars))
    notional = bars.close[start:stop] * bars.volume[start:stop]
    recent_bars = notional[-window_bars:]
    recent = float(recent_bars.sum()) / len(recent_bars)
    typical = _median(notional[-baseline_bars:])
    if not recent > 0.0:
        score = 0.0
    elif not typical > 0.0:
        score = 1.0
    else:
        score = min(1.0, recent / typical)
    return score, {
        "liquidity_source": "traded_notional",
        "traded_notional_usd": recent,
        "typical_notional_usd": typical,
    }
