"""Regime detection: a real Markov switching fit, refitted on schedule, warnings kept in hand."""

from __future__ import annotations

import numpy as np
from _frames import SYMBOL, bars_of, frame_of, run_in_steps

from aiswarm.agents.regime import RegimeAgent, RegimeDetector, RegimeParams
from aiswarm.types import AgentId, Direction


def _calm_then_volatile(seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    returns = np.concatenate([rng.normal(0.0, 0.001, 300), rng.normal(0.0, 0.01, 300)])
    closes: np.ndarray = 100.0 * np.exp(np.cumsum(returns))
    return closes


def test_detector_when_variance_switches_then_later_part_is_volatile() -> None:
    # Arrange
    detector = RegimeDetector(RegimeParams())
    frame = frame_of(bars_of(_calm_then_volatile())).symbols[SYMBOL]

    # Act
    detector.advance(frame)
    state = detector.current(SYMBOL)

    # Assert
    assert state is not None
    assert state.label == "volatile"
    assert state.probability > 0.9
    assert state.volatile_sigma > 5 * state.calm_sigma
    assert state.bar_index == 599


def test_detector_when_600_bars_then_fits_at_200_and_440_only() -> None:
    # Arrange: first fit at min_fit_bars=200, then every refit_every=240 bars.
    detector = RegimeDetector(RegimeParams())
    bars = bars_of(_calm_then_volatile())

    # Act
    for end in (150, 201, 439, 441, 600):
        detector.advance(frame_of(bars, end).symbols[SYMBOL])

    # Assert
    assert detector.fits(SYMBOL) == 2
    state = detector.current(SYMBOL)
    assert state is not None
    assert state.fitted_at == 440


def test_detector_before_first_fit_then_no_regime() -> None:
    # Arrange
    detector = RegimeDetector(RegimeParams())

    # Act
    detector.advance(frame_of(bars_of(_calm_then_volatile()), 150).symbols[SYMBOL])

    # Assert
    assert detector.current(SYMBOL) is None
    assert detector.fits(SYMBOL) == 0


def test_detector_when_prices_never_move_then_fit_skipped_with_reason() -> None:
    # Arrange
    detector = RegimeDetector(RegimeParams())

    # Act
    detector.advance(frame_of(bars_of(np.full(300, 100.0))).symbols[SYMBOL])

    # Assert
    assert detector.fits(SYMBOL) == 1
    assert detector.current(SYMBOL) is None


def test_detector_when_fit_fails_later_then_previous_regime_kept_and_reason_recorded() -> None:
    # Arrange: a clean fit at 200, then prices freeze for the whole window of the fit at 440.
    close = np.concatenate([_calm_then_volatile()[:200], np.full(400, 50.0)])
    params = RegimeParams(window_bars=200, min_fit_bars=200, refit_every=240)
    detector = RegimeDetector(params)

    # Act
    detector.advance(frame_of(bars_of(close)).symbols[SYMBOL])
    state = detector.current(SYMBOL)

    # Assert
    assert state is not None
    assert state.fits == 2
    assert state.fitted_at == 200
    assert "fit at bar 440 skipped: prices did not move" in state.note


def test_agent_when_regime_changes_then_flat_signal_with_regime_evidence_validates() -> None:
    # Arrange
    agent = RegimeAgent(AgentId("regime"), RegimeParams())

    # Act
    signals = agent.analyze(frame_of(bars_of(_calm_then_volatile())))

    # Assert
    assert signals
    assert signals[-1].evidence["regime"] == "volatile"
    assert all(s.direction is Direction.FLAT and s.expected_return == 0.0 for s in signals)
    assert all(agent.validate(s) == [] for s in signals)
    assert signals[-1].confidence == signals[-1].evidence["regime_probability"]


def test_agent_when_bars_arrive_in_steps_then_same_signals_as_all_at_once() -> None:
    # Arrange
    bars = bars_of(_calm_then_volatile())
    whole = RegimeAgent(AgentId("regime"), RegimeParams()).analyze(frame_of(bars))

    # Act
    stepped = run_in_steps(
        RegimeAgent(AgentId("regime"), RegimeParams()), bars, [10, 200, 201, 350, 441, 599, 600]
    )

    # Assert
    assert [s.model_dump() for s in stepped] == [s.model_dump() for s in whole]


def test_agent_when_publishing_every_cycle_then_each_new_cycle_carries_regime() -> None:
    # Arrange
    agent = RegimeAgent(AgentId("regime"), RegimeParams(publish="every_cycle"))
    bars = bars_of(_calm_then_volatile())
    agent.analyze(frame_of(bars, 590))

    # Act
    per_cycle = [agent.analyze(frame_of(bars, end)) for end in (591, 592, 592, 600)]

    # Assert
    assert [len(signals) for signals in per_cycle] == [1, 1, 0, 1]
    assert [s[0].evidence["bar_index"] for s in per_cycle if s] == [590, 591, 599]
    assert all(s[0].evidence["regime"] == "volatile" for s in per_cycle if s)
