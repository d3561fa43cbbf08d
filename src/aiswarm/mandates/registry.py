"""The mandate registry: every mandate file, validated, and which agent trades under which.

An engine runs several mandates at once, one per agent (strategy): ``trading.mandate`` names
the default and ``trading.agent_mandates`` binds agent ids to other mandates. The registry
refuses, with one line naming the file or setting and the fix, a binding to a mandate that does
not exist, a binding of an agent the agents file does not list, and an agent whose strategy
type (its registry name) its mandate's ``strategy_types`` does not allow. The guard chain
checks the strategy type again on every order, so a mandate narrowed while running still
refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiswarm.agents import AgentsConfig
from aiswarm.errors import ConfigError
from aiswarm.mandates.mandate_files import MandateFile
from aiswarm.types import AgentId, MandateId

__all__ = ["MandateBindings", "bind_agents"]


@dataclass(frozen=True)
class MandateBindings:
    """The default mandate, each agent's mandate and strategy type, and the mandates in use."""

    default: MandateId
    mandate_of: Mapping[AgentId, MandateId]
    strategy_of: Mapping[AgentId, str]

    @property
    def in_use(self) -> frozenset[MandateId]:
        """Return the ids of the mandates some agent trades under (the default included)."""
        return frozenset({self.default, *self.mandate_of.values()})


def bind_agents(
    files: Mapping[MandateId, MandateFile],
    agents: AgentsConfig,
    *,
    default: str,
    agent_mandates: Mapping[str, str],
    agents_source: Path,
) -> MandateBindings:
    """Return the bindings of ``agents`` to the mandates in ``files``; see the module docstring."""
    known = ", ".join(sorted(files))
    if default not in files:
        raise ConfigError(
            f"trading.mandate was {default!r}, which no mandate file defines (known: {known}); "
            "fix trading.mandate or add the file"
        )
    listed = {entry.id: entry for entry in agents.agents}
    for agent_id, mandate_id in sorted(agent_mandates.items()):
        if agent_id not in listed:
            raise ConfigError(
                f"trading.agent_mandates names agent {agent_id!r}, which {agents_source} does "
                f"not list; fix the agent id"
            )
        if mandate_id not in files:
            raise ConfigError(
                f"trading.agent_mandates binds {agent_id!r} to mandate {mandate_id!r}, which no "
                f"mandate file defines (known: {known}); fix the binding or add the file"
            )
    mandate_of: dict[AgentId, MandateId] = {}
    strategy_of: dict[AgentId, str] = {}
    for entry in agents.agents:
        if not entry.enabled:
            continue
        agent_id = AgentId(entry.id)
        mandate_id = MandateId(agent_mandates.get(entry.id, default))
        loaded = files[mandate_id]
        allowed = loaded.mandate.strategy_types
        if allowed is not None and entry.name not in allowed:
            raise ConfigError(
                f"mandate file {loaded.path}: strategy_types ({', '.join(allowed)}) does not "
                f"allow {entry.name!r}, the type of agent {entry.id!r} in {agents_source}; add "
                "it or bind the agent to another mandate in trading.agent_mandates"
            )
        mandate_of[agent_id] = mandate_id
        strategy_of[agent_id] = entry.name
    return MandateBindings(MandateId(default), mandate_of, strategy_of)
