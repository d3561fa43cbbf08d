"""Realised edge: outcomes settle at the horizon or the next opposite signal; sums by hand."""

from __future__ import annotations

import numpy as np
import pytest

from aiswarm.agents.edge import EdgeTracker
from aiswarm.types import Direction


def test_estimate_when_no_outcomes_then_prior_half_and_zero_return() -> None:
    # Act
    estimate = EdgeTracker(horizon_bars=5, prior_samples=10).estimate()

    # Assert
    assert (estimate.samples, estimate.confidence, estimate.expected_return) == (0, 0.5, 0.0)
    assert estimate.payoff_ratio is None
    assert "edge_basis" in estimate.evidence()


def test_estimate_when_three_outcomes_then_shrunk_mean_beta_win_rate_and_payoff() -> None:
    # Arrange
    tracker = EdgeTracker(horizon_bars=5, prior_samples=10)
    for outcome in (0.02, -0.01, 0.03):
        tracker.add_outcome(outcome)

    # Act
    estimate = tracker.estimate()

    # Assert: mean 0.04/3, shrunk by 3/(3+10); win rate (2+1)/(3+2); payoff 0.025/0.01.
    assert estimate.samples == 3
    assert estimate.wins == 2
    assert estimate.losses == 1
    assert estimate.expected_return == pytest.approx(3 / 13 * 0.04 / 3)
    assert estimate.confidence == pytest.approx(0.6)
    assert estimate.avg_win == pytest.approx(0.025)
    assert estimate.avg_loss == pytest.approx(0.01)
    assert estimate.payoff_ratio == pytest.approx(2.5)
    assert estimate.evidence()["payoff_ratio"] == pytest.approx(2.5)


def test_observe_when_opposite_signal_then_open_trial_settles_at_its_close() -> None:
    # Arrange
    closes = np.array([100.0, 110.0, 99.0, 121.0, 121.0])
    tracker = EdgeTracker(horizon_bars=2, prior_samples=0)
    tracker.observe(0, closes, Direction.LONG)

    # Act: SHORT at bar 1 settles the LONG at 110 (+10%) before its horizon (bar 2).
    estimate = tracker.observe(1, closes, Direction.SHORT)

    # Assert
    assert estimate.samples == 1
    assert estimate.mean_return == pytest.approx(0.10)
    assert estimate.confidence == pytest.approx(2 / 3)


def test_observe_when_horizon_passed_then_trial_settles_at_horizon_close() -> None:
    # Arrange: SHORT at 110 (bar 1), horizon 2 -> settles at bar 3's 121: a 10% loss.
    closes = np.array([100.0, 110.0, 99.0, 121.0, 130.0])
    tracker = EdgeTracker(horizon_bars=2, prior_samples=0)
    tracker.observe(0, closes, Direction.LONG)
    tracker.observe(1, closes, Direction.SHORT)

    # Act: a later SHORT does not settle the SHORT early, but its horizon has passed.
    estimate = tracker.observe(4, closes, Direction.SHORT)

    # Assert
    assert estimate.samples == 2
    assert estimate.losses == 1
    assert estimate.avg_loss == pytest.approx(0.10)
    assert estimate.payoff_ratio == pytest.approx(1.0)
    assert estimate.expected_return == pytest.approx(0.0)


def test_observe_when_flat_then_no_trial_opens() -> None:
    # Arrange
    closes = np.linspace(100.0, 120.0, 50)
    tracker = EdgeTracker(horizon_bars=2, prior_samples=0)
    tracker.observe(0, closes, Direction.FLAT)

    # Act
    estimate = tracker.observe(40, closes, Direction.FLAT)

    # Assert
    assert estimate.samples == 0


def test_tracker_when_horizon_zero_then_refused_naming_it() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="horizon_bars was 0"):
        EdgeTracker(horizon_bars=0, prior_samples=10)
