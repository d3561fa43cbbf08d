"""Specs for the SMA: warm-up NaNs, window means, no drift."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiswarm.indicators import SmaStream, sma


def test_sma_when_period_three_then_first_two_values_nan_and_rest_window_means() -> None:
    # Arrange
    values = [1.0, 2.0, 3.0, 4.0, 5.0]

    # Act
    result = sma(values, 3)

    # Assert
    np.testing.assert_array_equal(result, [math.nan, math.nan, 2.0, 3.0, 4.0])


def test_sma_when_period_one_then_equals_input() -> None:
    # Arrange
    values = [0.1, 0.7, -3.25]

    # Act
    result = sma(values, 1)

    # Assert
    assert result.tolist() == values


def test_sma_when_series_shorter_than_period_then_all_nan() -> None:
    # Act
    result = sma([1.0, 2.0], 5)

    # Assert
    assert np.isnan(result).all()


def test_sma_of_constant_series_then_exactly_the_constant() -> None:
    # Arrange: 0.1 * 3 / 3 is not 0.1 in floats; a flat window still returns 0.1 exactly.
    values = [0.1] * 10

    # Act
    result = sma(values, 3)

    # Assert
    assert (result[2:] == 0.1).all()


def test_sma_over_long_series_with_large_offset_then_matches_exact_window_mean() -> None:
    # Arrange: a naive running sum drifts here; the compensated one does not.
    rng = np.random.default_rng(3)
    values = 1e6 + rng.normal(0.0, 1.0, 20_000)
    period = 50

    # Act
    result = sma(values, period)

    # Assert
    exact = [math.fsum(values[i - period + 1 : i + 1]) / period for i in range(period - 1, 20_000)]
    np.testing.assert_allclose(result[period - 1 :], exact, rtol=1e-15, atol=0)


def test_sma_stream_when_warming_up_then_nan_and_not_ready() -> None:
    # Arrange
    stream = SmaStream(2)

    # Act
    first = stream.update(4.0)
    ready_after_one = stream.is_ready
    second = stream.update(6.0)

    # Assert
    assert math.isnan(first)
    assert not ready_after_one
    assert second == 5.0
    assert stream.is_ready
    assert stream.value == 5.0


@pytest.mark.parametrize("period", [0, -1, 1.0])
def test_sma_when_period_invalid_then_value_error(period: object) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="period was"):
        sma([1.0], period)  # type: ignore[arg-type]
