"""Bus admin over a started paper host, in-process and on Redis: routes and the CLI.

Dead letters are made the way they happen in a deployment: a message of a version the host's
consumers do not read, and a message whose handler keeps failing. The routes list them and the
pending deliveries, a requeue puts one back for its group and is recorded in the event store,
and bad input answers 4xx naming the field. The CLI does the same against Redis, one line per
mistake.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from aiswarm.api import create_app
from aiswarm.api.bus_admin_routes import bus_admin_router
from aiswarm.api.errors import install_error_handlers
from aiswarm.bus import BUS_RECORDS, BusError, MarketBar, Message, RedisStreamsBus, StreamBus
from aiswarm.clock import SimulatedClock
from aiswarm.runtime import Host, StreamAdmin, TradingService
from aiswarm.runtime.access_keys import Principal, Scope
from aiswarm.store import open_event_store
from aiswarm.types import Bar, EventType
from kit.bus import REDIS_URL, START, TRANSPORTS, delete_prefix
from kit.host import admin_key, paper_config, start

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TOPIC = "md.coinbase.BTC/USD.1m"


def market_bar(n: int) -> Message:
    bar = Bar(
        venue="coinbase",
        symbol="BTC/USD",
        ts_ns=n * 60_000_000_000,
        interval_s=60,
        open="100",
        high="101",
        low="99",
        close="100.5",
        volume="2",
    )
    record = MarketBar(feed_id="coinbase:BTC/USD:1m", bar=bar)
    return BUS_RECORDS.message(record, trace_id=f"bar-{n}", ts_ns=n)


async def make_dead_letters(bus: StreamBus) -> None:
    """Dead-letter one message of an unknown version and one that failed every try."""
    await bus.publish(TOPIC, Message("md.bar", 9, {"feed_id": "x"}, trace_id="v9", ts_ns=1))
    await bus.publish(TOPIC, market_bar(1))
    await bus.publish(TOPIC, market_bar(2))
    for _ in range(bus.settings.max_deliveries):
        (delivery, *_) = await bus.receive(TOPIC, "engines", "engine-1", count=1)
        await bus.nack(delivery, "RuntimeError: step failed")
    (held,) = await bus.receive(TOPIC, "engines", "engine-1", count=1)
    await bus.nack(held, "RuntimeError: slow venue")


@pytest.fixture(params=TRANSPORTS)
async def api(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Host]]:
    prefix = f"test:{secrets.token_hex(6)}:"
    bus = {"url": REDIS_URL, "prefix": prefix} if request.param == "redis" else {}
    host = await start(paper_config(tmp_path, bus={**bus, "max_deliveries": 2}))
    app = create_app(TradingService(host))
    headers = {"Authorization": f"Bearer {await admin_key(host)}"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=headers
        ) as client:
            yield client, host
    finally:
        await host.stop("test over")
        await delete_prefix(prefix)


async def test_admin_routes_list_pending_and_dead_letters_with_errors(
    api: tuple[httpx.AsyncClient, Host],
) -> None:
    client, host = api
    await make_dead_letters(host.bus)

    pending = await client.get("/admin/streams/pending")
    dlq = await client.get("/admin/streams/dlq")

    assert pending.status_code == 200
    assert dlq.status_code == 200
    (entry,) = pending.json()
    assert entry["topic"] == TOPIC
    assert entry["group"] == "engines"
    assert entry["last_error"] == "RuntimeError: slow venue"
    first, second = dlq.json()
    assert "version 9" in first["error"]
    assert first["message"]["trace_id"] == "v9"
    assert second["error"] == "failed 2 of 2 tries: RuntimeError: step failed"
    assert second["message"]["trace_id"] == "bar-1"
    assert second["dead_lettered"].startswith("20")


async def test_requeue_route_when_dead_letter_then_back_for_its_group_and_recorded(
    api: tuple[httpx.AsyncClient, Host],
) -> None:
    client, host = api
    await make_dead_letters(host.bus)
    letter = (await client.get("/admin/streams/dlq")).json()[1]

    answer = await client.post(
        "/admin/streams/dlq/requeue", json={"id": letter["dead_letter_id"], "reason": "fixed"}
    )
    again = await client.post(
        "/admin/streams/dlq/requeue", json={"id": letter["dead_letter_id"], "reason": "twice"}
    )
    redelivered = await host.bus.receive(TOPIC, "engines", "engine-2", count=10)

    assert answer.status_code == 200
    assert answer.json()["group"] == "engines"
    assert answer.json()["reason"] == "fixed"
    assert again.status_code == 404
    assert again.json()["errors"][0]["field"] == "id"
    assert [d.message.trace_id for d in redelivered if d.attempt == 1] == ["bar-1"]
    async with aclosing(host.store.replay(types=[EventType.BUS_REQUEUED.value])) as events:
        recorded = [event.payload async for event in events]
    assert recorded == [answer.json()]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "not-an-id", "reason": "x"}, "id"),
        ({"id": "1-0", "reason": ""}, "reason"),
        ({"id": "1-0"}, "reason"),
        ({"id": "1-0", "reason": "x", "extra": 1}, "extra"),
    ],
)
async def test_requeue_route_when_bad_body_then_422_naming_field(
    api: tuple[httpx.AsyncClient, Host], body: dict[str, object], field: str
) -> None:
    client, _ = api

    answer = await client.post("/admin/streams/dlq/requeue", json=body)

    assert answer.status_code == 422
    assert [problem["field"] for problem in answer.json()["errors"]] == [field]


async def test_admin_routes_when_no_key_then_401(api: tuple[httpx.AsyncClient, Host]) -> None:
    client, _ = api

    answers = [
        await client.get("/admin/streams/pending", headers={"Authorization": ""}),
        await client.get("/admin/streams/dlq", headers={"Authorization": "Bearer wrong"}),
        await client.post("/admin/streams/dlq/requeue", headers={"Authorization": ""}, json={}),
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401]


def _aiswarm(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", "streams", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def _cli_config(tmp_path: Path, bus: str) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(
        f"state_dir: {tmp_path}/state\nstore:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n"
        f"{bus}",
        encoding="utf-8",
    )
    return path


async def test_cli_streams_when_redis_then_lists_and_requeues(tmp_path: Path) -> None:
    prefix = f"test:{secrets.token_hex(6)}:"
    config = _cli_config(tmp_path, f"bus:\n  url: {REDIS_URL}\n  prefix: '{prefix}'\n")
    (tmp_path / "host").mkdir()
    host = await start(paper_config(tmp_path / "host", bus={"url": REDIS_URL, "prefix": prefix}))
    try:
        await make_dead_letters(host.bus)
        pending = _aiswarm(config, "pending", "--json")
        dlq = _aiswarm(config, "dlq")
        letters = json.loads(_aiswarm(config, "dlq", "--json").stdout)
        requeued = _aiswarm(config, "requeue", letters[0]["dead_letter_id"], "--reason", "retry")
        unknown = _aiswarm(config, "requeue", letters[0]["dead_letter_id"], "--reason", "again")
    finally:
        await host.stop("test over")
        await delete_prefix(prefix)

    assert pending.returncode == 0, pending.stderr
    assert [row["last_error"] for row in json.loads(pending.stdout)] == ["RuntimeError: slow venue"]
    assert dlq.returncode == 0
    assert "version 9" in dlq.stdout
    assert requeued.returncode == 0, requeued.stderr
    assert f"on {TOPIC} for group engines" in requeued.stdout
    assert unknown.returncode == 1
    assert unknown.stderr.count("\n") == 1
    assert "no dead letter" in unknown.stderr


def test_cli_streams_when_in_process_bus_then_one_line_pointing_at_the_api(
    tmp_path: Path,
) -> None:
    result = _aiswarm(_cli_config(tmp_path, ""), "dlq")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "bus.url is not set" in result.stderr
    assert "GET /admin/streams" in result.stderr


def test_cli_streams_when_redis_unreachable_then_one_line_naming_it(tmp_path: Path) -> None:
    result = _aiswarm(_cli_config(tmp_path, "bus:\n  url: redis://127.0.0.1:1/0\n"), "pending")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "redis://127.0.0.1:1/0 is unreachable" in result.stderr


async def test_host_start_when_redis_unreachable_then_refused_and_nothing_recorded(
    tmp_path: Path,
) -> None:
    config = paper_config(tmp_path, bus={"url": "redis://127.0.0.1:1/0"})

    with pytest.raises(BusError, match=r"redis://127\.0\.0\.1:1/0 is unreachable"):
        await start(config)

    store = await open_event_store(config.store.url, SimulatedClock(START))
    try:
        assert (await store.head())[0] == 0
    finally:
        await store.close()


class _Admitting:
    """A gatekeeper admitting every caller as an admin: the routes alone are under test."""

    async def identify(self, presented: str | None) -> Principal:
        return Principal("admin", Scope.ADMIN)

    def admit(self, principal: Principal | None, scope: Scope) -> Principal:
        return Principal("admin", Scope.ADMIN)


async def test_admin_routes_when_redis_unreachable_then_503_naming_it(tmp_path: Path) -> None:
    clock = SimulatedClock(START)
    store = await open_event_store(f"sqlite+aiosqlite:///{tmp_path}/events.db", clock)
    bus = RedisStreamsBus("redis://127.0.0.1:1/0", clock)
    app = FastAPI()
    install_error_handlers(app)
    app.state.gatekeeper = _Admitting()
    app.include_router(bus_admin_router(StreamAdmin(bus, store)))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api",
            headers={"Authorization": "Bearer any"},
        ) as client:
            answers = [
                await client.get("/admin/streams/pending"),
                await client.get("/admin/streams/dlq"),
                await client.post("/admin/streams/dlq/requeue", json={"id": "1-0", "reason": "x"}),
            ]
    finally:
        await bus.close()
        await store.close()

    assert [answer.status_code for answer in answers] == [503, 503, 503]
    assert all("127.0.0.1:1/0 is unreachable" in a.json()["detail"] for a in answers)


@pytest.mark.parametrize(
    "command",
    [
        ["streams", "pending"],
        ["streams", "dlq"],
        ["streams", "requeue"],
        ["market-data", "run"],
        ["market-data", "tail"],
    ],
)
def test_help_when_asked_then_bus_commands_explain_themselves(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *command, "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
