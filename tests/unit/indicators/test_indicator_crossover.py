"""Specs for crossover detection, including the EMA(9/21) benchmark's pandas signal counts."""

from __future__ import annotations

import numpy as np
import pytest

from aiswarm.indicators import CrossDetector, crossover, ema


def test_crossover_when_fast_rises_above_then_falls_to_tie_then_up_and_down() -> None:
    # Arrange: above = [F, T, F(tie), F, T]
    fast = [1.0, 2.0, 1.5, 1.0, 2.0]
    slow = [1.5, 1.5, 1.5, 1.5, 1.0]

    # Act
    signals = crossover(fast, slow)

    # Assert
    assert signals.tolist() == [0, 1, -1, 0, 1]


def test_crossover_when_lines_touch_from_below_then_no_signal() -> None:
    # Act
    signals = crossover([1.0, 2.0, 1.0], [2.0, 2.0, 2.0])

    # Assert: fast <= slow throughout, never strictly above.
    assert signals.tolist() == [0, 0, 0]


def test_crossover_when_warmup_bars_set_then_earlier_bars_silent() -> None:
    # Arrange
    fast = [0.0, 1.0, 0.0, 1.0]
    slow = [0.5, 0.5, 0.5, 0.5]

    # Act
    signals = crossover(fast, slow, warmup_bars=3)

    # Assert: bar 3 is compared with bar 2.
    assert signals.tolist() == [0, 0, 0, 1]


def test_cross_detector_when_fed_lines_then_equals_vectorised() -> None:
    # Arrange
    fast = [0.0, 1.0, 0.0, 1.0, 1.0, 0.5, 0.2]
    slow = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    detector = CrossDetector(warmup_bars=2)

    # Act
    streamed = [detector.update(f, s) for f, s in zip(fast, slow, strict=True)]

    # Assert
    assert streamed == crossover(fast, slow, warmup_bars=2).tolist()
    assert detector.is_ready
    assert detector.value == 0


def test_cross_detector_before_second_bar_then_not_ready() -> None:
    # Arrange
    detector = CrossDetector()

    # Act
    first = detector.update(2.0, 1.0)

    # Assert
    assert first == 0
    assert detector.is_ready


@pytest.mark.parametrize("warmup_bars", [-1, 1.5, True])
def test_crossover_when_warmup_invalid_then_value_error(warmup_bars: object) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="warmup_bars was"):
        CrossDetector(warmup_bars=warmup_bars)  # type: ignore[arg-type]


def test_crossover_when_shapes_differ_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="same length"):
        crossover([1.0, 2.0], [1.0])


def _benchmark_closes(bars: int, seed: int) -> np.ndarray:
    """Return the closes of bench/gen_bars.py (its first draw is the log returns)."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, 0.001, bars)
    return np.round(60_000.0 * np.exp(np.cumsum(returns)), 2)


def test_ema_cross_on_benchmark_bars_then_reproduces_pandas_signal_counts() -> None:
    # Arrange: bench/BENCHMARKS.md: 500,000 bars, seed 42, pandas gives 11,581 buys and sells.
    closes = _benchmark_closes(500_000, 42)
    signals = crossover(ema(closes, 9), ema(closes, 21), warmup_bars=21)

    # Act: long only, buy a cross up while flat, sell a cross down while long.
    buys = sells = 0
    long = False
    for signal in signals[signals != 0].tolist():
        if signal == 1 and not long:
            buys, long = buys + 1, True
        elif signal == -1 and long:
            sells, long = sells + 1, False

    # Assert
    assert (buys, sells) == (11_581, 11_581)
