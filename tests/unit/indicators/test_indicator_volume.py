"""Specs for the volume indicators: VWAP (rolling and session), volume profile, baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiswarm.indicators import (
    SessionVwapStream,
    VolumeBaselineStream,
    VolumeProfileStream,
    VwapStream,
    point_of_control,
    session_vwap,
    typical_price,
    volume_baseline,
    volume_profile,
    vwap,
)

HIGH = [3.0, 6.0, 9.0]
LOW = [0.0, 3.0, 6.0]
CLOSE = [3.0, 6.0, 9.0]  # typical prices 2, 5, 8
VOLUME = [1.0, 2.0, 3.0]


def test_typical_price_then_mean_of_high_low_close() -> None:
    # Act
    result = typical_price(HIGH, LOW, CLOSE)

    # Assert
    assert result.tolist() == [2.0, 5.0, 8.0]


def test_vwap_when_period_two_then_volume_weighted_typical_price_of_window() -> None:
    # Act
    result = vwap(HIGH, LOW, CLOSE, VOLUME, 2)

    # Assert: (2*1 + 5*2)/3 = 4, (5*2 + 8*3)/5 = 6.8
    np.testing.assert_allclose(result, [math.nan, 4.0, 6.8], rtol=1e-15)


def test_vwap_when_window_has_no_volume_then_nan() -> None:
    # Act
    result = vwap(HIGH, LOW, CLOSE, [0.0, 0.0, 1.0], 2)

    # Assert
    assert math.isnan(result[1])
    assert result[2] == 8.0


def test_session_vwap_when_new_session_flagged_then_restarts() -> None:
    # Act
    result = session_vwap(HIGH, LOW, CLOSE, VOLUME, new_session=[False, False, True])

    # Assert: cumulative (2 + 10)/3 = 4 on bar 1; bar 2 opens a session: 8.
    np.testing.assert_allclose(result, [2.0, 4.0, 8.0], rtol=1e-15)


def test_session_vwap_when_flags_have_wrong_length_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="new_session has shape"):
        session_vwap(HIGH, LOW, CLOSE, VOLUME, new_session=[True])


def test_vwap_streams_when_fed_bars_then_equal_vectorised_forms() -> None:
    # Arrange
    rolling = VwapStream(2)
    session = SessionVwapStream()

    # Act
    rolled = [rolling.update(*bar) for bar in zip(HIGH, LOW, CLOSE, VOLUME, strict=True)]
    cumulated = [session.update(*bar) for bar in zip(HIGH, LOW, CLOSE, VOLUME, strict=True)]

    # Assert
    np.testing.assert_array_equal(rolled, vwap(HIGH, LOW, CLOSE, VOLUME, 2))
    np.testing.assert_array_equal(cumulated, session_vwap(HIGH, LOW, CLOSE, VOLUME))
    assert rolling.is_ready
    assert session.is_ready


def test_session_vwap_stream_when_reset_then_not_ready() -> None:
    # Arrange
    session = SessionVwapStream()
    session.update(2.0, 1.0, 1.5, 10.0)

    # Act
    session.reset()

    # Assert
    assert not session.is_ready
    assert math.isnan(session.value)


def test_volume_profile_when_bars_fall_in_bins_then_volume_per_bin_over_window() -> None:
    # Arrange: only the last three bars count; bins of width 1 from origin 0.
    price = [50.0, 10.2, 11.5, 10.7, 13.1]
    volume = [99.0, 1.0, 2.0, 3.0, 4.0]

    # Act
    profile = volume_profile(price, volume, 3, bin_width=1.0)

    # Assert
    assert profile.edges.tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert profile.volumes.tolist() == [3.0, 2.0, 0.0, 4.0]
    assert point_of_control(profile) == 13.5


def test_volume_profile_when_price_on_edge_then_goes_to_upper_bin() -> None:
    # Act
    profile = volume_profile([10.0, 12.0], [1.0, 1.0], 2, bin_width=2.0, origin=0.0)

    # Assert: bins are half-open [lo, hi).
    assert profile.edges.tolist() == [10.0, 12.0, 14.0]
    assert profile.volumes.tolist() == [1.0, 1.0]


def test_volume_profile_stream_when_bar_leaves_window_then_its_bin_is_dropped() -> None:
    # Arrange
    stream = VolumeProfileStream(2, bin_width=1.0)

    # Act
    stream.update(20.5, 0.1)
    stream.update(10.5, 0.2)
    value = stream.update(10.7, 0.3)

    # Assert
    assert value == pytest.approx(0.5, abs=1e-15)
    assert stream.profile().edges.tolist() == [10.0, 11.0]
    assert stream.is_ready


def test_volume_profile_of_nothing_then_empty_and_no_point_of_control() -> None:
    # Act
    profile = VolumeProfileStream(3, bin_width=1.0).profile()

    # Assert
    assert len(profile.volumes) == 0
    assert math.isnan(point_of_control(profile))


def test_volume_profile_when_bin_width_not_positive_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=r"bin_width was 0\.0"):
        VolumeProfileStream(5, bin_width=0.0)


def test_volume_profile_when_origin_not_finite_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="origin was nan"):
        volume_profile([1.0], [1.0], 1, bin_width=1.0, origin=math.nan)


def test_volume_baseline_when_spike_then_scored_against_previous_bars_only() -> None:
    # Arrange: baseline of [1, 3] is mean 2, population std 1.
    volume = [1.0, 3.0, 5.0]

    # Act
    baseline = volume_baseline(volume, 2)

    # Assert
    assert np.isnan(baseline.score[:2]).all()
    assert baseline.mean[2] == 2.0
    assert baseline.std[2] == 1.0
    assert baseline.score[2] == 3.0


def test_volume_baseline_when_flat_then_spike_scores_infinity_and_match_scores_zero() -> None:
    # Arrange
    stream = VolumeBaselineStream(3)
    for v in (2.0, 2.0, 2.0):
        stream.update(v)

    # Act
    spike = stream.update(10.0).score
    ready = stream.is_ready

    # Assert
    assert spike == math.inf
    assert ready
    assert volume_baseline([2.0, 2.0, 2.0, 2.0], 3).score[3] == 0.0
