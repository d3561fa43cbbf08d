"""Specs for the Wilder RSI: seeding, smoothing, the flat and one-way cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiswarm.indicators import RsiStream, rsi


def test_rsi_of_rising_series_then_100_after_warm_up() -> None:
    # Arrange
    values = [float(x) for x in range(1, 21)]

    # Act
    result = rsi(values, 14)

    # Assert
    assert np.isnan(result[:14]).all()
    assert (result[14:] == 100.0).all()


def test_rsi_of_falling_series_then_0() -> None:
    # Act
    result = rsi([5.0, 4.0, 3.0, 2.0, 1.0], 2)

    # Assert
    assert (result[2:] == 0.0).all()


def test_rsi_of_flat_series_then_50() -> None:
    # Act
    result = rsi([7.0] * 6, 3)

    # Assert
    assert (result[3:] == 50.0).all()


def test_rsi_when_seeded_and_smoothed_then_matches_hand_computation() -> None:
    # Arrange: changes +2, -1, +1, -2 with period 2.
    values = [10.0, 12.0, 11.0, 12.0, 10.0]

    # Act
    result = rsi(values, 2)

    # Assert
    # seed at index 2: gains (2+0)/2 = 1, losses (0+1)/2 = 0.5 -> RS 2 -> 66.67
    # index 3: gain (1*1+1)/2 = 1, loss (0.5*1+0)/2 = 0.25 -> RS 4 -> 80
    # index 4: gain (1*1+0)/2 = 0.5, loss (0.25*1+2)/2 = 1.125 -> RS 4/9 -> 30.77
    np.testing.assert_allclose(
        result, [math.nan, math.nan, 200 / 3, 80.0, 100 - 100 / (1 + 4 / 9)], rtol=1e-14
    )


def test_rsi_stream_when_fed_samples_then_equals_vectorised_and_ready_at_period() -> None:
    # Arrange
    values = [10.0, 12.0, 11.0, 12.0, 10.0, 10.5]
    stream = RsiStream(2)

    # Act
    streamed = [stream.update(x) for x in values]

    # Assert
    np.testing.assert_array_equal(streamed, rsi(values, 2))
    assert stream.is_ready
    assert stream.period == 2


def test_rsi_stream_before_period_changes_then_not_ready() -> None:
    # Arrange
    stream = RsiStream(3)

    # Act
    for x in (1.0, 2.0, 3.0):
        stream.update(x)

    # Assert
    assert not stream.is_ready
    assert math.isnan(stream.value)


def test_rsi_when_period_zero_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="period was 0"):
        RsiStream(0)
