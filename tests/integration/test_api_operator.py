"""Operator API over a started paper platform: session control, kill switch, orders, feeds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.runtime import Host, TradingService
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
KEY = "operator-api-key-of-at-least-32-bytes!"


@asynccontextmanager
async def _serving(tmp_path: Path, **risk: object) -> AsyncIterator[tuple[httpx.AsyncClient, Host]]:
    """Start a paper host with ``risk`` limits and serve its operator API to a client."""
    host = await start(paper_config(tmp_path, trading={"risk": risk}))
    app = create_app(TradingService(host), KEY)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        yield client, host
    await host.stop("test over")


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Host]]:
    async with _serving(tmp_path) as served:
        yield served


async def test_routes_when_no_key_then_401(
    api: tuple[httpx.AsyncClient, Host],
) -> None:
    client, _ = api
    answer = await client.get("/kill-switch", headers={"Authorization": ""})
    assert answer.status_code == 401


async def test_session_when_paused_then_steps_place_nothing_until_resumed(
    api: tuple[httpx.AsyncClient, Host],
) -> None:
    # Arrange
    client, host = api

    # Act
    paused = await client.post("/session/pause", json={"reason": "lunch"})
    idle = await run_steps(host, 30)
    status = (await client.get("/status")).json()
    resumed = await client.post("/session/resume", json={"reason": "back"})
    again = await client.post("/session/resume", json={"reason": "twice"})

    # Assert
    assert paused.json() == {"session": "paused"}
    assert len(idle) == 30
    assert sum(report.orders for report in idle) == 0
    assert sum(report.signals for report in idle) == 0
    assert all(report.nav is not None for report in idle), "NAV keeps updating while paused"
    assert status["session"] == "paused"
    assert status["nav"] is not None
    assert status["steps"] == 30
    assert resumed.json() == {"session": "running"}
    assert again.status_code == 409
    assert "RUNNING -> RESUME" in again.json()["detail"]


async def test_kill_switch_when_tripped_then_enable_refused_until_authorised_reset(
    api: tuple[httpx.AsyncClient, Host],
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
    assert state.json() == {"state": "active", "latched": False, "flatten_owed": False}


async def test_stop_flatten_when_tripped_then_only_an_authorised_operator_stops_it(
    tmp_path: Path,
) -> None:
    async with _serving(tmp_path, flatten_on_trip=True) as (client, _):
        before_trip = await client.post(
            "/kill-switch/stop-flatten", json={"reason": "hold", "operator_id": "alice"}
        )
        await client.post("/kill-switch/trip", json={"reason": "manual stop"})
        owed = (await client.get("/kill-switch")).json()
        intruder = await client.post(
            "/kill-switch/stop-flatten", json={"reason": "hold", "operator_id": "mallory"}
        )
        stopped = await client.post(
            "/kill-switch/stop-flatten", json={"reason": "market too thin", "operator_id": "alice"}
        )
        nameless = await client.post("/kill-switch/stop-flatten", json={"reason": "hold"})

        assert before_trip.status_code == 409
        assert "no flatten to stop" in before_trip.json()["detail"]
        assert owed == {"state": "halted", "latched": True, "flatten_owed": True}
        assert intruder.status_code == 409
        assert stopped.status_code == 200
        assert stopped.json() == {"state": "halted", "latched": True, "flatten_owed": False}
        assert nameless.status_code == 422


async def test_feeds_when_listed_then_shipped_files_with_coverage_and_history(
    api: tuple[httpx.AsyncClient, Host],
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
    api: tuple[httpx.AsyncClient, Host],
) -> None:
    # Arrange: a step per replayed minute, for 10 hours of bars
    client, host = api
    await run_steps(host, 600)

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
    recorded = [event.type async for event in host.store.replay(types=["portfolio.baseline"])]
    assert recorded, "the session checkpoints peak NAV and the day's opening NAV"
