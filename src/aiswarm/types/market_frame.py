"""Hold what strategy agents see in one cycle: per-symbol bar columns up to now, and context.

Agents run every cycle (every bar in a backtest), so this is columnar and cheap: ``BarSeries``
holds numpy float columns (prices in quote units, volume in base units) and the frame says how
many bars are valid (``end``); an agent reads ``close[:end]`` and keeps its own streaming state
keyed by bar index, so it updates once per new bar however often it is asked. Floats are right
here: indicators and signals are floats by the house rules; money becomes ``Decimal`` only when
an order is sized. Not pydantic, because a backtest builds one frame per bar: the two frames are
named tuples (immutable, and built for a third of a frozen dataclass's cost, which showed in a
backtest's quiet bars), the columns a slotted frozen dataclass. Arrays must be treated as
read-only; an agent that reads past ``end`` is looking ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from aiswarm.types.ids import Symbol, VenueId

if TYPE_CHECKING:
    # Only the annotations name numpy: every room imports this one, and commands that never
    # see a bar (`aiswarm events list`) should not pay numpy's import (docs/performance.md).
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]

__all__ = ["BarSeries", "MarketFrame", "SymbolFrame"]


@dataclass(frozen=True, slots=True)
class BarSeries:
    """Columns of one symbol's bars, oldest first; ``ts_ns`` is each bar's open time (epoch ns)."""

    ts_ns: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return len(self.ts_ns)


class SymbolFrame(NamedTuple):
    """One symbol as of this cycle.

    ``end`` is the number of valid bars in ``bars`` (the latest closed bar is ``end - 1``).
    ``liquidity_usd`` is measured notional the market absorbs near the price (book depth within
    the band, or recent traded notional), None when not measured; ``funding_rate`` is the
    latest perpetual funding rate per period (None for spot); ``spread_bps`` the best
    bid/ask spread in basis points when a book is known.
    """

    venue: VenueId
    symbol: Symbol
    interval_s: int
    bars: BarSeries
    end: int
    liquidity_usd: float | None = None
    funding_rate: float | None = None
    spread_bps: float | None = None

    @property
    def last_close(self) -> float:
        """Return the latest closed bar's close (the frame must hold at least one bar)."""
        return float(self.bars.close[self.end - 1])


class MarketFrame(NamedTuple):
    """Every traded symbol as of ``now_ns`` (epoch ns, UTC): what agents analyse."""

    now_ns: int
    symbols: Mapping[Symbol, SymbolFrame]
