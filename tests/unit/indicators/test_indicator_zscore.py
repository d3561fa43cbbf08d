"""Specs for the rolling z-score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiswarm.indicators import ZScoreStream, rolling_zscore


def test_zscore_when_window_known_then_deviation_over_population_std() -> None:
    # Arrange: window [1, 2, 3] mean 2, population std sqrt(2/3).
    values = [1.0, 2.0, 3.0]

    # Act
    result = rolling_zscore(values, 3)

    # Assert
    assert np.isnan(result[:2]).all()
    assert result[2] == pytest.approx(1.0 / math.sqrt(2.0 / 3.0), rel=1e-14)


def test_zscore_of_flat_window_then_zero() -> None:
    # Act
    result = rolling_zscore([1.0, 5.0, 5.0, 5.0], 3)

    # Assert
    assert result[3] == 0.0


def test_zscore_stream_when_fed_samples_then_equals_vectorised() -> None:
    # Arrange
    values = [1.0, 4.0, 2.0, 8.0, 5.0, 7.0]
    stream = ZScoreStream(3)

    # Act
    streamed = [stream.update(x) for x in values]

    # Assert
    np.testing.assert_array_equal(streamed, rolling_zscore(values, 3))
    assert stream.is_ready
    assert stream.value == streamed[-1]


def test_zscore_when_period_invalid_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="period was 0"):
        rolling_zscore([1.0], 0)
