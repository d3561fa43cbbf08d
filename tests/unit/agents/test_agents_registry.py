"""Agents from config: the shipped file builds; unknown names, keys and bad values are named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aiswarm.agents import AgentsConfig, build_agents, parse_agents_config
from aiswarm.agents.ema_cross import EmaCrossAgent
from aiswarm.agents.registry import REGISTRY
from aiswarm.errors import ConfigError

_SHIPPED = Path(__file__).resolve().parents[3] / "config" / "agents.yaml"


def _config(*agents: dict[str, Any]) -> AgentsConfig:
    return parse_agents_config({"agents": list(agents)})


def test_shipped_agents_yaml_when_loaded_then_every_agent_builds() -> None:
    # Arrange
    data = yaml.safe_load(_SHIPPED.read_text(encoding="utf-8"))

    # Act
    agents = build_agents(parse_agents_config(data, str(_SHIPPED)))

    # Assert
    assert len(agents) == len(data["agents"])
    assert {entry["name"] for entry in data["agents"]} == set(REGISTRY)
    assert len({agent.agent_id for agent in agents}) == len(agents)


def test_build_when_params_given_then_agent_uses_them() -> None:
    # Arrange
    config = _config({"name": "ema_cross", "id": "e1", "weight": 0.4, "params": {"fast": 5}})

    # Act
    (agent,) = build_agents(config)

    # Assert
    assert isinstance(agent, EmaCrossAgent)
    assert agent.params.fast == 5
    assert agent.params.slow == 21
    assert agent.weight == 0.4


def test_build_when_agent_name_unknown_then_error_names_it_and_lists_known() -> None:
    # Arrange
    config = _config({"name": "ema_crossx", "id": "e1"})

    # Act / Assert
    with pytest.raises(ConfigError, match="agent 'ema_crossx' is unknown") as caught:
        build_agents(config)
    assert "known: breakout, ema_cross, funding_contrarian" in str(caught.value)
    assert "did you mean 'ema_cross'" in str(caught.value)


def test_build_when_parameter_unknown_then_error_names_it_and_lists_known() -> None:
    # Arrange
    config = _config({"name": "ema_cross", "id": "e1", "params": {"fsat": 5}})

    # Act / Assert
    with pytest.raises(ConfigError, match="ema_cross parameter 'fsat' is unknown") as caught:
        build_agents(config)
    assert "known: fast, slow, atr_filter, atr_period, atr_min_frac, horizon_bars" in str(
        caught.value
    )
    assert "agent 'e1'" in str(caught.value)


def test_build_when_parameter_invalid_then_error_names_value_and_rule() -> None:
    # Arrange
    config = _config({"name": "momentum", "id": "m1", "params": {"lookback": -3}})

    # Act / Assert
    with pytest.raises(ConfigError, match="momentum parameter 'lookback' was -3: Input should"):
        build_agents(config)


def test_build_when_parameters_contradict_then_error_explains() -> None:
    # Arrange
    config = _config({"name": "ema_cross", "id": "e1", "params": {"fast": 30, "slow": 21}})

    # Act / Assert
    with pytest.raises(ConfigError, match="fast \\(30\\) must be below slow \\(21\\)"):
        build_agents(config)


def test_build_when_agent_disabled_then_validated_but_not_built() -> None:
    # Arrange
    good = _config({"name": "ema_cross", "id": "e1", "enabled": False})
    bad = _config({"name": "ema_cross", "id": "e1", "enabled": False, "params": {"x": 1}})

    # Act
    agents = build_agents(good)

    # Assert
    assert agents == []
    with pytest.raises(ConfigError, match="parameter 'x' is unknown"):
        build_agents(bad)


def test_parse_when_ids_repeat_or_keys_unknown_then_config_error() -> None:
    # Act / Assert
    with pytest.raises(ConfigError, match="agent id 'a' is used twice"):
        _config({"name": "ema_cross", "id": "a"}, {"name": "momentum", "id": "a"})
    with pytest.raises(ConfigError, match=r"`agents\.0\.wieght` is not a known key"):
        _config({"name": "ema_cross", "id": "a", "wieght": 1})
    with pytest.raises(ConfigError, match=r"`agents\.0\.weight` was -1"):
        _config({"name": "ema_cross", "id": "a", "weight": -1})
