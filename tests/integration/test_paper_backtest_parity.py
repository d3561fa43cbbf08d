"""Backtest and paper mode run the same pipeline: the same data gives the same orders.

The backtest drives the coordinator bar by bar on a simulated clock with an in-memory journal;
the paper session runs its cycles on the clock with a real SQLite event store and shows the venue
every bar. Every order placed must match: decision time, symbol, side, type, quantity.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiswarm.agents import build_agents, parse_agents_config
from aiswarm.backtest.runner import BacktestSetup, run_backtest
from aiswarm.clock import SimulatedClock
from aiswarm.config import load_config
from aiswarm.runtime import Host
from aiswarm.runtime.composition import instrument_for, load_feeds
from aiswarm.venues.fill_models import FeeModel

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
AGENTS = {
    "agents": [
        {
            "name": "ema_cross",
            "id": "ema",
            "symbols": ["BTC/USD"],
            "params": {"fast": 9, "slow": 21},
        },
        {"name": "momentum", "id": "momentum", "symbols": ["BTC/USD"], "params": {"lookback": 20}},
    ]
}


def _config(tmp_path: Path, trading: dict[str, Any] | None = None) -> Any:
    agents_file = tmp_path / "agents.yaml"
    agents_file.write_text(yaml.safe_dump(AGENTS), encoding="utf-8")
    config_file = tmp_path / "aiswarm.yaml"
    config_file.write_text(
        yaml.safe_dump(
            {
                "state_dir": str(tmp_path / "state"),
                "data_dir": str(REPO / "backtest_data"),
                "store": {"url": f"sqlite+aiosqlite:///{tmp_path}/events.db"},
                "paper": {
                    "starting_cash": "100000",
                    "fee_frac": "0.001",
                    "feeds": [
                        {
                            "file": "coinbase_btcusd_1m_2018-04-04_06.csv",
                            "venue": "coinbase",
                            "symbol": "BTC/USD",
                        }
                    ],
                },
                "trading": _merged(
                    {
                        "agents_file": str(agents_file),
                        "enable_at_start": True,
                        "allocator": {
                            "mode": "fixed_quantity",
                            "fixed_quantity": "0.5",
                            "long_only": True,
                        },
                        "risk": {
                            "max_order_notional_usd": "100000",
                            "max_position_notional_usd": "100000",
                            "max_drawdown_frac": "0.5",
                            "max_daily_loss_frac": "0.5",
                        },
                    },
                    trading or {},
                ),
            }
        ),
        encoding="utf-8",
    )
    return load_config(config_file, environ={})


def _merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = {**base[key], **value} if isinstance(value, dict) and key in base else value
    return merged


def _orders(specs: Any) -> list[tuple[object, ...]]:
    return [(s.created_at, s.symbol, s.side, s.order_type, s.quantity) for s in specs]


@pytest.mark.parametrize(
    "trading",
    [
        None,
        # Resting limits far from the market that expire after two minutes.
        {
            "order_ttl_s": 120,
            "allocator": {"order_type": "limit", "limit_offset_ticks": 500},
        },
        # A daily-loss limit this strategy breaches: both must trip at the same bar.
        {"risk": {"max_daily_loss_frac": "0.0004", "max_drawdown_frac": "0.5"}},
    ],
    ids=["market-orders", "expiring-limits", "daily-loss-trip"],
)
async def test_replay_when_same_data_then_paper_and_backtest_place_identical_orders(
    tmp_path: Path, trading: dict[str, Any] | None
) -> None:
    # Arrange
    config = _config(tmp_path, trading)
    feeds = load_feeds(config)
    bars = feeds["BTC/USD"].bars
    host = await Host.start(config, b"p" * 32, clock_at=SimulatedClock)
    await host.begin("parity")
    engine = host.engine
    agents_data = yaml.safe_load(config.trading.agents_file.read_text(encoding="utf-8"))
    setup = BacktestSetup(
        bars=bars,
        instrument=instrument_for(bars),
        agents=build_agents(parse_agents_config(agents_data)),
        arbitration=config.trading.arbitration,
        allocator=config.trading.allocator,
        limits=config.trading.risk,
        mandate=engine.mandate,
        starting_cash=config.paper.starting_cash,
        fee_model=FeeModel(maker_fee_frac=Decimal("0.001"), taker_fee_frac=Decimal("0.001")),
        order_ttl_s=config.trading.order_ttl_s,
        account=engine.account,
    )

    # Act
    backtest = await run_backtest(setup)

    async def record(report: Any) -> None:
        await host.record_step(report)

    await host.driver.run(record)
    paper_orders = _orders(order.spec for order in engine.spine.oms.orders.values())
    paper_statuses = [order.status for order in engine.spine.oms.orders.values()]
    paper_trips = [
        (event.ts_ns, event.payload["cause"])
        async for event in host.store.replay(types=["kill_switch.changed"])
        if event.payload["trigger"] == "trip"
    ]
    await host.stop("parity over")

    # Assert
    backtest_orders = _orders(backtest.specs)
    backtest_trips = [
        (event.ts_ns, event.payload["cause"])
        for event in backtest.journal.events(("kill_switch.changed",))
        if event.payload["trigger"] == "trip"
    ]
    assert host.driver.finished
    assert len(paper_orders) > (0 if trading and "risk" in trading else 20)
    assert paper_orders == backtest_orders
    assert paper_statuses == [record.status for record in backtest.result.orders]
    assert [cause for _, cause in paper_trips] == [cause for _, cause in backtest_trips]
    if trading and "risk" in trading:
        assert backtest.trips == 1
        assert engine.trips == 1
