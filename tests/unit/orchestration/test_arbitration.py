"""Specs for arbitration: scores, filters, conflict rules, FLAT, no-edge agreement, weights."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from aiswarm.orchestration.arbitration import (
    MAX_ADAPTIVE_MULTIPLIER,
    AgentWeights,
    ArbitrationConfig,
    ArbitrationDecision,
    ConflictRule,
    FilterReason,
    arbitrate,
)
from aiswarm.types import AgentId, Direction, Signal, Symbol
from kit.builders import SYMBOL, T0, signal

TREND = AgentId("trend")
MEAN = AgentId("mean")
REGIME = AgentId("regime")


def _vote(agent: AgentId, direction: Direction, **overrides: Any) -> Signal:
    """Return a signal from ``agent``: confidence 1, liquidity 1, so score = weight x return."""
    fields: dict[str, Any] = {
        "agent_id": agent,
        "direction": direction,
        "confidence": 1.0,
        "expected_return": 0.01,
        "liquidity_score": 1.0,
    }
    return signal(**(fields | overrides))


def _decide(signals: list[Signal], **config: Any) -> ArbitrationDecision:
    """Return the decision on SYMBOL under a config built from ``config``."""
    settings = ArbitrationConfig(**config)
    return arbitrate(signals, AgentWeights(settings), settings)[SYMBOL]


# Score formula and sign convention


def test_score_when_long_then_weight_times_confidence_times_return_times_liquidity() -> None:
    # Arrange: 2 x 0.5 x 0.02 x 0.8 = 0.016
    long = signal(agent_id=TREND, confidence=0.5, expected_return=0.02, liquidity_score=0.8)

    # Act
    decision = _decide([long], weights={TREND: 2.0})

    # Assert
    assert decision.direction is Direction.LONG
    assert decision.score == pytest.approx(0.016)
    assert decision.contributions[0].score == pytest.approx(0.016)
    assert decision.contributions[0].weight == 2.0
    assert decision.winning_signal is long


def test_score_when_short_expects_a_fall_then_negative_of_the_formula() -> None:
    # Arrange: a SHORT's expected_return is the gain of being short: positive expects a fall
    short = signal(
        agent_id=TREND,
        direction=Direction.SHORT,
        confidence=0.5,
        expected_return=0.02,
        liquidity_score=0.8,
    )

    # Act
    decision = _decide([short], weights={TREND: 2.0})

    # Assert
    assert decision.direction is Direction.SHORT
    assert decision.score == pytest.approx(-0.016)


def test_score_when_expected_return_negative_then_no_edge_and_direction_kept() -> None:
    # Arrange: the agent expects to lose on its own call
    losing = _vote(TREND, Direction.LONG, expected_return=-0.02)

    # Act
    decision = _decide([losing])

    # Assert: it never votes for the other side
    assert decision.contributions[0].score == 0.0
    assert decision.direction is Direction.LONG
    assert decision.score == 0.0


# Minimum confidence


def test_min_confidence_when_signal_below_then_filtered_and_recorded_with_numbers() -> None:
    # Arrange
    doubtful = _vote(TREND, Direction.LONG, confidence=0.3)

    # Act
    decision = _decide([doubtful], min_confidence=0.5)

    # Assert
    assert decision.direction is None
    assert decision.contributions == ()
    assert len(decision.filtered) == 1
    assert decision.filtered[0].signal is doubtful
    assert decision.filtered[0].reason is FilterReason.BELOW_MIN_CONFIDENCE
    assert decision.filtered[0].detail == "confidence=0.3 min_confidence=0.5"
    assert decision.explanation == "no signal passed the filters"


def test_min_confidence_when_signal_exactly_at_minimum_then_votes() -> None:
    # Act
    decision = _decide([_vote(TREND, Direction.LONG, confidence=0.5)], min_confidence=0.5)

    # Assert
    assert decision.direction is Direction.LONG
    assert decision.filtered == ()


# Conflict rules


def test_net_when_long_outscores_short_then_long_with_net_score() -> None:
    # Arrange: +0.03 and -0.01
    signals = [
        _vote(TREND, Direction.LONG, expected_return=0.03),
        _vote(MEAN, Direction.SHORT, expected_return=0.01),
    ]

    # Act
    decision = _decide(signals, conflict_rule="net")

    # Assert
    assert decision.direction is Direction.LONG
    assert decision.score == pytest.approx(0.02)
    assert [c.agent_id for c in decision.contributions] == [TREND, MEAN]


def test_net_when_scores_cancel_exactly_then_no_decision() -> None:
    # Arrange
    signals = [_vote(TREND, Direction.LONG), _vote(MEAN, Direction.SHORT)]

    # Act
    decision = _decide(signals)

    # Assert
    assert decision.direction is None
    assert decision.score == 0.0
    assert decision.winning_signal is None


def test_stronger_wins_when_within_margin_then_no_trade() -> None:
    # Arrange: 0.01 vs 0.0085: the long beats the short by 15% of 0.01, the margin asks 20%
    signals = [
        _vote(TREND, Direction.LONG, expected_return=0.01),
        _vote(MEAN, Direction.SHORT, expected_return=0.0085),
    ]

    # Act
    decision = _decide(signals, conflict_rule="stronger_wins", conflict_margin_frac=0.2)

    # Assert
    assert decision.direction is None
    assert decision.score == pytest.approx(0.0015)
    assert "within margin 0.2" in decision.explanation


def test_stronger_wins_when_beyond_margin_then_stronger_side_trades() -> None:
    # Arrange: same scores, margin 10%
    signals = [
        _vote(TREND, Direction.LONG, expected_return=0.01),
        _vote(MEAN, Direction.SHORT, expected_return=0.0085),
    ]

    # Act
    decision = _decide(signals, conflict_rule="stronger_wins", conflict_margin_frac=0.1)

    # Assert
    assert decision.direction is Direction.LONG
    assert decision.winning_signal is signals[0]


def test_stronger_wins_when_no_margin_then_same_as_net() -> None:
    # Arrange
    signals = [
        _vote(TREND, Direction.LONG, expected_return=0.01),
        _vote(MEAN, Direction.SHORT, expected_return=0.0099),
    ]

    # Act
    net = _decide(signals, conflict_rule=ConflictRule.NET)
    stronger = _decide(signals, conflict_rule=ConflictRule.STRONGER_WINS)

    # Assert
    assert net.direction is stronger.direction is Direction.LONG
    assert net.score == stronger.score


# FLAT and the no-edge agreement rule


def test_flat_when_alone_then_decision_is_go_flat() -> None:
    # Act
    decision = _decide([_vote(TREND, Direction.FLAT)])

    # Assert
    assert decision.direction is Direction.FLAT
    assert decision.score == 0.0
    assert decision.contributions[0].score == 0.0
    assert decision.winning_signal is not None


def test_flat_when_a_long_has_edge_then_long_outweighs_the_exit() -> None:
    # Act
    decision = _decide([_vote(TREND, Direction.LONG), _vote(MEAN, Direction.FLAT)])

    # Assert
    assert decision.direction is Direction.LONG


def test_flat_when_the_long_has_no_edge_then_no_decision() -> None:
    # Act
    decision = _decide(
        [_vote(TREND, Direction.LONG, expected_return=0.0), _vote(MEAN, Direction.FLAT)]
    )

    # Assert
    assert decision.direction is None
    assert decision.explanation == "no edge and no agreement (flat, long): no trade"


def test_no_edge_when_all_signals_agree_then_direction_follows_with_score_zero() -> None:
    # Arrange: rule-following agents with no measured edge yet
    weak = _vote(TREND, Direction.LONG, expected_return=0.0, confidence=0.4)
    strong = _vote(MEAN, Direction.LONG, expected_return=0.0, confidence=0.9)

    # Act
    decision = _decide([weak, strong])

    # Assert
    assert decision.direction is Direction.LONG
    assert decision.score == 0.0
    assert decision.winning_signal is strong


def test_no_edge_when_signals_disagree_then_no_decision() -> None:
    # Act
    decision = _decide(
        [
            _vote(TREND, Direction.LONG, expected_return=0.0),
            _vote(MEAN, Direction.SHORT, expected_return=0.0),
        ]
    )

    # Assert
    assert decision.direction is None


# Signals recorded and superseded


def test_same_agent_when_two_signals_then_latest_votes_and_older_superseded() -> None:
    # Arrange
    older = _vote(TREND, Direction.LONG)
    newer = _vote(TREND, Direction.FLAT, ts_event=T0 + timedelta(minutes=1))

    # Act
    decision = _decide([newer, older])

    # Assert
    assert decision.direction is Direction.FLAT
    assert [f.signal for f in decision.filtered] == [older]
    assert decision.filtered[0].reason is FilterReason.SUPERSEDED


def test_arbitrate_when_two_symbols_then_one_decision_each() -> None:
    # Arrange
    eth = Symbol("ETH/USDT")
    settings = ArbitrationConfig()
    signals = [_vote(TREND, Direction.LONG), _vote(TREND, Direction.SHORT, symbol=eth)]

    # Act
    decisions = arbitrate(signals, AgentWeights(settings), settings)

    # Assert
    assert list(decisions) == [SYMBOL, eth]
    assert decisions[SYMBOL].direction is Direction.LONG
    assert decisions[eth].direction is Direction.SHORT


# Weights


def test_weight_when_agent_not_listed_then_default_weight() -> None:
    # Arrange
    settings = ArbitrationConfig(default_weight=0.5, weights={TREND: 3.0})

    # Act
    weights = AgentWeights(settings)

    # Assert
    assert weights.weight(TREND) == 3.0
    assert weights.weight(MEAN) == 0.5


def test_weight_when_zero_then_signal_filtered_not_voted() -> None:
    # Act
    decision = _decide([_vote(TREND, Direction.LONG)], weights={TREND: 0.0})

    # Assert
    assert decision.direction is None
    assert decision.filtered[0].reason is FilterReason.ZERO_WEIGHT
    assert decision.filtered[0].detail == "weight=0.0 agent=trend regime=None"


def test_regime_when_latest_label_volatile_then_multiplier_applies_to_that_agent() -> None:
    # Arrange: the regime agent only labels (weight 0); its latest label is "volatile"
    stale = _vote(REGIME, Direction.FLAT, evidence={"regime": "trend"})
    label = _vote(
        REGIME,
        Direction.FLAT,
        evidence={"regime": "volatile"},
        ts_event=T0 + timedelta(minutes=1),
    )
    trend = _vote(TREND, Direction.LONG, expected_return=0.02)

    # Act
    decision = _decide(
        [stale, label, trend],
        weights={REGIME: 0.0},
        regime_multipliers={"volatile": {TREND: 0.5}, "trend": {TREND: 3.0}},
    )

    # Assert: 0.5 x 1 x 0.02 x 1
    assert decision.regime == "volatile"
    assert decision.direction is Direction.LONG
    assert decision.score == pytest.approx(0.01)
    assert [c.agent_id for c in decision.contributions] == [TREND]


def test_adaptive_when_every_outcome_won_then_weight_doubles_at_most() -> None:
    # Arrange
    weights = AgentWeights(ArbitrationConfig(adapt=True, adapt_min_outcomes=3))

    # Act
    for _ in range(5):
        weights.record_outcome(TREND, 0.02)

    # Assert
    assert weights.multiplier(TREND) == MAX_ADAPTIVE_MULTIPLIER
    assert weights.weight(TREND) == 2.0


def test_adaptive_when_every_outcome_lost_then_floor() -> None:
    # Arrange
    weights = AgentWeights(ArbitrationConfig(adapt=True, adapt_min_outcomes=3, adapt_floor=0.3))

    # Act
    for _ in range(5):
        weights.record_outcome(TREND, -0.02)

    # Assert
    assert weights.multiplier(TREND) == 0.3


def test_adaptive_when_gains_three_times_losses_then_one_and_a_half() -> None:
    # Arrange: (0.03 - 0.01) / (0.03 + 0.01) = 0.5
    weights = AgentWeights(ArbitrationConfig(adapt=True, adapt_min_outcomes=2))

    # Act
    weights.record_outcome(TREND, 0.03)
    weights.record_outcome(TREND, -0.01)

    # Assert
    assert weights.multiplier(TREND) == pytest.approx(1.5)


def test_adaptive_when_fewer_outcomes_than_minimum_then_unchanged() -> None:
    # Arrange
    weights = AgentWeights(ArbitrationConfig(adapt=True, adapt_min_outcomes=3))

    # Act
    weights.record_outcome(TREND, -0.05)
    weights.record_outcome(TREND, -0.05)

    # Assert
    assert weights.multiplier(TREND) == 1.0


def test_adaptive_when_window_full_then_oldest_outcomes_drop_out() -> None:
    # Arrange: window 2; two losses, then two wins push them out
    weights = AgentWeights(ArbitrationConfig(adapt=True, adapt_window=2, adapt_min_outcomes=2))

    # Act
    for outcome in (-0.01, -0.01, 0.01, 0.01):
        weights.record_outcome(TREND, outcome)

    # Assert
    assert weights.multiplier(TREND) == MAX_ADAPTIVE_MULTIPLIER


def test_adaptive_when_switched_off_then_record_does_not_change_weight() -> None:
    # Arrange
    weights = AgentWeights(ArbitrationConfig(adapt=False, adapt_min_outcomes=1))

    # Act
    weights.record_outcome(TREND, -0.5)

    # Assert
    assert weights.weight(TREND) == 1.0


def test_record_outcome_when_not_finite_then_refused_naming_the_value() -> None:
    # Arrange
    weights = AgentWeights(ArbitrationConfig())

    # Act / Assert
    with pytest.raises(ValueError, match=r"realised_return=nan for agent trend"):
        weights.record_outcome(TREND, float("nan"))


# Config


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weights": {"trend": -1.0}}, "weights has values that are not finite numbers >= 0"),
        ({"adapt_window": 5, "adapt_min_outcomes": 6}, "adapt_min_outcomes=6 is above"),
        ({"conflict_margin_frac": 1.0}, "less than 1"),
        ({"min_confidence": 60}, "less than or equal to 1"),
        ({"conflict_rule": "vote"}, "'net' or 'stronger_wins'"),
        ({"wieghts": {}}, "Extra inputs are not permitted"),
    ],
)
def test_config_when_invalid_then_refused_with_reason(fields: dict[str, Any], message: str) -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match=message):
        ArbitrationConfig(**fields)


def test_config_when_built_then_weights_are_read_only() -> None:
    # Arrange
    settings = ArbitrationConfig(weights={TREND: 1.0}, regime_multipliers={"x": {TREND: 2.0}})

    # Act / Assert
    with pytest.raises(TypeError):
        settings.weights[TREND] = 5.0  # type: ignore[index]
    with pytest.raises(TypeError):
        settings.regime_multipliers["x"][TREND] = 5.0  # type: ignore[index]
