"""`make run` as shipped: quarter Kelly trades once an edge is measured, regimes scale weights.

The shipped `config/aiswarm.yaml` and `config/agents.yaml`, unchanged except for where state
and the event store live, replayed on a simulated clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aiswarm.commands.run import funding_lines
from aiswarm.config import load_config
from kit.host import REPO, run_steps, start

pytestmark = pytest.mark.integration

# Past the regime model's first fit (bar 200), the first measured edges, and the ETH/USD exits
# (04:07:10 to 04:08:28) the spot guard used to refuse: the allocator sold what working sells
# were already selling.
STEPS = 520


def _shipped(tmp_path: Path) -> Any:
    data = yaml.safe_load((REPO / "config" / "aiswarm.yaml").read_text(encoding="utf-8"))
    data["state_dir"] = str(tmp_path / "state")
    data["store"] = {"url": f"sqlite+aiosqlite:///{tmp_path}/events.db"}
    data["data_dir"] = str(REPO / data["data_dir"])
    data["trading"]["agents_file"] = str(REPO / data["trading"]["agents_file"])
    path = tmp_path / "aiswarm.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(path, environ={})


async def test_shipped_config_when_replayed_then_kelly_sized_orders_and_regime_weights(
    tmp_path: Path,
) -> None:
    # Arrange
    config = _shipped(tmp_path)
    arbitration = config.trading.arbitration
    agent_weight = {"bollinger-rsi": 0.7, "keltner-breakout": 0.7, "momentum": 0.8}
    host = await start(config)

    # Act
    await run_steps(host, STEPS)
    records = [event async for event in host.store.replay(account=host.engine.account)]
    await host.stop("test over")

    # Assert: every buy (long only: every opening order) Kelly-sized by risk, and none too
    # large for the order-notional guard
    placed = [e.payload["order"] for e in records if e.type == "allocation" and e.payload["order"]]
    buys = [order for order in placed if order["side"] == "buy"]
    assert buys
    assert all("of nav at risk" in order["reason"] for order in buys)
    decisions = [e.payload for e in records if e.type == "risk.decision"]
    assert any(d["approved"] for d in decisions)
    refused = {r["code"] for d in decisions if not d["approved"] for r in d["refusals"]}
    assert "ORDER_NOTIONAL_LIMIT" not in refused
    assert "SPOT_SELL_ABOVE_HOLDING" not in refused
    # ... and regime-labelled decisions weigh agents by the label's factor
    scaled = [
        (decision["regime"], c["agent_id"], c["weight"])
        for e in records
        if e.type == "arbitration.decision" and (decision := e.payload)["regime"] is not None
        for c in decision["contributions"]
        if c["agent_id"] in agent_weight
    ]
    assert scaled
    for regime, agent, weight in scaled:
        factor = arbitration.regime_multipliers[regime][agent]
        assert weight == pytest.approx(agent_weight[agent] * factor)
    assert {regime for regime, _, _ in scaled} == {"calm", "volatile"}


async def test_shipped_config_when_started_then_says_funding_does_not_cover_the_replay(
    tmp_path: Path,
) -> None:
    # Arrange: the shipped funding file (2020-12, 2022-12) beside the shipped bars (2018-04);
    # /work/shared/data holds no funding of April 2018 (backtest_data/README.md)
    host = await start(_shipped(tmp_path))

    # Act
    lines = await funding_lines(host.feeds)
    await host.stop("test over")

    # Assert: the start-up says at once that the funding agent receives no rate
    assert len(lines) == 1
    assert lines[0].startswith(
        "  funding BTC/USD: NOT COVERED: its 12 rates 2020-12-29..2022-12-13"
    )
    assert "replay window 2018-04-04 00:00..2018-04-07 00:00" in lines[0]
    assert "the funding agent receives no rate" in lines[0]
