"""Operator API over a started paper platform: session control, kill switch, orders, feeds."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.runtime import Host, TradingService
from kit.host import make_keys, paper_config, run_steps, start

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def _serving(tmp_path: Path, **risk: object) -> AsyncIterator[tuple[httpx.AsyncClient, Host]]:
    """Start a paper host with ``risk`` limits and serve its API to a client as admin alice.

    ``client.keys`` holds keys for alice (admin), bob (trade) and carol (read).
    """
    host = await start(paper_config(tmp_path, trading={"risk": risk}))
    keys = await make_keys(host, alice="admin", bob="trade", carol="read")
    app = create_app(TradingService(host))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {keys['alice']}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        client.keys = keys  # type: ignore[attr-defined]
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

    trader = {"Authorization": f"Bearer {client.keys['bob']}"}  # type: ignore[attr-defined]

    tripped = await client.post("/kill-switch/trip", json={"reason": "manual stop"}, headers=trader)
    enable_latched = await client.post("/kill-switch/enable", json={"reason": "try"})
    intruder = await client.post("/kill-switch/reset", json={"reason": "fine"}, headers=trader)
    reset = await client.post("/kill-switch/reset", json={"reason": "reviewed"})
    enabled = await client.post("/kill-switch/enable", json={"reason": "resume"})
    state = await client.get("/kill-switch")

    assert tripped.json()["to_state"] == "halted"
    assert enable_latched.status_code == 409
    assert intruder.status_code == 403
    assert reset.status_code == 200
    assert reset.json()["operator_id"] == "alice"
    assert tripped.json()["operator_id"] == "bob"
    assert enabled.status_code == 200
    assert state.json() == {"state": "active", "latched": False, "flatten_owed": False}


async def test_stop_flatten_when_tripped_then_only_an_authorised_operator_stops_it(
    tmp_path: Path,
) -> None:
    async with _serving(tmp_path, flatten_on_trip=True) as (client, _):
        trader = {"Authorization": f"Bearer {client.keys['bob']}"}  # type: ignore[attr-defined]
        before_trip = await client.post("/kill-switch/stop-flatten", json={"reason": "hold"})
        await client.post("/kill-switch/trip", json={"reason": "manual stop"})
        owed = (await client.get("/kill-switch")).json()
        intruder = await client.post(
            "/kill-switch/stop-flatten", json={"reason": "hold"}, headers=trader
        )
        stopped = await client.post("/kill-switch/stop-flatten", json={"reason": "too thin"})
        reasonless = await client.post("/kill-switch/stop-flatten", json={})

        assert before_trip.status_code == 409
        assert "no flatten to stop" in before_trip.json()["detail"]
        assert owed == {"state": "halted", "latched": True, "flatten_owed": True}
        assert intruder.status_code == 403
        assert stopped.status_code == 200
        assert stopped.json() == {"state": "halted", "latched": True, "flatten_owed": False}
        assert reasonless.status_code == 422


async def test_feeds_when_listed_then_shipped_files_with_coverage_and_history(
    api: tuple[httpx.AsyncClient, Host],
) -> None:
    client, _ = api

    feeds = (await client.get("/feeds")).json()
    history = await client.get("/feeds/history", params={"id": "coinbase:BTC/USD:1m", "limit": 3})

    assert {feed["id"] for feed in feeds} == {"coinbase:BTC/USD:1m", "coinbase:ETH/USD:1m"}
    assert all(feed["coverage"]["records"] > 1000 for feed in feeds)
    assert feeds[0]["coverage"]["first_ts_ns"] == 1522800000000000000
    assert feeds[0]["coverage"]["first_ts"] == "2018-04-04T00:00:00+00:00"
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
    status = (await client.get("/status")).json()
    assert status["last_step_ns"] == 1522836000000000000
    assert status["last_step"] == "2018-04-04T10:00:00+00:00"
    assert _unplain_decimals([orders, positions, status]) == []
    recorded = [event.type async for event in host.store.replay(types=["portfolio.baseline"])]
    assert recorded, "the session checkpoints peak NAV and the day's opening NAV"


async def test_docs_when_offline_then_served_locally_with_bearer_scheme(
    api: tuple[httpx.AsyncClient, Host],
) -> None:
    client, _ = api  # with a key: api.docs_public is off (tests/integration/test_api_access.py)

    page = await client.get("/docs")
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+\.(?:js|css))['"]""", page.text)
    fetched = [await client.get(asset) for asset in assets]
    document = (await client.get("/openapi.json")).json()

    assert page.status_code == 200
    assert sorted(assets) == [
        "/static-offline-docs/swagger-ui-bundle.js",
        "/static-offline-docs/swagger-ui.css",
    ]
    assert [answer.status_code for answer in fetched] == [200, 200]
    assert all(len(answer.content) > 10_000 for answer in fetched)
    schemes = document["components"]["securitySchemes"]
    assert [(scheme["type"], scheme["scheme"]) for scheme in schemes.values()] == [
        ("http", "bearer")
    ]
    assert document["paths"]["/status"]["get"]["security"] == [{name: []} for name in schemes]
    assert "security" not in document["paths"]["/health"]["get"]


def _unplain_decimals(value: object) -> list[str]:
    """Return every string in ``value`` that reads as a decimal with an exponent or padding."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _unplain_decimals(item)]
    if isinstance(value, list):
        return [text for item in value for text in _unplain_decimals(item)]
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d*0|E[-+]?\d+|\.\d+E[-+]?\d+)", value):
        return [value]
    return []
