"""Describe which agents run, on which symbols, with which parameters: `config/agents.yaml`.

The file is a list of agents; each names a registry key (``name``), its own unique ``id``,
whether it is ``enabled``, its arbitration ``weight``, the ``symbols`` it watches (empty means
every symbol in the frame) and ``params``, which that agent's own parameter model validates when
the registry builds it (``registry.build_agents``). Every model here is frozen and refuses
unknown keys, so a typo stops startup instead of silently running a default. No I/O: the runtime
reads the YAML and passes the mapping to ``parse_agents_config``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aiswarm.errors import ConfigError

__all__ = [
    "DEFAULT_AGENTS_PATH",
    "AgentConfig",
    "AgentParams",
    "AgentsConfig",
    "parse_agents_config",
]

DEFAULT_AGENTS_PATH = "config/agents.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class AgentParams(_Frozen):
    """Parameters every built-in agent shares: how it scores its own record and the market.

    Each agent's parameter model extends this one, so these keys are valid under any agent's
    ``params`` in the YAML.
    """

    horizon_bars: Annotated[
        int,
        Field(
            gt=0,
            le=100_000,
            description=(
                "Bars a signal's view holds: its outcome is the return from the signal bar's "
                "close to the close this many bars later (or to the agent's next opposite "
                "signal, whichever comes first). Also sets Signal.horizon_s = bars x interval."
            ),
        ),
    ] = 24
    edge_prior_samples: Annotated[
        float,
        Field(
            ge=0,
            description=(
                "Shrinkage k, in outcomes: expected return = n / (n + k) x mean realised "
                "return, so an agent with few outcomes reports an edge near 0."
            ),
        ),
    ] = 10.0
    liquidity_window_bars: Annotated[
        int,
        Field(gt=0, description="Bars in the recent traded-notional mean (liquidity score)."),
    ] = 20
    liquidity_baseline_bars: Annotated[
        int,
        Field(
            gt=0,
            description=(
                "Bars in the long-run median traded notional the recent mean is compared with."
            ),
        ),
    ] = 500
    liquidity_reference_usd: Annotated[
        float,
        Field(
            gt=0,
            description=(
                "Quote-currency depth at which a measured liquidity_usd scores 0.5: "
                "score = liquidity / (liquidity + reference)."
            ),
        ),
    ] = 1_000_000.0


class AgentConfig(_Frozen):
    """One agent instance as the YAML describes it; ``params`` is checked by the registry."""

    name: Annotated[str, Field(min_length=1, description="Registry key, e.g. ema_cross.")]
    id: Annotated[
        str,
        Field(min_length=1, description="Unique agent id, carried by every signal it emits."),
    ]
    enabled: Annotated[bool, Field(description="Disabled agents are not built.")] = True
    weight: Annotated[
        float, Field(ge=0, description="Arbitration weight (unitless, 0 mutes the agent).")
    ] = 1.0
    symbols: Annotated[
        tuple[str, ...],
        Field(description="Symbols the agent watches, e.g. BTC/USDT; empty means all."),
    ] = ()
    params: Annotated[
        dict[str, Any],
        Field(description="The agent's parameters; unknown keys are refused by name."),
    ] = Field(default_factory=dict)


class AgentsConfig(_Frozen):
    """Every agent instance the runtime may build; ids are unique."""

    agents: tuple[AgentConfig, ...] = ()

    @model_validator(mode="after")
    def _ids_unique(self) -> AgentsConfig:
        seen: set[str] = set()
        for agent in self.agents:
            if agent.id in seen:
                raise ValueError(f"agent id {agent.id!r} is used twice; give each agent its own id")
            seen.add(agent.id)
        return self


def _describe(error: Mapping[str, Any]) -> str:
    dotted = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"`{dotted}` is not a known key"
    return f"`{dotted}` was {error.get('input')!r}: {error['msg']}"


def parse_agents_config(data: Mapping[str, Any], source: str = DEFAULT_AGENTS_PATH) -> AgentsConfig:
    """Validate the mapping read from ``source``, or raise ``ConfigError`` naming each problem.

    Parameters are not checked here (only the registry knows each agent's model): call
    ``build_agents`` to check them too.
    """
    try:
        return AgentsConfig.model_validate(dict(data))
    except ValidationError as exc:
        problems = " | ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"invalid agent config in {source}: {problems}; fix {source}") from None
