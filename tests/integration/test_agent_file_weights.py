"""An agent's ``weight`` in the agents file is its arbitration weight: 0 mutes it.

Arbitration multiplies the config's ``weights`` (or ``default_weight``) by the agent's own
weight, so the regime agent's ``weight: 0`` in ``config/agents.yaml`` is what keeps its FLAT
labels from voting, as docs/agents.md says.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from aiswarm.agents import AgentConfig
from aiswarm.agents.registry import build_agent
from aiswarm.backtest.runner import run_backtest
from aiswarm.bench.backtest import benchmark_setup, synthetic_arrays

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("weight", "trades"), [(0.0, False), (0.5, True)])
async def test_backtest_when_agent_file_weight_given_then_arbitration_uses_it(
    weight: float, trades: bool
) -> None:
    # Arrange: the benchmark's EMA cross, with the weight an agents file would give it
    setup = benchmark_setup(synthetic_arrays(2_000))
    agent = build_agent(
        AgentConfig(
            name="ema_cross",
            id="ema-cross",
            weight=weight,
            symbols=(setup.bars.symbol,),
            params={"fast": 9, "slow": 21},
        )
    )

    # Act
    run = await run_backtest(replace(setup, agents=[agent]))

    # Assert
    decisions = run.journal.events(["arbitration.decision"])
    assert decisions
    weights = {c["weight"] for event in decisions for c in event.payload["contributions"]}
    muted = {f["reason"] for event in decisions for f in event.payload["filtered"]}
    assert (run.orders > 0) is trades
    if trades:
        assert weights == {weight}
    else:
        assert weights == set()
        assert muted == {"zero_weight"}
