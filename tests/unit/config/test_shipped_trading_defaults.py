"""What `make run` trades with: fractional Kelly, and regime labels that scale agents' weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aiswarm.agents import parse_agents_config
from aiswarm.config import AppConfig, load_config
from aiswarm.config.models import TradingConfig
from aiswarm.orchestration import AgentWeights
from aiswarm.portfolio import AllocationMode
from aiswarm.runtime.composition import load_funding
from aiswarm.types import AgentId

REPO = Path(__file__).resolve().parents[3]
REGIME_LABELS = {"calm", "volatile"}  # what the regime agent publishes (agents/regime.py)


@pytest.fixture
def shipped() -> AppConfig:
    return load_config(REPO / "config" / "aiswarm.yaml", environ={})


@pytest.mark.parametrize("source", ["shipped file", "built-in default"])
def test_trading_config_when_default_then_sizes_by_fractional_kelly_under_the_order_limit(
    shipped: AppConfig, source: str
) -> None:
    # Arrange
    trading = shipped.trading if source == "shipped file" else TradingConfig()
    cash = shipped.paper.starting_cash

    # Act
    allocator = trading.allocator

    # Assert: Kelly (no measured edge, no trade), a fraction of it, and a full-size order at
    # the starting NAV that the order-notional guard lets through
    assert allocator.mode is AllocationMode.KELLY
    assert 0 < allocator.kelly_fraction < 1
    assert allocator.max_position_frac_of_nav is not None
    assert allocator.max_position_frac_of_nav * cash <= trading.risk.max_order_notional_usd


def test_shipped_regime_multipliers_when_read_then_name_shipped_agents_and_labels(
    shipped: AppConfig,
) -> None:
    # Arrange
    agents_file = REPO / shipped.trading.agents_file
    agents = parse_agents_config(yaml.safe_load(agents_file.read_text(encoding="utf-8"))).agents
    ids = {agent.id for agent in agents}
    regime_agents = [agent for agent in agents if agent.name == "regime" and agent.enabled]

    # Act
    multipliers = shipped.trading.arbitration.regime_multipliers

    # Assert: both labels scale some shipped agent, and the labeller itself does not vote
    assert set(multipliers) == REGIME_LABELS
    assert all(set(row) <= ids and row for row in multipliers.values())
    assert len(regime_agents) == 1
    assert regime_agents[0].weight == 0
    assert regime_agents[0].params["publish"] == "every_cycle"


def test_shipped_weights_when_volatile_then_mean_reversion_damped_and_breakout_boosted(
    shipped: AppConfig,
) -> None:
    # Arrange
    weights = AgentWeights(shipped.trading.arbitration)

    # Act
    calm = {a: weights.weight(AgentId(a), "calm") for a in ("bollinger-rsi", "keltner-breakout")}
    volatile = {
        a: weights.weight(AgentId(a), "volatile") for a in ("bollinger-rsi", "keltner-breakout")
    }

    # Assert
    assert volatile["bollinger-rsi"] < calm["bollinger-rsi"]
    assert volatile["keltner-breakout"] > calm["keltner-breakout"]


def test_shipped_funding_when_loaded_then_the_funding_agent_watches_its_symbol(
    shipped: AppConfig,
) -> None:
    # Arrange
    config = shipped.model_copy(update={"data_dir": REPO / shipped.data_dir})
    agents_file = REPO / shipped.trading.agents_file
    agents = parse_agents_config(yaml.safe_load(agents_file.read_text(encoding="utf-8"))).agents

    # Act
    rates = load_funding(config)

    # Assert: the shipped file reaches a fed symbol that the funding contrarian trades
    (contrarian,) = [agent for agent in agents if agent.name == "funding_contrarian"]
    assert set(rates) == {"BTC/USD"}
    assert len(rates["BTC/USD"]) == 12
    assert set(rates) <= set(contrarian.symbols)
