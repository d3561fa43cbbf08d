"""Market state: each symbol's bars so far, appended as market events arrive.

Agents read a ``BarSeries`` and an ``end`` (how many bars are valid). Here each symbol's series
grows by one bar per ``Bar`` event: the columns are numpy arrays with spare room, doubled when
full, so an append costs O(1) amortised and every bar keeps its index for good (agents key their
streaming state by index). A backtest may instead *preload* a symbol's whole file: the columns
are the file's arrays and a ``BarClosed`` event only moves ``end`` on, which must go one bar at a
time. Either way the numbers agents, marks and liquidity see are the same: a decimal bar becomes
the float its text parses to, and traded notional is summed bar by bar in the same order.

A mark is the latest closed bar's exact close (``Decimal``); the data is as fresh as that
bar's close, not as the moment someone looked at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from aiswarm.market.bar_arrays import BarArrays
from aiswarm.types import Bar, BarSeries, MarketFrame, Symbol, SymbolFrame, VenueId

__all__ = ["BarClosed", "MarketEvent", "MarketState", "SymbolSeries"]

_NS = 1_000_000_000
Column = npt.NDArray[np.float64] | npt.NDArray[np.int64]
_FIRST_CAPACITY = 1024


class BarClosed(NamedTuple):
    """A market event for a preloaded series: bar number ``bar_index`` of ``symbol`` has closed.

    A named tuple: a backtest builds one per bar.
    """

    symbol: Symbol
    bar_index: int


MarketEvent = Bar | BarClosed
"""What a driver feeds a trading engine: a new bar (live and replay feeds) or, in a backtest
that preloaded its file, the index of the bar that just closed."""


class SymbolSeries:
    """One symbol's bars in columns; ``end`` of them are valid. See the module docstring."""

    def __init__(
        self,
        venue: VenueId,
        symbol: Symbol,
        interval_s: int,
        *,
        liquidity_window: int = 60,
        preloaded: BarArrays | None = None,
    ) -> None:
        self.venue = venue
        self.symbol = symbol
        self.interval_s = interval_s
        self.end = 0
        self._window = liquidity_window
        self._preloaded = preloaded
        self._preloaded_count = 0 if preloaded is None else len(preloaded)
        self._columns: list[Column]
        if preloaded is not None:
            self._columns = [
                preloaded.ts_ns,
                preloaded.open,
                preloaded.high,
                preloaded.low,
                preloaded.close,
                preloaded.volume,
            ]
            self._price_quantum = Decimal(1).scaleb(-preloaded.price_decimals)
            notional = np.cumsum(preloaded.close * preloaded.volume)
            self._cum_notional: list[float] = notional.tolist()
        else:
            self._columns = _empty_columns(_FIRST_CAPACITY)
            self._cum_notional = []
        self._exact_close: list[Decimal] = []
        self._latest: tuple[int, Decimal | None] = (0, None)
        self.series = _series(self._columns)

    def append(self, bar: Bar) -> int:
        """Append ``bar`` (the next one in time); return its index."""
        if self._preloaded is not None:
            raise ValueError(
                f"{self.symbol} is preloaded from a file; feed it BarClosed events, not bars"
            )
        if bar.interval_s != self.interval_s or bar.symbol != self.symbol:
            raise ValueError(
                f"bar {bar.symbol}@{bar.ts_ns} every {bar.interval_s}s fed to the "
                f"{self.symbol} series of {self.interval_s}s bars: route each feed to its series"
            )
        index = self.end
        if index and bar.ts_ns <= int(self._columns[0][index - 1]):
            raise ValueError(
                f"bar {bar.symbol}@{bar.ts_ns} is not after the last bar "
                f"@{int(self._columns[0][index - 1])}: feed bars once each, in time order"
            )
        if index == len(self._columns[0]):
            self._grow()
        ts, opens, highs, lows, closes, volumes = self._columns
        ts[index] = bar.ts_ns
        opens[index] = float(bar.open)
        highs[index] = float(bar.high)
        lows[index] = float(bar.low)
        closes[index] = close = float(bar.close)
        volumes[index] = volume = float(bar.volume)
        previous = self._cum_notional[-1] if self._cum_notional else 0.0
        self._cum_notional.append(previous + close * volume)
        self._exact_close.append(bar.close)
        self.end = index + 1
        return index

    def advance(self, index: int) -> None:
        """Mark preloaded bar ``index`` closed; it must be the next one."""
        if self._preloaded is None:
            raise ValueError(f"{self.symbol} is not preloaded; feed it bars")
        if index != self.end:
            raise ValueError(
                f"{self.symbol}: bar {index} closed but bar {self.end} is next; "
                "a replay must not skip or repeat a bar"
            )
        if index >= self._preloaded_count:
            raise ValueError(f"{self.symbol} has {self._preloaded_count} bars; no bar {index}")
        self.end = index + 1

    def bar_at(self, index: int) -> Bar:
        """Return preloaded bar ``index`` as the exact ``Bar`` the file holds.

        An appended series keeps only floats and exact closes: whoever appended a bar already
        holds it exactly (the engine shows the venue the event's own bar).
        """
        if self._preloaded is None:
            raise ValueError(f"{self.symbol} keeps no exact bars; use the bar event itself")
        return self._preloaded.bar_at(index)

    def close_at(self, index: int) -> Decimal:
        """Return bar ``index``'s exact close: what the position is marked at."""
        if self._preloaded is not None:
            # The file's text had at most price_decimals places and at most 15 significant
            # digits, so the shortest repr of its float, quantized, is that text exactly.
            value = float(self._preloaded.close[index])
            return Decimal(repr(value)).quantize(self._price_quantum)
        return self._exact_close[index]

    def latest_close(self) -> Decimal | None:
        """Return the newest closed bar's exact close (None before the first), built once."""
        end = self.end
        cached = self._latest
        if cached[0] != end:
            cached = self._latest = (end, self.close_at(end - 1))
        return cached[1]

    def liquidity_at(self, index: int) -> float:
        """Return the traded notional (quote units) over the window ending at bar ``index``."""
        cum = self._cum_notional
        earlier = cum[index - self._window] if index >= self._window else 0.0
        return cum[index] - earlier

    def frame(self) -> SymbolFrame:
        """Return what agents see of this symbol now."""
        return SymbolFrame(self.venue, self.symbol, self.interval_s, self.series, self.end)

    def _grow(self) -> None:
        size = len(self._columns[0])
        bigger = _empty_columns(size * 2)
        for old, new in zip(self._columns, bigger, strict=True):
            new[:size] = old
        self._columns = bigger
        self.series = _series(bigger)


class MarketState:
    """Every traded symbol's series for one engine; see the module docstring."""

    def __init__(self) -> None:
        self._series: dict[Symbol, SymbolSeries] = {}

    def add(self, series: SymbolSeries) -> None:
        """Track ``series`` (one per symbol)."""
        if series.symbol in self._series:
            raise ValueError(f"market state already tracks {series.symbol}")
        self._series[series.symbol] = series

    def __getitem__(self, symbol: Symbol) -> SymbolSeries:
        return self._series[symbol]

    def __iter__(self) -> Iterator[SymbolSeries]:
        return iter(self._series.values())

    @property
    def symbols(self) -> list[Symbol]:
        """Return the tracked symbols, in the order they were added."""
        return list(self._series)

    def apply(self, event: MarketEvent) -> tuple[SymbolSeries, int]:
        """Take one market event in; return the series it touched and the bar's index."""
        if isinstance(event, BarClosed):
            series = self._series[event.symbol]
            series.advance(event.bar_index)
            return series, event.bar_index
        found = self._series.get(event.symbol)
        if found is None:
            raise ValueError(f"bar for {event.symbol}, which this engine does not trade")
        return found, found.append(event)

    def frame(self, now_ns: int) -> MarketFrame:
        """Return every symbol with at least one closed bar, as of ``now_ns``."""
        return MarketFrame(
            now_ns, {symbol: s.frame() for symbol, s in self._series.items() if s.end > 0}
        )

    def latest_close(self, symbol: Symbol) -> Decimal | None:
        """Return ``symbol``'s latest closed bar's exact close, None before its first bar."""
        series = self._series.get(symbol)
        return None if series is None else series.latest_close()


def _empty_columns(size: int) -> list[Column]:
    return [np.zeros(size, dtype=np.int64)] + [np.zeros(size) for _ in range(5)]


def _series(columns: list[Column]) -> BarSeries:
    ts, opens, highs, lows, closes, volumes = columns
    return BarSeries(ts, opens, highs, lows, closes, volumes)  # type: ignore[arg-type]
