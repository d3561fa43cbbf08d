"""Liquidity score: measured depth when the frame has it, traded notional otherwise; never fixed."""

from __future__ import annotations

import numpy as np
import pytest
from _frames import SYMBOL, bars_of, frame_of

from aiswarm.agents.liquidity import liquidity_score


def _score(volume: np.ndarray, index: int, liquidity_usd: float | None = None) -> float:
    bars = bars_of(np.full(len(volume), 100.0), volume=volume)
    frame = frame_of(bars, liquidity_usd=liquidity_usd).symbols[SYMBOL]
    return liquidity_score(frame, index, 20, 500, 1_000_000.0)[0]


def test_score_when_recent_volume_falls_then_score_falls_with_it() -> None:
    # Arrange: 600 bars at volume 10, then the last 20 at 10, 5, 1 in three variants.
    usual = np.full(600, 10.0)
    half = usual.copy()
    half[-20:] = 5.0
    thin = usual.copy()
    thin[-20:] = 1.0

    # Act
    scores = [_score(v, 599) for v in (usual, half, thin)]

    # Assert
    assert scores == pytest.approx([1.0, 0.5, 0.1])


def test_score_when_no_volume_then_zero() -> None:
    # Act
    score = _score(np.zeros(100), 99)

    # Assert
    assert score == 0.0


def test_score_when_depth_measured_then_depth_over_depth_plus_reference() -> None:
    # Arrange
    volume = np.full(100, 10.0)

    # Act
    deep = _score(volume, 99, liquidity_usd=3_000_000.0)
    shallow = _score(volume, 99, liquidity_usd=250_000.0)

    # Assert
    assert deep == pytest.approx(0.75)
    assert shallow == pytest.approx(0.2)


def test_evidence_when_traded_notional_used_then_names_source_and_numbers() -> None:
    # Arrange
    bars = bars_of(np.full(50, 100.0), volume=np.full(50, 2.0))
    frame = frame_of(bars).symbols[SYMBOL]

    # Act
    _, evidence = liquidity_score(frame, 49, 20, 500, 1_000_000.0)

    # Assert
    assert evidence["liquidity_source"] == "traded_notional"
    assert evidence["traded_notional_usd"] == pytest.approx(200.0)
