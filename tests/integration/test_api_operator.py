"""Operator API over a started paper platform: session control, kill switch, orders, feeds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from aiswarm.api import create_app
from aiswarm.clock import SimulatedClock
from aiswarm.config import load_config
from aiswarm.runtime import Platform
from aiswarm.runtime.session_state import SessionTrigger

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
KEY = "operator-api-key-of-at-least-32-bytes!"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Platform]]:
    config_file = tmp_path / "aiswarm.yaml"
    config_file.write_text(
        yaml.safe_dump(
            {
                "state_dir": str(tmp_path / "state"),
                "data_dir": str(REPO / "backtest_data"),
                "store": {"url": f"sqlite+aiosqlite:///{tmp_path}/events.db"},
                "trading": {
                    "agents_file": str(REPO / "config" / "agents.yaml"),
                    "enable_at_start": True,
                    "operators": ["alice"],
                },
            }
        ),
        encoding="utf-8",
    )
    config = load_config(config_file, environ={})
    platform = await Platform.start(config, b"s" * 32, clock_at=SimulatedClock)
    app = create_app(platform, KEY)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        yield client, platform
    await platform.stop("test over")


async def test_routes_when_no_key_then_401(
    api: tuple[httpx.AsyncClient, Platform],
) -> None:
    client, _ = api
    answer = await client.get("/kill-switch", headers={"Authorization": ""})
    assert answer.status_code == 401


async def test_session_when_paused_then_cycles_do_nothing_until_resumed(
    api: tuple[httpx.AsyncClient, Platform],
) -> None:
    # Arrange
    client, platform = api
    refused = await client.post("/session/pause", json={"reason": "too early"})
    await platform.change_state(SessionTrigger.START, "test")

    # Act
    paused = await client.post("/session/pause", json={"reason": "lunch"})
    idle = await platform._cycle(1)
    resumed = await client.post("/session/resume", json={"reason": "back"})
    again = await client.post("/session/resume", json={"reason": "twice"})

    # Assert
    assert refused.status_code == 409
    assert "CREATED -> PAUSE" in refused.json()["detail"]
    assert paused.json() == {"session": "paused"}
    assert idle.signals == 0
    assert idle.orders == 0
    assert platform.session.cycles == 0
    assert resumed.json() == {"session": "running"}
    assert again.status_code == 409


async def test_kill_switch_when_tripped_then_enable_refused_until_authorised_reset(
    api: tuple[httpx.AsyncClient, Platform],
) -> None:
    client, _ = api

    tripped = await client.post("/kill-switch/trip", json={"reason": "manual stop"})
    enable_latched = await client.post("/kill-switch/enable", json={"reason": "try"})
    intruder = await client.post(
        "/kill-switch/reset", json={"reason": "looks fine", "operator_id": "mallory"}
    )
    reset = await client.post(
        "/kill-switch/reset", json={"reason": "reviewed", "operator_id": "alice"}
    )
    enabled = await client.post("/kill-switch/enable", json={"reason": "resume"})
    state = await client.get("/kill-switch")

    assert tripped.json()["to_state"] == "halted"
    assert enable_latched.status_code == 409
    assert intruder.status_code == 409
    assert reset.status_code == 200
    assert enabled.status_code == 200
    assert state.json() == {"state": "active", "latched": False}


async def test_feeds_when_listed_then_shipped_files_with_coverage_and_history(
    api: tuple[httpx.AsyncClient, Platform],
) -> None:
    client, _ = api

    feeds = (await client.get("/feeds")).json()
    history = await client.get("/feeds/history", params={"id": "coinbase:BTC/USD:1m", "limit": 3})

    assert {feed["id"] for feed in feeds} == {"coinbase:BTC/USD:1m", "coinbase:ETH/USD:1m"}
    assert all(feed["coverage"]["records"] > 1000 for feed in feeds)
    bars = history.json()
    assert len(bars) == 3
    assert bars[0]["symbol"] == "BTC/USD"
    assert isinstance(bars[0]["close"], str)


async def test_orders_when_cycles_trade_then_listed_with_positions(
    api: tuple[httpx.AsyncClient, Platform],
) -> None:
    # Arrange: a cycle per replayed minute, for 10 hours of bars
    client, platform = api
    clock = platform.clock
    assert isinstance(clock, SimulatedClock)
    await platform.change_state(SessionTrigger.START, "test")
    for number in range(1, 601):
        await platform._cycle(number)
        clock.advance(60)

    # Act
    orders = (await client.get("/orders")).json()
    open_orders = (await client.get("/orders", params={"open": "true"})).json()
    positions = (await client.get("/positions")).json()

    # Assert
    assert len(orders) >= 1
    assert {order["status"] for order in orders} <= {
        "submitted",
        "accepted",
        "partially_filled",
        "filled",
        "canceled",
        "expired",
        "rejected",
    }
    assert len(open_orders) <= len(orders)
    assert all(position["symbol"] in ("BTC/USD", "ETH/USD") for position in positions)
    recorded = [event.type async for event in platform.store.replay(types=["portfolio.baseline"])]
    assert recorded, "the session checkpoints peak NAV and the day's opening NAV"
