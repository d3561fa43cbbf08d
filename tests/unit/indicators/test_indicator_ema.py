"""Specs for the EMA: pandas' adjust=False convention, seeding, and its streaming twin."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiswarm.indicators import EmaStream, ema
from aiswarm.indicators.ema import ema_weights


def _pandas_ewm_adjust_false(values: list[float], span: int) -> list[float]:
    """Transcribe pandas' ``ewma`` kernel (adjust=False, ignore_na=False, min_periods=0)."""
    com = (span - 1) / 2
    alpha = 1.0 / (1.0 + com)
    old_wt_factor = 1.0 - alpha
    new_wt = alpha
    weighted = values[0]
    out = [weighted]
    old_wt = 1.0
    for cur in values[1:]:
        old_wt *= old_wt_factor
        if weighted != cur:
            weighted = ((old_wt * weighted) + (new_wt * cur)) / (old_wt + new_wt)
        old_wt = 1.0
        out.append(weighted)
    return out


def test_ema_of_one_two_three_with_period_two_then_hand_computed_values() -> None:
    # Arrange: alpha = 2/3, so ema = [1, 1/3*1 + 2/3*2, 1/3*(5/3) + 2/3*3].
    values = [1.0, 2.0, 3.0]

    # Act
    result = ema(values, 2)

    # Assert
    np.testing.assert_allclose(result, [1.0, 5.0 / 3.0, 23.0 / 9.0], rtol=1e-15)


def test_ema_first_value_when_computed_then_equals_first_sample_without_warm_up() -> None:
    # Arrange
    values = [100.0, 101.0, 99.0]

    # Act
    result = ema(values, 21)

    # Assert
    assert result[0] == 100.0
    assert not np.isnan(result).any()


def test_ema_when_series_is_random_walk_then_bitwise_equal_to_pandas_kernel() -> None:
    # Arrange
    rng = np.random.default_rng(7)
    values = np.round(60_000 * np.exp(np.cumsum(rng.normal(0, 0.001, 5_000))), 2)

    # Act
    ours = ema(values, 9)
    reference = _pandas_ewm_adjust_false(values.tolist(), 9)

    # Assert
    assert ours.tolist() == reference


def test_ema_weights_when_period_nine_then_alpha_is_two_over_ten() -> None:
    # Act
    alpha, keep, norm = ema_weights(9)

    # Assert
    assert alpha == pytest.approx(0.2, abs=1e-16)
    assert keep == pytest.approx(0.8, abs=1e-16)
    assert norm == pytest.approx(1.0, abs=1e-15)


def test_ema_of_constant_series_then_exactly_constant() -> None:
    # Arrange: 0.1 is not exact in binary; the pandas skip keeps the average bit-exact.
    values = [0.1] * 1_000

    # Act
    result = ema(values, 21)

    # Assert
    assert (result == 0.1).all()


def test_ema_of_empty_series_then_empty() -> None:
    # Act
    result = ema([], 9)

    # Assert
    assert result.shape == (0,)


def test_ema_stream_before_first_update_then_not_ready_and_nan() -> None:
    # Arrange
    stream = EmaStream(9)

    # Act
    ready = stream.is_ready

    # Assert
    assert not ready
    assert math.isnan(stream.value)


def test_ema_stream_when_fed_samples_then_returns_vectorised_values() -> None:
    # Arrange
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    stream = EmaStream(3)

    # Act
    streamed = [stream.update(x) for x in values]

    # Assert
    assert streamed == ema(values, 3).tolist()
    assert stream.is_ready
    assert stream.value == streamed[-1]
    assert isinstance(stream.value, float)


def test_ema_stream_when_fed_numpy_free_floats_then_value_is_python_float() -> None:
    # Arrange: the hot path must stay on Python floats, never numpy scalars.
    stream = EmaStream(9)

    # Act
    stream.update(1.0)
    value = stream.update(2.0)

    # Assert
    assert type(value) is float


@pytest.mark.parametrize("period", [0, -3, 2.5, True, "9", None])
def test_ema_when_period_not_positive_integer_then_value_error_names_it(period: object) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=r"period was .*expected an integer >= 1"):
        EmaStream(period)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="period was"):
        ema([1.0, 2.0], period)  # type: ignore[arg-type]


def test_ema_when_input_has_nan_then_value_error_names_index() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=r"values\[1\] is nan"):
        ema([1.0, math.nan, 2.0], 3)


def test_ema_when_input_is_two_dimensional_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="one-dimensional"):
        ema([[1.0, 2.0]], 3)
