"""The read, trading-state, PnL, reconciliation and stream routes over a started paper host."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.clock import SimulatedClock
from aiswarm.config import AppConfig
from aiswarm.risk import KillTrigger
from aiswarm.runtime import Host, TradingService
from aiswarm.types import TradingState
from kit.host import FIXED_NOTIONAL, admin_key, paper_config, run_steps, start

pytestmark = pytest.mark.integration


@asynccontextmanager
async def _client(host: Host) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(TradingService(host)))
    headers = {"Authorization": f"Bearer {await admin_key(host)}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        yield client


def _config(tmp_path: Path, **pnl: Any) -> AppConfig:
    return paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL}, pnl=pnl)


def _sse(text: str) -> list[dict[str, str]]:
    """Return the events of an SSE body: each as its fields (id, event, data)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            events.append(fields)
    return events


async def test_read_routes_when_session_traded_then_typed_answers(tmp_path: Path) -> None:
    # Arrange
    host = await start(_config(tmp_path))
    await run_steps(host, 120)

    # Act
    async with _client(host) as client:
        answers = {
            path: await client.get(path)
            for path in (
                "/ready",
                "/portfolio",
                "/balances",
                "/orders/history",
                "/fills",
                "/cycles?last=3",
                "/risk/refusals",
                "/trading-state",
                "/reconciliation/reports",
            )
        }
    await host.stop("test over")

    # Assert
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(answers, 200)
    assert answers["/ready"].json()["ready"] is True
    assert answers["/balances"].json()[0]["currency"] == "USD"
    orders = answers["/orders/history"].json()
    assert orders
    assert all(order["history"][0]["type"] == "order.submitted" for order in orders)
    fills = answers["/fills"].json()
    assert fills
    assert all(Decimal(fill["quantity"]) > 0 for fill in fills)
    assert len(answers["/cycles?last=3"].json()) == 3
    assert answers["/trading-state"].json()["state"] == "active"
    assert answers["/reconciliation/reports"].json()[0]["action"] == "none"


async def test_ready_when_store_unreachable_then_503_naming_the_store(tmp_path: Path) -> None:
    # Arrange
    host = await start(_config(tmp_path))
    key = await admin_key(host)
    await host.store.close()

    # Act
    transport = httpx.ASGITransport(app=create_app(TradingService(host)))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers={"Authorization": f"Bearer {key}"}
    ) as client:
        answer = await client.get("/ready")

    # Assert
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["store"]["ok"] is False
    assert checks["venue"]["ok"] is True


async def test_pnl_when_loss_limit_reached_then_halted_and_status_survives_restart(
    tmp_path: Path,
) -> None:
    # Arrange
    config = _config(tmp_path, loss_limit_usd="50")
    host = await start(config)
    for _ in range(600):
        await run_steps(host, 1)
        if host.engine.spine.kill_switch.switch.state is TradingState.HALTED:
            break
    async with _client(host) as client:
        before = (await client.get("/pnl/status")).json()
    await host.stop("restart")

    # Act
    again = await start(config)
    async with _client(again) as client:
        after = (await client.get("/pnl/status")).json()
    await again.stop("test over")

    # Assert
    assert before["trading_state"] == "halted"
    [change] = before["days"][-1]["state_changes"]
    assert change["to_state"] == "halted"
    assert change["reason"].startswith("daily pnl: loss ")
    assert Decimal(before["days"][-1]["pnl"]) <= Decimal(-50)
    assert after["days"] == before["days"]
    assert after["loss_limit_usd"] == "50"


async def test_pnl_when_profit_target_reached_then_reducing_once_per_day(tmp_path: Path) -> None:
    # Arrange: hold a position, then let its mark rise (as the next bar's close would)
    host = await start(_config(tmp_path, profit_target_usd="10", on_profit_target="reduce"))
    engine = host.engine
    for _ in range(600):
        await run_steps(host, 1)
        if engine.spine.portfolio.has_open_positions():
            break
    (venue, symbol), *_ = engine.spine.portfolio.open_markets()
    mark = engine.spine.portfolio.mark_price(venue, symbol)
    assert mark is not None
    engine.spine.portfolio.mark(venue, symbol, mark * 2)

    # Act
    moved = await host.pnl_guard.check()
    await engine.spine.kill_switch.command(KillTrigger.ENABLE, "operator carries on")
    again = await host.pnl_guard.check()

    # Assert
    assert moved is not None
    assert moved.startswith("daily pnl: profit ")
    assert again is None  # acted on today already: the operator's ENABLE stands
    async with _client(host) as client:
        status = (await client.get("/pnl/status")).json()
    await host.stop("test over")
    assert status["days"][-1]["state_changes"][0]["to_state"] == "reducing"


async def test_stream_when_resumed_with_last_event_id_then_continues_after_it(
    tmp_path: Path,
) -> None:
    # Arrange
    host = await start(_config(tmp_path))
    await run_steps(host, 30)

    # Act
    async with _client(host) as client:
        first = _sse((await client.get("/events/stream", params={"limit": 3})).text)
        resumed = _sse(
            (
                await client.get(
                    "/events/stream",
                    params={"limit": 1},
                    headers={"Last-Event-ID": first[1]["id"]},
                )
            ).text
        )
        refused = await client.get("/events/stream", headers={"Last-Event-ID": "yesterday"})
    await host.stop("test over")

    # Assert
    assert resumed[0]["id"] == first[2]["id"]
    data = json.loads(first[0]["data"])
    assert data["seq"] == int(first[0]["id"])
    assert data["type"] == first[0]["event"]
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "last-event-id"


async def test_trading_state_when_reduce_then_reducing_and_409_when_halted(
    tmp_path: Path,
) -> None:
    host = await start(_config(tmp_path))
    async with _client(host) as client:
        reduced = await client.post("/trading-state/reduce", json={"reason": "wind down"})
        await client.post("/kill-switch/trip", json={"reason": "stop"})
        refused = await client.post("/trading-state/reduce", json={"reason": "again"})
        blank = await client.post("/trading-state/reduce", json={"reason": " "})
    await host.stop("test over")

    assert reduced.status_code == 200
    assert reduced.json()["state"] == "reducing"
    assert refused.status_code == 409
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "reason"


async def test_ready_when_loop_stalls_mid_run_then_503_naming_the_loop(tmp_path: Path) -> None:
    # Arrange: a run whose step never finishes recording (a hung store call, say)
    host = await start(_config(tmp_path))
    hung = asyncio.Event()
    stepped = asyncio.Event()

    async def hang(_: object) -> None:
        stepped.set()
        await hung.wait()

    run = asyncio.create_task(host.driver.run(hang))
    async with _client(host) as client:
        await stepped.wait()
        stepping = await client.get("/ready")
        assert isinstance(host.clock, SimulatedClock)
        host.clock.advance(4 * host.config.loop.interval_s)

        # Act
        stalled = await client.get("/ready")

    # Assert
    assert stepping.status_code == 200
    assert stalled.status_code == 503, stalled.text
    loop = stalled.json()["checks"]["loop"]
    assert loop["ok"] is False
    assert loop["detail"].startswith("stalled: no step for 240s")
    host.driver.stop()
    hung.set()
    await run
    await host.stop("test over")


async def test_stream_when_resumed_after_restart_then_continues_after_last_id(
    tmp_path: Path,
) -> None:
    # Arrange: read two events, restart the host
    config = _config(tmp_path)
    host = await start(config)
    await run_steps(host, 30)
    async with _client(host) as client:
        seen = _sse((await client.get("/events/stream", params={"limit": 2})).text)
        expected = _sse((await client.get("/events/stream", params={"limit": 3})).text)[2]
    await host.stop("restart")
    again = await start(config)

    # Act
    async with _client(again) as client:
        headers = {"Last-Event-ID": seen[-1]["id"]}
        resumed = _sse(
            (await client.get("/events/stream", params={"limit": 1}, headers=headers)).text
        )
    await again.stop("test over")

    # Assert
    assert resumed == [expected]


async def test_stream_when_nothing_happens_then_heartbeat(tmp_path: Path) -> None:
    host = await start(_config(tmp_path))
    head, _ = await host.store.head()
    stream = TradingService(host).stream(head, idle_s=0.05, poll_s=0.01)

    first = await anext(stream)
    await stream.aclose()
    await host.stop("test over")

    assert first is None  # the heartbeat: nothing after the head yet
