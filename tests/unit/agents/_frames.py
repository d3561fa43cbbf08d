"""Build market frames for agent tests: seeded series, one symbol, bars at 1-minute spacing."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from aiswarm.agents import Agent
from aiswarm.types import BarSeries, MarketFrame, Signal, Symbol, SymbolFrame, VenueId

SYMBOL = Symbol("BTC/USDT")
T0_NS = 1_704_067_200 * 1_000_000_000  # 2024-01-01T00:00:00Z
MINUTE_NS = 60 * 1_000_000_000
FloatArray = npt.NDArray[np.float64]


def random_walk(
    count: int, seed: int = 42, sigma: float = 0.001, start: float = 100.0
) -> FloatArray:
    """Return ``count`` closes of a seeded geometric random walk."""
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.0, sigma, count)))


def bars_of(
    close: npt.ArrayLike,
    *,
    open_: npt.ArrayLike | None = None,
    volume: npt.ArrayLike | None = None,
    wick_frac: float = 0.001,
) -> BarSeries:
    """Return bars with these closes; opens default to the previous close, volume to 10."""
    closes = np.asarray(close, dtype=np.float64)
    count = len(closes)
    if open_ is None:
        opens = np.concatenate([closes[:1], closes[:-1]])
    else:
        opens = np.asarray(open_, dtype=np.float64)
    volumes = np.full(count, 10.0) if volume is None else np.asarray(volume, dtype=np.float64)
    high = np.maximum(opens, closes) * (1.0 + wick_frac)
    low = np.minimum(opens, closes) * (1.0 - wick_frac)
    ts_ns = T0_NS + np.arange(count, dtype=np.int64) * MINUTE_NS
    return BarSeries(ts_ns, opens, high, low, closes, volumes)


def frame_of(
    bars: BarSeries,
    end: int | None = None,
    *,
    symbol: Symbol = SYMBOL,
    funding_rate: float | None = None,
    liquidity_usd: float | None = None,
) -> MarketFrame:
    """Return a one-symbol frame showing bars ``[0, end)`` (all by default)."""
    valid = len(bars) if end is None else end
    symbol_frame = SymbolFrame(
        venue=VenueId("paper"),
        symbol=symbol,
        interval_s=60,
        bars=bars,
        end=valid,
        liquidity_usd=liquidity_usd,
        funding_rate=funding_rate,
    )
    return MarketFrame(now_ns=T0_NS + valid * MINUTE_NS, symbols={symbol: symbol_frame})


def run_in_steps(agent: Agent, bars: BarSeries, ends: Iterable[int]) -> list[Signal]:
    """Show ``agent`` the bars up to each end in turn and collect every signal."""
    signals: list[Signal] = []
    for end in ends:
        signals.extend(agent.analyze(frame_of(bars, end)))
    return signals
