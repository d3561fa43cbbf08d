"""Build agents from config by name: the registry of built-in agents and their parameter models.

``build_agents`` turns an ``AgentsConfig`` into running agents, validating each agent's
``params`` with that agent's own frozen model. Every mistake is a ``ConfigError`` that names the
agent, the key or value, what is allowed and the file to fix:

* an unknown agent name: "agent 'ema_crossx' is unknown; known: breakout, ema_cross, ...";
* an unknown parameter: "ema_cross parameter 'fsat' is unknown; known: fast, slow, ...";
* an invalid value: "ema_cross parameter 'fast' was -3: Input should be greater than or equal
  to 1".

Adding an agent is one row in ``REGISTRY``; enabling and tuning one is a YAML change only.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from aiswarm.agents.agent import Agent
from aiswarm.agents.breakout import BreakoutAgent, BreakoutParams
from aiswarm.agents.config import DEFAULT_AGENTS_PATH, AgentConfig, AgentParams, AgentsConfig
from aiswarm.agents.ema_cross import EmaCrossAgent, EmaCrossParams
from aiswarm.agents.funding_contrarian import FundingContrarianAgent, FundingContrarianParams
from aiswarm.agents.mean_reversion import MeanReversionAgent, MeanReversionParams
from aiswarm.agents.momentum import MomentumAgent, MomentumParams
from aiswarm.agents.regime import RegimeAgent, RegimeParams
from aiswarm.agents.volume_spike import VolumeSpikeAgent, VolumeSpikeParams
from aiswarm.errors import ConfigError
from aiswarm.types import AgentId, Symbol

__all__ = [
    "REGISTRY",
    "AgentSpec",
    "build_agent",
    "build_agents",
    "known_parameters",
    "strategy_type_of",
]

Factory = Callable[[AgentId, Any, Iterable[Symbol], float], Agent]


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """How to build one kind of agent: its parameter model and its constructor."""

    params: type[AgentParams]
    factory: Factory


REGISTRY: Mapping[str, AgentSpec] = MappingProxyType(
    {
        "breakout": AgentSpec(BreakoutParams, BreakoutAgent),
        "ema_cross": AgentSpec(EmaCrossParams, EmaCrossAgent),
        "funding_contrarian": AgentSpec(FundingContrarianParams, FundingContrarianAgent),
        "mean_reversion": AgentSpec(MeanReversionParams, MeanReversionAgent),
        "momentum": AgentSpec(MomentumParams, MomentumAgent),
        "regime": AgentSpec(RegimeParams, RegimeAgent),
        "volume_spike": AgentSpec(VolumeSpikeParams, VolumeSpikeAgent),
    }
)
"""Registry key (the YAML ``name``) -> agent kind."""

_TYPE_OF_CLASS: Mapping[object, str] = MappingProxyType(
    {spec.factory: name for name, spec in REGISTRY.items()}
)


def strategy_type_of(agent: object) -> str | None:
    """Return the registry name (strategy type) of a built-in agent, or None for another kind.

    Mandates allowlist strategy types by these names; an agent of no registered kind has no
    type, and a mandate that limits types refuses its orders.
    """
    return _TYPE_OF_CLASS.get(type(agent))


def known_parameters(name: str) -> tuple[str, ...]:
    """Return the parameters agent ``name`` accepts: its own first, then the shared ones."""
    model = REGISTRY[name].params
    shared = tuple(AgentParams.model_fields)
    own = tuple(key for key in model.model_fields if key not in shared)
    return own + shared


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _params_error(name: str, config: AgentConfig, exc: ValidationError, source: str) -> str:
    problems: list[str] = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            known = known_parameters(name)
            problems.append(
                f"{name} parameter {key!r} is unknown{_hint(key, known)}; known: {', '.join(known)}"
            )
        elif key:
            problems.append(f"{name} parameter {key!r} was {error.get('input')!r}: {error['msg']}")
        else:
            problems.append(f"{name} parameters: {error['msg'].removeprefix('Value error, ')}")
    return f"{'; '.join(problems)}. Fix agent {config.id!r} in {source}"


def build_agent(config: AgentConfig, source: str = DEFAULT_AGENTS_PATH) -> Agent:
    """Build the agent ``config`` describes (enabled or not), or raise ``ConfigError``."""
    spec = REGISTRY.get(config.name)
    if spec is None:
        raise ConfigError(
            f"agent {config.name!r} is unknown{_hint(config.name, REGISTRY)}; "
            f"known: {', '.join(sorted(REGISTRY))}. Fix agent {config.id!r} in {source}"
        )
    try:
        params = spec.params.model_validate(config.params)
    except ValidationError as exc:
        raise ConfigError(_params_error(config.name, config, exc, source)) from None
    symbols = tuple(Symbol(symbol) for symbol in config.symbols)
    return spec.factory(AgentId(config.id), params, symbols, config.weight)


def build_agents(config: AgentsConfig, source: str = DEFAULT_AGENTS_PATH) -> list[Agent]:
    """Build every enabled agent, in file order; disabled ones are still validated."""
    agents: list[Agent] = []
    for entry in config.agents:
        agent = build_agent(entry, source)
        if entry.enabled:
            agents.append(agent)
    return agents
