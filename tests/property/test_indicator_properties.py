"""Properties of the indicators: the streaming and vectorised forms give the same numbers.

Tolerance (docs/indicators.md): every indicator's two forms agree bit for bit (NaN where the
other is NaN), except the volume profile's bin volumes, which agree to
``|a - b| <= 1e-12 * max(1, |b|)``. Agreement is checked on short generated series and on
5,000-sample random walks far from zero, where a drifting running sum would show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from aiswarm.indicators import (
    AtrStream,
    BollingerStream,
    CrossDetector,
    DonchianStream,
    EmaStream,
    KeltnerStream,
    RsiStream,
    SessionVwapStream,
    SmaStream,
    VolumeBaselineStream,
    VolumeProfileStream,
    VwapStream,
    ZScoreStream,
    atr,
    bollinger,
    crossover,
    donchian,
    ema,
    keltner,
    rolling_zscore,
    rsi,
    session_vwap,
    sma,
    volume_baseline,
    volume_profile,
    vwap,
)
from aiswarm.indicators.rolling_moments import RollingMoments

TOLERANCE = 1e-12
LONG = 5_000

values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
series = st.lists(values, min_size=0, max_size=300)
periods = st.integers(1, 60)
multipliers = st.floats(0.1, 5.0)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def bar_series(draw: st.DrawFn, max_size: int = 200) -> tuple[list[float], ...]:
    """Draw consistent bars: low <= close <= high, volume >= 0."""
    closes = draw(st.lists(st.floats(0.01, 1e6), min_size=0, max_size=max_size))
    n = len(closes)
    below = draw(st.lists(st.floats(0.0, 100.0), min_size=n, max_size=n))
    above = draw(st.lists(st.floats(0.0, 100.0), min_size=n, max_size=n))
    volume = draw(st.lists(st.floats(0.0, 1e4), min_size=n, max_size=n))
    high = [c + a for c, a in zip(closes, above, strict=True)]
    low = [c - b for c, b in zip(closes, below, strict=True)]
    return high, low, closes, volume


def _long_walk(seed: int) -> np.ndarray:
    """Return a 5,000-sample random walk near 60,000, rounded to cents."""
    rng = np.random.default_rng(seed)
    return np.round(60_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, LONG))), 2)


def _long_bars(seed: int) -> tuple[list[float], ...]:
    """Return 5,000 consistent bars around a random walk."""
    rng = np.random.default_rng(seed)
    close = _long_walk(seed)
    high = close + np.abs(rng.normal(0.0, 30.0, LONG))
    low = close - np.abs(rng.normal(0.0, 30.0, LONG))
    volume = np.round(rng.lognormal(2.0, 1.0, LONG), 3)
    return high.tolist(), low.tolist(), close.tolist(), volume.tolist()


def assert_same(streamed: npt.ArrayLike, vectorised: npt.ArrayLike) -> None:
    """Assert bit-for-bit agreement, NaN where the other is NaN."""
    np.testing.assert_array_equal(np.asarray(streamed, dtype=np.float64), vectorised)


def assert_close(streamed: np.ndarray, vectorised: np.ndarray) -> None:
    """Assert ``|a - b| <= 1e-12 * max(1, |b|)`` elementwise."""
    assert streamed.shape == vectorised.shape
    bound = TOLERANCE * np.maximum(1.0, np.abs(vectorised))
    assert (np.abs(streamed - vectorised) <= bound).all()


def _stream(update: Callable[..., Any], *columns: Sequence[float]) -> list[Any]:
    """Feed rows of ``columns`` to ``update`` and collect what it returns."""
    return [update(*row) for row in zip(*columns, strict=True)]


def _check_ema(x: Sequence[float], period: int) -> None:
    stream = EmaStream(period)
    assert_same(_stream(stream.update, x), ema(x, period))


def _check_moment_indicators(x: Sequence[float], period: int, multiplier: float) -> None:
    assert_same(_stream(SmaStream(period).update, x), sma(x, period))
    assert_same(_stream(ZScoreStream(period).update, x), rolling_zscore(x, period))
    assert_same(_stream(RsiStream(period).update, x), rsi(x, period))
    streamed_bands = np.array(_stream(BollingerStream(period, multiplier).update, x))
    for column, line in enumerate(bollinger(x, period, multiplier)):
        assert_same(streamed_bands[:, column] if len(x) else [], line)


def _check_bar_indicators(bars: tuple[list[float], ...], period: int, multiplier: float) -> None:
    high, low, close, volume = bars
    assert_same(_stream(AtrStream(period).update, high, low, close), atr(high, low, close, period))
    assert_same(
        _stream(VwapStream(period).update, high, low, close, volume),
        vwap(high, low, close, volume, period),
    )
    assert_same(
        _stream(SessionVwapStream().update, high, low, close, volume),
        session_vwap(high, low, close, volume),
    )
    baseline = np.array(_stream(VolumeBaselineStream(period).update, volume))
    for column, line in enumerate(volume_baseline(volume, period)):
        assert_same(baseline[:, column] if volume else [], line)
    channel_pairs: list[tuple[Callable[..., Any], tuple[list[float], ...]]] = [
        (KeltnerStream(period, multiplier, period + 1).update, (high, low, close)),
        (DonchianStream(period).update, (high, low)),
    ]
    expected = [
        keltner(high, low, close, period, multiplier, period + 1),
        donchian(high, low, period),
    ]
    for (update, columns), lines in zip(channel_pairs, expected, strict=True):
        streamed = np.array(_stream(update, *columns))
        for column, line in enumerate(lines):
            assert_same(streamed[:, column] if close else [], line)


@given(series, periods)
def test_ema_stream_when_fed_any_series_then_equals_vectorised(x: list[float], period: int) -> None:
    # Act / Assert
    _check_ema(x, period)


@given(st.lists(values, min_size=1, max_size=300), st.integers(1, 500))
def test_ema_when_compared_with_direct_recurrence_then_within_tolerance(
    x: list[float], period: int
) -> None:
    # Arrange: the textbook form, alpha = 2/(n+1), seeded with the first value.
    alpha = 2.0 / (period + 1)
    expected = [x[0]]
    for sample in x[1:]:
        expected.append(alpha * sample + (1.0 - alpha) * expected[-1])

    # Act
    result = ema(x, period)

    # Assert
    scale = max(1.0, max(abs(v) for v in x))
    assert np.abs(result - np.array(expected)).max() <= TOLERANCE * scale


@given(series, periods, multipliers)
def test_moment_indicators_when_streamed_then_equal_vectorised(
    x: list[float], period: int, multiplier: float
) -> None:
    # Act / Assert: SMA, z-score, RSI, Bollinger
    _check_moment_indicators(x, period, multiplier)


@given(bar_series(), periods, multipliers)
def test_bar_indicators_when_streamed_then_equal_vectorised(
    bars: tuple[list[float], ...], period: int, multiplier: float
) -> None:
    # Act / Assert: ATR, VWAP (rolling, session), volume baseline, Keltner, Donchian
    _check_bar_indicators(bars, period, multiplier)


@settings(max_examples=10)
@given(seeds, st.integers(1, 200), multipliers)
def test_every_indicator_over_5000_samples_then_streamed_equals_vectorised_without_drift(
    seed: int, period: int, multiplier: float
) -> None:
    # Arrange
    bars = _long_bars(seed)

    # Act / Assert
    _check_ema(bars[2], period)
    _check_moment_indicators(bars[2], period, multiplier)
    _check_bar_indicators(bars, period, multiplier)


@given(series, series, st.integers(0, 30))
def test_cross_detector_when_fed_any_lines_then_equals_crossover(
    fast: list[float], slow: list[float], warmup_bars: int
) -> None:
    # Arrange
    n = min(len(fast), len(slow))
    fast, slow = fast[:n], slow[:n]
    detector = CrossDetector(warmup_bars=warmup_bars)

    # Act
    streamed = [detector.update(f, s) for f, s in zip(fast, slow, strict=True)]

    # Assert
    assert streamed == crossover(fast, slow, warmup_bars=warmup_bars).tolist()


@given(
    st.lists(st.tuples(st.floats(0.01, 1e5), st.floats(0.0, 1e4)), min_size=1, max_size=300),
    st.integers(1, 80),
    st.floats(0.01, 1e3),
    st.floats(-1e3, 1e3),
)
def test_volume_profile_stream_when_fed_bars_then_equals_vectorised_profile(
    bars: list[tuple[float, float]], period: int, bin_width: float, origin: float
) -> None:
    # Arrange
    price = [p for p, _ in bars]
    volume = [v for _, v in bars]
    stream = VolumeProfileStream(period, bin_width, origin)

    # Act
    for p, v in bars:
        stream.update(p, v)
    streamed = stream.profile()
    expected = volume_profile(price, volume, period, bin_width, origin)

    # Assert: the same bins, the same edges, volumes within tolerance.
    np.testing.assert_array_equal(streamed.edges, expected.edges)
    assert_close(streamed.volumes, expected.volumes)


@settings(max_examples=10)
@given(seeds, st.integers(1, 200))
def test_volume_profile_over_5000_bars_then_streamed_equals_vectorised(
    seed: int, period: int
) -> None:
    # Arrange
    _, _, close, volume = _long_bars(seed)
    stream = VolumeProfileStream(period, 25.0)

    # Act
    for p, v in zip(close, volume, strict=True):
        stream.update(p, v)

    # Assert
    expected = volume_profile(close, volume, period, 25.0)
    np.testing.assert_array_equal(stream.profile().edges, expected.edges)
    assert_close(stream.profile().volumes, expected.volumes)


@settings(max_examples=20)
@given(seeds, st.integers(2, 100), st.floats(1.0, 1e6))
def test_rolling_moments_over_long_walk_far_from_zero_then_mean_and_variance_match_exact(
    seed: int, period: int, level: float
) -> None:
    # Arrange
    rng = np.random.default_rng(seed)
    x = (level + np.cumsum(rng.normal(0.0, 1.0, LONG))).tolist()
    moments = RollingMoments(period)

    # Act / Assert
    for t, sample in enumerate(x):
        moments.push(sample)
        if t < period - 1 or t % 97:
            continue
        window = x[t - period + 1 : t + 1]
        mean = math.fsum(window) / period
        variance = math.fsum((v - mean) ** 2 for v in window) / period
        scale = max(1.0, max(abs(v) for v in window))
        assert abs(moments.mean() - mean) <= TOLERANCE * scale
        # unit steps: the error must not grow with the price level, only with the spread
        assert abs(moments.variance() - variance) <= TOLERANCE * max(1.0, variance)
