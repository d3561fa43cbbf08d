"""Arbitration invariants: the net rule follows the sign of the net score; nothing is lost."""

from __future__ import annotations

import math
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from aiswarm.orchestration.arbitration import (
    AgentWeights,
    ArbitrationConfig,
    ConflictRule,
    arbitrate,
)
from aiswarm.types import AgentId, Direction, Signal, Symbol
from kit.builders import T0, signal

_SYMBOLS = [Symbol("BTC/USDT"), Symbol("ETH/USDT")]
_SIGN = {Direction.LONG: 1, Direction.SHORT: -1}

_signals = st.builds(
    lambda agent, symbol, direction, confidence, expected, liquidity, seconds: signal(
        agent_id=AgentId(agent),
        symbol=symbol,
        direction=direction,
        confidence=confidence,
        expected_return=expected,
        liquidity_score=liquidity,
        ts_event=T0 + timedelta(seconds=seconds),
    ),
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(_SYMBOLS),
    st.sampled_from(list(Direction)),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=-0.05, max_value=0.05),
    st.floats(min_value=0, max_value=1),
    st.integers(min_value=0, max_value=3),
)
_configs = st.builds(
    ArbitrationConfig,
    min_confidence=st.floats(min_value=0, max_value=1),
    conflict_rule=st.sampled_from(list(ConflictRule)),
    conflict_margin_frac=st.floats(min_value=0, max_value=0.9),
    weights=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0, 3), max_size=3),
)


@given(signals=st.lists(_signals, max_size=12), config=_configs)
def test_arbitrate_records_every_signal_once(
    signals: list[Signal], config: ArbitrationConfig
) -> None:
    # Act
    decisions = arbitrate(signals, AgentWeights(config), config)

    # Assert
    recorded = sum(len(d.contributions) + len(d.filtered) for d in decisions.values())
    assert recorded == len(signals)
    assert set(decisions) == {s.symbol for s in signals}


@given(signals=st.lists(_signals, min_size=1, max_size=12), config=_configs)
def test_net_rule_direction_follows_sign_of_net_score(
    signals: list[Signal], config: ArbitrationConfig
) -> None:
    # Arrange
    net_config = config.model_copy(update={"conflict_rule": ConflictRule.NET})

    # Act
    decisions = arbitrate(signals, AgentWeights(net_config), net_config)

    # Assert
    for decision in decisions.values():
        scores = [c.score for c in decision.contributions]
        assert decision.score == math.fsum(s for s in scores if s > 0) + math.fsum(
            s for s in scores if s < 0
        )
        if decision.score != 0:
            assert decision.direction is not None
            assert _SIGN[decision.direction] == math.copysign(1, decision.score)
        elif decision.direction is not None:
            assert {c.direction for c in decision.contributions} == {decision.direction}
            assert all(score == 0 for score in scores)


@given(signals=st.lists(_signals, min_size=1, max_size=12), config=_configs)
def test_stronger_wins_never_trades_within_margin_or_against_net(
    signals: list[Signal], config: ArbitrationConfig
) -> None:
    # Arrange
    rule_config = config.model_copy(update={"conflict_rule": ConflictRule.STRONGER_WINS})

    # Act
    decisions = arbitrate(signals, AgentWeights(rule_config), rule_config)

    # Assert
    for decision in decisions.values():
        if decision.direction is not None and decision.score != 0:
            larger = max(
                math.fsum(c.score for c in decision.contributions if c.score > 0),
                -math.fsum(c.score for c in decision.contributions if c.score < 0),
            )
            assert abs(decision.score) > rule_config.conflict_margin_frac * larger
            assert _SIGN[decision.direction] == math.copysign(1, decision.score)
