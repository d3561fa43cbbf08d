"""Specs for the channel indicators: Bollinger, Keltner and Donchian."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiswarm.indicators import (
    BollingerStream,
    DonchianStream,
    KeltnerStream,
    atr,
    bollinger,
    donchian,
    ema,
    keltner,
)


def test_bollinger_of_constant_series_then_zero_width() -> None:
    # Arrange
    values = [60_000.01] * 30

    # Act
    bands = bollinger(values, 20, 2.0)

    # Assert
    assert np.isnan(bands.middle[:19]).all()
    assert (bands.upper[19:] == 60_000.01).all()
    assert (bands.lower[19:] == bands.upper[19:]).all()


def test_bollinger_when_window_is_known_then_uses_population_std() -> None:
    # Arrange: window [2, 4, 4, 4, 5, 5, 7, 9] has mean 5 and population std 2 (ddof 0).
    values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]

    # Act
    bands = bollinger(values, 8, 1.5)

    # Assert
    assert bands.middle[-1] == pytest.approx(5.0, abs=1e-12)
    assert bands.upper[-1] == pytest.approx(8.0, abs=1e-12)
    assert bands.lower[-1] == pytest.approx(2.0, abs=1e-12)


def test_bollinger_stream_when_warming_up_then_nan_bands_and_not_ready() -> None:
    # Arrange
    stream = BollingerStream(3, 2.0)

    # Act
    first = stream.update(1.0)

    # Assert
    assert all(math.isnan(line) for line in first)
    assert not stream.is_ready


@pytest.mark.parametrize("multiplier", [0.0, -1.0, math.nan, math.inf, True])
def test_bollinger_when_multiplier_not_positive_finite_then_value_error(multiplier: float) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=r"multiplier was .*expected a finite number > 0"):
        BollingerStream(20, multiplier)


def test_keltner_when_computed_then_ema_middle_plus_minus_multiple_of_atr() -> None:
    # Arrange
    high = [10.0, 11.0, 12.0, 11.5, 12.5]
    low = [9.0, 9.5, 10.5, 10.0, 11.0]
    close = [9.5, 10.5, 11.5, 10.5, 12.0]

    # Act
    bands = keltner(high, low, close, period=3, multiplier=1.5, atr_period=2)

    # Assert
    middle = ema(close, 3)
    width = 1.5 * atr(high, low, close, 2)
    np.testing.assert_array_equal(bands.middle, middle)
    np.testing.assert_array_equal(bands.upper, middle + width)
    np.testing.assert_array_equal(bands.lower, middle - width)
    assert math.isnan(bands.upper[0])
    assert not math.isnan(bands.middle[0])


def test_keltner_stream_when_atr_ready_then_ready() -> None:
    # Arrange
    stream = KeltnerStream(period=3, multiplier=2.0, atr_period=2)

    # Act
    stream.update(10.0, 9.0, 9.5)
    ready_after_one = stream.is_ready
    lines = stream.update(11.0, 9.5, 10.5)

    # Assert
    assert not ready_after_one
    assert stream.is_ready
    assert lines == stream.value
    assert lines.upper > lines.middle > lines.lower


def test_keltner_when_atr_period_invalid_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="atr_period was 0"):
        KeltnerStream(period=3, atr_period=0)


def test_donchian_when_period_three_then_rolling_max_high_and_min_low() -> None:
    # Arrange
    high = [5.0, 7.0, 6.0, 4.0, 3.0]
    low = [4.0, 5.0, 2.0, 3.0, 2.5]

    # Act
    bands = donchian(high, low, 3)

    # Assert
    np.testing.assert_array_equal(bands.upper, [math.nan, math.nan, 7.0, 7.0, 6.0])
    np.testing.assert_array_equal(bands.lower, [math.nan, math.nan, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(bands.middle, [math.nan, math.nan, 4.5, 4.5, 4.0])


def test_donchian_stream_when_old_extreme_leaves_window_then_next_extreme_takes_over() -> None:
    # Arrange
    stream = DonchianStream(2)

    # Act
    stream.update(9.0, 1.0)
    stream.update(5.0, 3.0)
    lines = stream.update(4.0, 3.5)

    # Assert
    assert lines.upper == 5.0
    assert lines.lower == 3.0
    assert stream.is_ready


def test_donchian_when_series_shorter_than_period_then_all_nan() -> None:
    # Act
    bands = donchian([1.0, 2.0], [0.5, 1.5], 3)

    # Assert
    assert np.isnan(bands.upper).all()
    assert np.isnan(bands.lower).all()
