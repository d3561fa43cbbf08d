"""Principals and scopes over the API of a started paper platform: who may do what, as recorded.

Keys are made through the host's registry (as `aiswarm keys new` does): alice is admin, bob
may trade, carol may only read. Every control event names the principal that asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from aiswarm.api import create_app
from aiswarm.api.auth import check_guarded
from aiswarm.errors import ConfigError
from aiswarm.runtime import Host, TradingService
from kit.host import FIXED_NOTIONAL, make_keys, paper_config, run_steps, start

pytestmark = pytest.mark.integration

RESTING = {**FIXED_NOTIONAL, "order_type": "limit", "limit_offset_ticks": 200}
"""Limit orders priced 200 ticks away from the close: they rest at the venue for a while."""


class Api:
    """A client per principal over one served app."""

    def __init__(self, app: FastAPI, keys: dict[str, str]) -> None:
        transport = httpx.ASGITransport(app=app)
        self.clients = {
            name: httpx.AsyncClient(
                transport=transport,
                base_url="http://api",
                headers={"Authorization": f"Bearer {key}"},
            )
            for name, key in keys.items()
        }
        self.anonymous = httpx.AsyncClient(transport=transport, base_url="http://api")

    def __getitem__(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    async def close(self) -> None:
        for client in [*self.clients.values(), self.anonymous]:
            await client.aclose()


@asynccontextmanager
async def _served(tmp_path: Path, **sections: Any) -> AsyncIterator[tuple[Api, Host]]:
    host = await start(paper_config(tmp_path, **sections))
    keys = await make_keys(host, alice="admin", bob="trade", carol="read")
    api = Api(create_app(TradingService(host)), keys)
    try:
        yield api, host
    finally:
        await api.close()
        await host.stop("test over")


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Api, Host]]:
    async with _served(tmp_path) as pair:
        yield pair


async def _recorded(host: Host, event_type: str) -> list[dict[str, Any]]:
    return [event.payload async for event in host.store.replay(types=[event_type])]


async def test_scopes_when_each_principal_calls_then_only_what_its_scope_allows(
    served: tuple[Api, Host],
) -> None:
    api, _ = served
    reason = {"reason": "checking scopes"}

    read_status = await api["carol"].get("/status")
    read_pause = await api["carol"].post("/session/pause", json=reason)
    read_trip = await api["carol"].post("/kill-switch/trip", json=reason)
    trade_keys = await api["bob"].get("/keys")
    trade_rotate = await api["bob"].post("/approval-keys/rotate", json=reason)
    anonymous = await api.anonymous.get("/kill-switch")
    wrong = await api.anonymous.get("/status", headers={"Authorization": "Bearer ais_nope"})
    health = await api.anonymous.get("/health")
    unknown_path = await api.anonymous.get("/no-such-route")
    not_json = await api.anonymous.post("/kill-switch/trip", content=b"\xff{")

    assert read_status.status_code == 200
    assert [read_pause.status_code, read_trip.status_code] == [403, 403]
    assert "principal 'carol' has scope read; this route needs trade" in read_pause.text
    assert [trade_keys.status_code, trade_rotate.status_code] == [403, 403]
    assert [anonymous.status_code, wrong.status_code] == [401, 401]
    assert health.status_code == 200
    assert [unknown_path.status_code, not_json.status_code] == [401, 401], "the gate answers first"


async def test_pause_and_resume_when_asked_then_recorded_by_the_principal(
    served: tuple[Api, Host],
) -> None:
    api, host = served

    paused = await api["bob"].post("/session/pause", json={"reason": "lunch"})
    resumed = await api["alice"].post("/session/resume", json={"reason": "back"})

    assert [paused.status_code, resumed.status_code] == [200, 200]
    changes = await _recorded(host, "session.changed")
    assert [(c["trigger"], c["by"]) for c in changes[-2:]] == [
        ("pause", "bob"),
        ("resume", "alice"),
    ]


async def test_reset_when_asked_then_needs_admin_and_a_reason_and_records_the_principal(
    served: tuple[Api, Host],
) -> None:
    api, host = served

    tripped = await api["bob"].post("/kill-switch/trip", json={"reason": "venue looks wrong"})
    by_trader = await api["bob"].post("/kill-switch/reset", json={"reason": "fine now"})
    reasonless = await api["alice"].post("/kill-switch/reset", json={})
    blank = await api["alice"].post("/kill-switch/reset", json={"reason": "   "})
    named = await api["alice"].post(
        "/kill-switch/reset", json={"reason": "reviewed", "operator_id": "mallory"}
    )
    reset = await api["alice"].post("/kill-switch/reset", json={"reason": "reviewed"})

    assert tripped.status_code == 200
    assert by_trader.status_code == 403
    assert [reasonless.status_code, blank.status_code] == [422, 422]
    assert reasonless.json()["errors"][0]["field"] == "reason"
    assert named.status_code == 422, "a body never names the operator"
    assert named.json()["errors"][0]["field"] == "operator_id"
    assert reset.status_code == 200
    changes = await _recorded(host, "kill_switch.changed")
    manual = [(c["trigger"], c["operator_id"], c["reason"]) for c in changes[-2:]]
    assert manual == [("trip", "bob", "venue looks wrong"), ("reset", "alice", "reviewed")]
    key_ids = {row["name"]: row["key_id"] for row in host.access.listed()}
    assert [c["operator_key_id"] for c in changes[-2:]] == [key_ids["bob"], key_ids["alice"]]


async def test_reset_when_admin_key_revoked_then_refused_from_the_next_request(
    served: tuple[Api, Host],
) -> None:
    api, _ = served
    await api["bob"].post("/kill-switch/trip", json={"reason": "stop"})
    extra = await api["alice"].post("/keys/new", json={"name": "dave", "scope": "admin"})
    dave = {"Authorization": f"Bearer {extra.json()['key']}"}

    listed = (await api["alice"].get("/keys")).json()
    revoked = await api["alice"].post(f"/keys/{extra.json()['key_id']}/revoke")
    refused = await api.anonymous.post("/kill-switch/reset", json={"reason": "x"}, headers=dave)

    assert extra.status_code == 201
    assert {row["name"]: row["scope"] for row in listed}["dave"] == "admin"
    assert all("key" not in row for row in listed)
    assert revoked.json()["revoked_by"] == "alice"
    assert refused.status_code == 401
    assert (await api["alice"].get("/kill-switch")).json()["latched"] is True


async def test_kill_switch_when_tripped_over_api_then_resting_cancelled_and_no_new_orders(
    tmp_path: Path,
) -> None:
    # Arrange: limit orders that rest, until some are working at the venue
    async with _served(tmp_path, trading={"allocator": RESTING}) as (api, host):
        for _ in range(60):
            await run_steps(host, 10)
            if (await api["carol"].get("/orders", params={"open": "true"})).json():
                break
        resting = (await api["carol"].get("/orders", params={"open": "true"})).json()
        submitted_before = len(await _recorded(host, "order.submitted"))

        # Act
        tripped = await api["bob"].post("/kill-switch/trip", json={"reason": "operator stop"})
        open_after = (await api["carol"].get("/orders", params={"open": "true"})).json()
        await run_steps(host, 120)
        submitted_after = await _recorded(host, "order.submitted")

        # Assert
        assert resting, "the session rests limit orders before the trip"
        assert tripped.status_code == 200
        assert tripped.json()["operator_id"] == "bob"
        assert open_after == [], "the trip cancels every resting order at once"
        new = submitted_after[submitted_before:]
        assert all(p["spec"]["reduce_only"] for p in new), "no new exposure after the trip"
        statuses = {
            o["client_order_id"]: o["status"] for o in (await api["carol"].get("/orders")).json()
        }
        assert {statuses[o["client_order_id"]] for o in resting} == {"canceled"}


async def test_rate_limit_when_principal_over_it_then_429_and_others_unaffected(
    tmp_path: Path,
) -> None:
    async with _served(tmp_path, api={"rate_limit": "3/minute"}) as (api, _):
        answers = [(await api["carol"].get("/kill-switch")).status_code for _ in range(4)]
        other = await api["bob"].get("/kill-switch")
        over = await api["carol"].get("/kill-switch")

    assert answers == [200, 200, 200, 429]
    assert other.status_code == 200
    assert int(over.headers["Retry-After"]) > 0
    assert "over its rate limit" in over.json()["detail"]


async def test_answers_when_any_route_then_security_headers_and_cors_closed(
    served: tuple[Api, Host],
) -> None:
    api, _ = served
    origin = {"Origin": "https://evil.example"}

    answers = [
        await api.anonymous.get("/health", headers=origin),
        await api.anonymous.get("/status", headers=origin),
        await api["carol"].get("/status", headers=origin),
        await api["carol"].get("/no-such-route"),
    ]
    preflight = await api.anonymous.options(
        "/status",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )

    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
        assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_when_origin_allowed_then_only_that_origin_answered(tmp_path: Path) -> None:
    allowed = "https://ops.example.com"
    async with _served(tmp_path, api={"cors_origins": [allowed]}) as (api, _):
        preflight = await api.anonymous.options(
            "/status",
            headers={"Origin": allowed, "Access-Control-Request-Method": "GET"},
        )
        ours = await api["carol"].get("/status", headers={"Origin": allowed})
        theirs = await api["carol"].get("/status", headers={"Origin": "https://evil.example"})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == allowed
    assert ours.headers["access-control-allow-origin"] == allowed
    assert "access-control-allow-origin" not in theirs.headers


def test_check_guarded_when_a_route_has_no_scope_then_refused_naming_it() -> None:
    app = FastAPI()

    @app.get("/leaky")
    async def leaky() -> dict[str, str]:
        return {}

    with pytest.raises(ConfigError, match=r"\['GET'\] /leaky"):
        check_guarded(app, ("/health",))


DOCS = ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect")


async def test_docs_when_not_public_then_need_a_key_of_any_scope(
    served: tuple[Api, Host],
) -> None:
    api, _ = served
    anonymous = [(await api.anonymous.get(path)).status_code for path in (*DOCS, _asset())]
    with_read_key = [(await api["carol"].get(path)).status_code for path in (*DOCS, _asset())]

    assert anonymous == [401] * 5
    assert with_read_key == [200] * 5


async def test_docs_when_docs_public_then_answer_without_a_key(tmp_path: Path) -> None:
    async with _served(tmp_path, api={"docs_public": True}) as (api, _):
        anonymous = [(await api.anonymous.get(path)).status_code for path in (*DOCS, _asset())]
        status = (await api.anonymous.get("/status")).status_code

    assert anonymous == [200] * 5
    assert status == 401


def _asset() -> str:
    return "/static-offline-docs/swagger-ui.css"


@pytest.mark.parametrize("name", ["runtime", "cli", "bootstrap"])
async def test_new_key_when_name_is_the_systems_then_422_naming_name(
    served: tuple[Api, Host], name: str
) -> None:
    api, host = served
    answer = await api["alice"].post("/keys/new", json={"name": name, "scope": "trade"})

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "name"
    assert "reserved for the system" in answer.json()["detail"]
    assert name not in {row["name"] for row in host.access.listed()}


async def test_key_events_when_made_over_api_then_record_the_callers_key_id(
    served: tuple[Api, Host],
) -> None:
    api, host = served
    made = await api["alice"].post("/keys/new", json={"name": "erin", "scope": "read"})
    await api["alice"].post(f"/keys/{made.json()['key_id']}/revoke")
    created = await _recorded(host, "access_key.created")
    revoked = await _recorded(host, "access_key.revoked")

    alice_id = next(row["key_id"] for row in host.access.listed() if row["name"] == "alice")
    assert (created[-1]["by"], created[-1]["by_key_id"]) == ("alice", alice_id)
    assert (revoked[-1]["by"], revoked[-1]["by_key_id"]) == ("alice", alice_id)
