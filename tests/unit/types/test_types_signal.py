"""Signal: floats are fine, but bounded, finite and frozen."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from aiswarm.types import Signal
from kit.builders import signal


@pytest.mark.parametrize("field", ["confidence", "liquidity_score"])
@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan")])
def test_signal_when_score_outside_unit_interval_then_refused(field: str, value: float) -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match=field):
        signal(**{field: value})


def test_signal_when_horizon_not_positive_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="horizon_s"):
        signal(horizon_s=0)


def test_signal_when_ts_event_naive_then_refused_naming_field() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match=r"ts_event=.* has no time zone"):
        signal(ts_event=datetime(2024, 1, 1))


def test_signal_when_evidence_given_then_read_only_copy() -> None:
    # Arrange
    evidence: dict[str, float | int | str] = {"ema_fast": 101.2, "regime": "trend"}

    # Act
    built = signal(evidence=evidence)
    evidence["ema_fast"] = 0.0

    # Assert
    assert built.evidence["ema_fast"] == 101.2
    with pytest.raises(TypeError):
        built.evidence["regime"] = "range"  # type: ignore[index]


def test_signal_when_json_round_trip_then_equal() -> None:
    # Arrange
    built = signal(evidence={"ema_fast": 101.2, "bars": 20, "regime": "trend"})

    # Act
    restored = Signal.model_validate_json(built.model_dump_json())

    # Assert
    assert restored == built
    assert restored.evidence["bars"] == 20
