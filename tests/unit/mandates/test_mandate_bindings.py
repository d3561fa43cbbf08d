"""Specs for binding agents to mandates: one mandate per agent, checked at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.agents import AgentsConfig, parse_agents_config
from aiswarm.errors import ConfigError
from aiswarm.mandates import bind_agents, load_mandate_files
from kit.mandates import write_mandate

AGENTS = Path("config/agents.yaml")


def _agents() -> AgentsConfig:
    return parse_agents_config(
        {
            "agents": [
                {"name": "ema_cross", "id": "ema-btc", "symbols": ["BTC/USD"]},
                {"name": "momentum", "id": "momentum", "symbols": ["ETH/USD"]},
                {"name": "breakout", "id": "off", "enabled": False},
            ]
        }
    )


def test_bind_when_agent_named_then_it_trades_under_its_mandate_others_default(
    tmp_path: Path,
) -> None:
    # Arrange
    write_mandate(tmp_path)
    write_mandate(tmp_path, mandate_id="eth", symbols=["ETH/USD"], strategy_types=["momentum"])
    files = load_mandate_files(tmp_path)

    # Act
    bindings = bind_agents(
        files, _agents(), default="paper", agent_mandates={"momentum": "eth"}, agents_source=AGENTS
    )

    # Assert
    assert dict(bindings.mandate_of) == {"ema-btc": "paper", "momentum": "eth"}
    assert dict(bindings.strategy_of) == {"ema-btc": "ema_cross", "momentum": "momentum"}
    assert bindings.in_use == {"paper", "eth"}


@pytest.mark.parametrize(
    ("default", "agent_mandates", "message"),
    [
        ("nope", {}, r"trading.mandate was 'nope', which no mandate file defines"),
        ("paper", {"ghost": "paper"}, r"names agent 'ghost', which config/agents.yaml"),
        ("paper", {"momentum": "nope"}, r"binds 'momentum' to mandate 'nope'"),
        ("paper", {"ema-btc": "eth"}, r"eth.yaml: strategy_types \(momentum\) does not allow "
         r"'ema_cross', the type of agent 'ema-btc'"),
    ],
    ids=["unknown-default", "unknown-agent", "unknown-mandate", "strategy-not-allowed"],
)  # fmt: skip
def test_bind_when_binding_invalid_then_one_line_names_it(
    tmp_path: Path, default: str, agent_mandates: dict[str, str], message: str
) -> None:
    # Arrange
    write_mandate(tmp_path)
    write_mandate(tmp_path, mandate_id="eth", symbols=["ETH/USD"], strategy_types=["momentum"])
    files = load_mandate_files(tmp_path)

    # Act / Assert
    with pytest.raises(ConfigError, match=message):
        bind_agents(
            files, _agents(), default=default, agent_mandates=agent_mandates, agents_source=AGENTS
        )
