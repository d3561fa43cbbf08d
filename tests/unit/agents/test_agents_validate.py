"""validate and propose: every rule arbitration relies on is checked, and rejects are returned."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import numpy as np
from _frames import bars_of, frame_of, random_walk

from aiswarm.agents import Agent
from aiswarm.agents.agent import TRACK_RECORD_EVIDENCE
from aiswarm.agents.ema_cross import EmaCrossAgent, EmaCrossParams
from aiswarm.agents.regime import RegimeAgent, RegimeParams
from aiswarm.clock import from_ns
from aiswarm.types import AgentId, Direction, MarketFrame, Signal, Symbol

_ID = AgentId("ema")
_EVIDENCE: dict[str, float | int | str] = {key: 1 for key in TRACK_RECORD_EVIDENCE}


def _signal(**overrides: Any) -> Signal:
    fields: dict[str, Any] = {
        "agent_id": _ID,
        "symbol": Symbol("BTC/USDT"),
        "direction": Direction.LONG,
        "confidence": 0.6,
        "expected_return": 0.001,
        "liquidity_score": 0.5,
        "horizon_s": 60,
        "ts_event": from_ns(0),
        "evidence": MappingProxyType(_EVIDENCE),
    }
    # model_construct: build what pydantic would refuse, as a buggy agent might.
    return Signal.model_construct(**(fields | overrides))


def test_validate_when_signal_sound_then_no_problem() -> None:
    # Act
    problems = EmaCrossAgent(_ID, EmaCrossParams()).validate(_signal())

    # Assert
    assert problems == []


def test_validate_when_fields_broken_then_each_problem_named() -> None:
    # Arrange
    agent = EmaCrossAgent(_ID, EmaCrossParams())
    broken = _signal(
        confidence=math.nan,
        liquidity_score=1.5,
        direction=Direction.FLAT,
        expected_return=0.01,
        evidence=MappingProxyType({"samples": 0, "price": math.inf}),
    )

    # Act
    problems = " | ".join(agent.validate(broken))

    # Assert
    assert "confidence is nan" in problems
    assert "liquidity_score is 1.5" in problems
    assert "direction is flat but expected_return is 0.01" in problems
    assert "evidence lacks avg_loss, avg_win, bar_index" in problems
    assert "evidence 'price' is inf" in problems


def test_validate_when_other_agents_signal_then_refused() -> None:
    # Act
    problems = EmaCrossAgent(AgentId("other"), EmaCrossParams()).validate(_signal())

    # Assert
    assert problems == ["agent_id is 'ema', not this agent's 'other'"]


def test_propose_when_agent_emits_invalid_signal_then_it_is_returned_as_rejected() -> None:
    # Arrange: an agent whose FLAT signals claim a return.
    class Faulty(EmaCrossAgent):
        def analyze(self, frame: MarketFrame) -> list[Signal]:
            return [_signal(), _signal(direction=Direction.FLAT, expected_return=0.02)]

    # Act
    proposal = Faulty(_ID, EmaCrossParams()).propose(frame_of(bars_of(np.ones(3))))

    # Assert
    assert len(proposal.signals) == 1
    ((rejected, problems),) = proposal.rejected
    assert rejected.direction is Direction.FLAT
    assert "expected_return is 0.02" in problems[0]


def test_builtin_agents_when_checked_then_satisfy_agent_protocol() -> None:
    # Arrange
    agents = [EmaCrossAgent(_ID, EmaCrossParams()), RegimeAgent(_ID, RegimeParams())]

    # Act / Assert
    assert all(isinstance(agent, Agent) for agent in agents)


def test_propose_when_real_series_then_nothing_rejected() -> None:
    # Arrange
    agent = EmaCrossAgent(_ID, EmaCrossParams())

    # Act
    proposal = agent.propose(frame_of(bars_of(random_walk(2_000, seed=9))))

    # Assert
    assert proposal.signals
    assert proposal.rejected == ()
