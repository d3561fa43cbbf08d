"""Agent invariants over generated markets: signals validate, and batching bars changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aiswarm.agents import Agent
from aiswarm.agents.breakout import BreakoutAgent, BreakoutParams
from aiswarm.agents.ema_cross import EmaCrossAgent, EmaCrossParams
from aiswarm.agents.funding_contrarian import FundingContrarianAgent, FundingContrarianParams
from aiswarm.agents.mean_reversion import MeanReversionAgent, MeanReversionParams
from aiswarm.agents.momentum import MomentumAgent, MomentumParams
from aiswarm.agents.volume_spike import VolumeSpikeAgent, VolumeSpikeParams
from aiswarm.types import AgentId, BarSeries, MarketFrame, Signal, Symbol, SymbolFrame, VenueId

_ID = AgentId("agent")
_SYMBOL = Symbol("BTC/USDT")
_FACTORIES: dict[str, Callable[[], Agent]] = {
    "ema_cross": lambda: EmaCrossAgent(_ID, EmaCrossParams(fast=3, slow=8)),
    "ema_cross_atr": lambda: EmaCrossAgent(
        _ID, EmaCrossParams(fast=3, slow=8, atr_filter=True, atr_period=5, atr_min_frac=0.002)
    ),
    "momentum": lambda: MomentumAgent(_ID, MomentumParams(lookback=5, vol_window=20)),
    "mean_reversion": lambda: MeanReversionAgent(_ID, MeanReversionParams(period=10)),
    "keltner": lambda: BreakoutAgent(_ID, BreakoutParams(period=10)),
    "donchian": lambda: BreakoutAgent(_ID, BreakoutParams(channel="donchian", period=10)),
    "volume_spike": lambda: VolumeSpikeAgent(_ID, VolumeSpikeParams(period=10, threshold=2.0)),
}


def _bars(seed: int, count: int) -> BarSeries:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, count)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, 0.003, count)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, 0.003, count)))
    volume = rng.lognormal(2.0, 1.0, count)
    ts_ns = 1_704_067_200_000_000_000 + np.arange(count, dtype=np.int64) * 60_000_000_000
    return BarSeries(ts_ns, open_, high, low, close, volume)


def _frame(bars: BarSeries, end: int, funding_rate: float | None = None) -> MarketFrame:
    symbol_frame = SymbolFrame(VenueId("paper"), _SYMBOL, 60, bars, end, None, funding_rate)
    return MarketFrame(0, {_SYMBOL: symbol_frame})


def _dump(signals: list[Signal]) -> list[dict[str, object]]:
    return [signal.model_dump() for signal in signals]


@settings(max_examples=40)
@given(
    name=st.sampled_from(sorted(_FACTORIES)),
    seed=st.integers(0, 10_000),
    count=st.integers(1, 400),
    steps=st.lists(st.integers(1, 60), min_size=1, max_size=40),
)
def test_agent_when_bars_arrive_in_random_steps_then_same_signals_as_one_pass(
    name: str, seed: int, count: int, steps: list[int]
) -> None:
    # Arrange
    bars = _bars(seed, count)
    whole = _FACTORIES[name]().analyze(_frame(bars, count))
    stepped_agent = _FACTORIES[name]()
    stepped: list[Signal] = []
    end = 0

    # Act
    for step in [*steps, count]:
        end = min(count, end + step)
        stepped.extend(stepped_agent.analyze(_frame(bars, end)))
        stepped.extend(stepped_agent.analyze(_frame(bars, end)))  # asked twice: nothing new

    # Assert
    assert _dump(stepped) == _dump(whole)


@settings(max_examples=40)
@given(name=st.sampled_from(sorted(_FACTORIES)), seed=st.integers(0, 10_000))
def test_agent_when_signals_emitted_then_every_one_validates(name: str, seed: int) -> None:
    # Arrange
    agent = _FACTORIES[name]()

    # Act
    signals = agent.analyze(_frame(_bars(seed, 600), 600))

    # Assert
    for signal in signals:
        assert agent.validate(signal) == []
        assert 0.0 <= signal.confidence <= 1.0
        assert 0.0 <= signal.liquidity_score <= 1.0


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10_000),
    rates=st.lists(st.floats(-0.001, 0.001, allow_nan=False), min_size=1, max_size=300),
)
def test_funding_contrarian_when_any_rates_then_signals_validate(
    seed: int, rates: list[float]
) -> None:
    # Arrange
    agent = FundingContrarianAgent(_ID, FundingContrarianParams(window=10))
    bars = _bars(seed, len(rates))
    signals: list[Signal] = []

    # Act
    for end, rate in enumerate(rates, start=1):
        signals.extend(agent.analyze(_frame(bars, end, rate)))

    # Assert
    for signal in signals:
        assert agent.validate(signal) == []
        assert 0.0 <= signal.confidence <= 1.0
