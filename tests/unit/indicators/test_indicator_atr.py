"""Specs for true range and the Wilder ATR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiswarm.indicators import AtrStream, atr, true_range

HIGH = [2.0, 3.0, 4.0, 3.5]
LOW = [1.0, 1.0, 2.0, 1.0]
CLOSE = [1.5, 2.0, 3.0, 1.2]


def test_true_range_when_gap_from_previous_close_then_uses_the_gap() -> None:
    # Arrange: bar 1 closes at 1.0 then bar 2 trades 3..4, a gap of 3 from the close.
    high = [2.0, 2.0, 4.0]
    low = [1.0, 1.0, 3.0]
    close = [1.5, 1.0, 3.5]

    # Act
    result = true_range(high, low, close)

    # Assert
    assert result.tolist() == [1.0, 1.0, 3.0]


def test_atr_first_value_when_period_two_then_mean_of_first_two_true_ranges() -> None:
    # Act
    result = atr(HIGH, LOW, CLOSE, 2)

    # Assert: TR = [1, 2, 2, 2.5]; seed (1+2)/2, then (1.5+2)/2, (1.75+2.5)/2.
    np.testing.assert_array_equal(result, [math.nan, 1.5, 1.75, 2.125])


def test_atr_stream_when_fed_bars_then_equals_vectorised() -> None:
    # Arrange
    stream = AtrStream(2)

    # Act
    streamed = [stream.update(h, lo, c) for h, lo, c in zip(HIGH, LOW, CLOSE, strict=True)]

    # Assert
    np.testing.assert_array_equal(streamed, atr(HIGH, LOW, CLOSE, 2))
    assert stream.is_ready
    assert stream.value == 2.125


def test_atr_stream_before_period_bars_then_not_ready() -> None:
    # Arrange
    stream = AtrStream(3)

    # Act
    value = stream.update(2.0, 1.0, 1.5)

    # Assert
    assert math.isnan(value)
    assert not stream.is_ready


def test_atr_when_series_lengths_differ_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="low has 2 values; expected 3"):
        atr([1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0, 3.0], 2)


def test_atr_when_period_invalid_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="period was -2"):
        AtrStream(-2)
