"""Momentum, mean reversion, breakout, funding contrarian, volume spike: each fires on its event."""

from __future__ import annotations

import numpy as np
import pytest
from _frames import SYMBOL, bars_of, frame_of, random_walk

from aiswarm.agents import Agent
from aiswarm.agents.breakout import BreakoutAgent, BreakoutParams
from aiswarm.agents.funding_contrarian import FundingContrarianAgent, FundingContrarianParams
from aiswarm.agents.mean_reversion import MeanReversionAgent, MeanReversionParams
from aiswarm.agents.momentum import MomentumAgent, MomentumParams
from aiswarm.agents.volume_spike import VolumeSpikeAgent, VolumeSpikeParams
from aiswarm.types import AgentId, Direction, Signal, Symbol

_ID = AgentId("agent")


def _noise_then(tail: list[float], count: int = 300, seed: int = 5) -> np.ndarray:
    """Return ``count`` closes of small noise around 100, then ``tail`` (multiples of 100)."""
    return np.concatenate([random_walk(count, seed=seed, sigma=0.0005), 100.0 * np.array(tail)])


def _directions(signals: list[Signal]) -> list[tuple[int, Direction]]:
    return [(int(s.evidence["bar_index"]), s.direction) for s in signals]


@pytest.mark.parametrize(
    "agent",
    [
        MomentumAgent(_ID, MomentumParams()),
        MeanReversionAgent(_ID, MeanReversionParams()),
        BreakoutAgent(_ID, BreakoutParams(channel="keltner")),
        BreakoutAgent(_ID, BreakoutParams(channel="donchian")),
        VolumeSpikeAgent(_ID, VolumeSpikeParams()),
    ],
    ids=["momentum", "mean_reversion", "keltner", "donchian", "volume_spike"],
)
def test_analyze_when_market_flat_then_no_signal(agent: Agent) -> None:
    # Arrange
    bars = bars_of(np.full(800, 100.0), wick_frac=0.0)

    # Act
    signals = agent.analyze(frame_of(bars))

    # Assert
    assert signals == []


def test_momentum_when_price_ramps_then_long_and_flat_when_it_stalls() -> None:
    # Arrange: a 3% climb over 10 bars, then a long pause.
    ramp = list(np.linspace(1.003, 1.03, 10)) + [1.03] * 60
    bars = bars_of(_noise_then(ramp))

    # Act
    signals = MomentumAgent(_ID, MomentumParams()).analyze(frame_of(bars))

    # Assert
    events = _directions(signals)
    assert events[-2][1] is Direction.LONG
    assert 300 <= events[-2][0] < 310
    assert events[-1][1] is Direction.FLAT
    assert float(signals[-2].evidence["momentum_z"]) >= 2.0


def test_mean_reversion_when_price_dumps_then_long_and_flat_back_at_middle() -> None:
    # Arrange: a 4% fall over 4 bars, then back to 100.
    tail = [0.99, 0.98, 0.97, 0.96] + [1.0] * 10
    bars = bars_of(_noise_then(tail))

    # Act
    signals = MeanReversionAgent(_ID, MeanReversionParams()).analyze(frame_of(bars))

    # Assert
    events = [e for e in _directions(signals) if e[0] >= 300]
    assert events[0][1] is Direction.LONG
    assert events[1][1] is Direction.FLAT
    assert float(signals[-2].evidence["rsi"]) < 30


@pytest.mark.parametrize("channel", ["keltner", "donchian"])
def test_breakout_when_close_jumps_out_of_channel_then_long(channel: str) -> None:
    # Arrange
    bars = bars_of(_noise_then([1.05, 1.06, 1.07]))
    agent = BreakoutAgent(_ID, BreakoutParams.model_validate({"channel": channel}))

    # Act
    signals = agent.analyze(frame_of(bars))

    # Assert
    assert _directions(signals)[-1] == (300, Direction.LONG)


def _funding_run(agent: FundingContrarianAgent, rates: list[float | None]) -> list[Signal]:
    bars = bars_of(random_walk(len(rates), seed=6))
    signals: list[Signal] = []
    for end, rate in enumerate(rates, start=1):
        signals.extend(agent.analyze(frame_of(bars, end, funding_rate=rate)))
    return signals


def test_funding_when_rate_spikes_then_short_and_flat_when_it_normalises() -> None:
    # Arrange: 120 ordinary prints of 0.9-1.1 bp (uniform: |z| < 1.8), one of 10 bp, then more.
    rng = np.random.default_rng(7)
    usual = list(rng.uniform(0.00009, 0.00011, 200))
    rates: list[float | None] = [*usual[:120], 0.001, *usual[120:]]
    agent = FundingContrarianAgent(_ID, FundingContrarianParams())

    # Act
    signals = _funding_run(agent, rates)

    # Assert
    events = _directions(signals)
    assert events[0] == (120, Direction.SHORT)
    assert events[1][1] is Direction.FLAT
    assert float(signals[0].evidence["funding_z"]) >= 2.0


def test_funding_when_symbol_is_spot_then_ignored() -> None:
    # Arrange
    agent = FundingContrarianAgent(_ID, FundingContrarianParams())

    # Act
    signals = _funding_run(agent, [None] * 300)

    # Assert
    assert signals == []


@pytest.mark.parametrize(("body", "expected"), [(0.01, Direction.LONG), (-0.01, Direction.SHORT)])
def test_volume_spike_when_bar_trades_ten_times_usual_then_signal_along_candle(
    body: float, expected: Direction
) -> None:
    # Arrange
    rng = np.random.default_rng(8)
    volume = 10.0 + rng.normal(0.0, 1.0, 200)
    volume[150] = 100.0
    close = np.full(200, 100.0)
    close[150] = 100.0 * (1 + body)
    bars = bars_of(close, open_=np.full(200, 100.0), volume=volume)

    # Act
    signals = VolumeSpikeAgent(_ID, VolumeSpikeParams()).analyze(frame_of(bars))

    # Assert
    assert _directions(signals) == [(150, expected)]
    assert float(signals[0].evidence["volume_z"]) > 3.0


def test_volume_spike_when_baseline_perfectly_flat_then_signal_without_infinite_score() -> None:
    # Arrange
    volume = np.full(100, 10.0)
    volume[80] = 50.0
    close = np.full(100, 100.0)
    close[80] = 101.0
    bars = bars_of(close, open_=np.full(100, 100.0), volume=volume)
    agent = VolumeSpikeAgent(_ID, VolumeSpikeParams())

    # Act
    signals = agent.analyze(frame_of(bars))

    # Assert
    assert _directions(signals) == [(80, Direction.LONG)]
    assert "volume_z" not in signals[0].evidence
    assert agent.validate(signals[0]) == []


def test_symbols_when_configured_then_other_symbols_ignored() -> None:
    # Arrange
    bars = bars_of(_noise_then([1.05, 1.06]))
    agent = BreakoutAgent(_ID, BreakoutParams(), symbols=(Symbol("ETH/USDT"),))

    # Act
    signals = agent.analyze(frame_of(bars, symbol=SYMBOL))

    # Assert
    assert signals == []
