"""Agents: read market frames, emit signals on events, scored by their own realised edge.

The ``Agent`` protocol (analyze, validate, propose), the built-in agents (EMA cross,
momentum, Bollinger/RSI mean reversion, Keltner/Donchian breakout, funding contrarian, volume
spike scanner, Markov-switching regime detection), their config and the registry that builds
them. Imports only types, indicators, clock and errors; no I/O, no wall clock, no randomness.
docs/agents.md describes every rule and parameter.
"""

from aiswarm.agents.agent import Agent, Proposal
from aiswarm.agents.config import AgentConfig, AgentsConfig, parse_agents_config
from aiswarm.agents.regime import RegimeDetector, RegimeState
from aiswarm.agents.registry import build_agents, strategy_type_of

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentsConfig",
    "Proposal",
    "RegimeDetector",
    "RegimeState",
    "build_agents",
    "parse_agents_config",
    "strategy_type_of",
]
