"""Alerts reach a real Alertmanager, fire at a webhook, resolve, and can be acknowledged.

The test starts `prometheus-alertmanager` on a free loopback port (no cluster), routing every
alert to a webhook receiver served by the test on another loopback port, with short group
timings so notifications come within seconds. A paper host posts to it: an operator trips the
kill switch through the API, the next step finds KillSwitchTripped and TradingNotActive holding
and the webhook receives them firing; an operator acknowledges TradingNotActive through the API,
which creates an Alertmanager silence and records who did; after a reset and enable the next
step finds the conditions cleared and the webhook receives the resolved notification.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.runtime import TradingService
from kit.host import admin_key, paper_config, run_steps, start

pytestmark = pytest.mark.integration

_WAIT_S = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Webhook:
    """A webhook receiver on 127.0.0.1 that keeps every notification Alertmanager posts."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        received = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def seen(self, status: str, alertname: str) -> bool:
        return any(
            alert["status"] == status and alert["labels"]["alertname"] == alertname
            for note in self.notifications
            for alert in note["alerts"]
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[_Webhook]:
    hook = _Webhook()
    yield hook
    hook.close()


@pytest.fixture
async def alertmanager(tmp_path: Path, webhook: _Webhook) -> AsyncIterator[str]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary is not None, "Alertmanager is not installed; run `make tools`"
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        f"""
global:
  resolve_timeout: 1m
route:
  receiver: hook
  group_by: [alertname, account]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: {webhook.url}
        send_resolved: true
""",
        encoding="utf-8",
    )
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            await _until(lambda: _ready(client, url), "Alertmanager to start")
        yield url
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def _ready(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(f"{url}/-/ready")).status_code == 200
    except httpx.TransportError:
        return False


async def _until(check: Any, what: str) -> None:
    """Poll ``check`` (sync or async) until it is true; fail after ``_WAIT_S`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _WAIT_S
    while True:
        outcome = check()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        assert loop.time() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.2)


async def test_kill_switch_alert_when_tripped_acknowledged_and_reset_then_fires_silences_resolves(
    tmp_path: Path, alertmanager: str, webhook: _Webhook
) -> None:
    # Arrange
    config = paper_config(
        tmp_path, alerts={"alertmanager_url": alertmanager, "resend_s": 1, "attempts": 3}
    )
    host = await start(config)
    transport = httpx.ASGITransport(app=create_app(TradingService(host)))
    headers = {"Authorization": f"Bearer {await admin_key(host)}"}
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers) as api,
        httpx.AsyncClient(base_url=alertmanager) as am,
    ):
        await run_steps(host, 3)
        quiet = list(webhook.notifications)

        # Act: trip, step, wait for the firing notification
        await api.post("/kill-switch/trip", json={"reason": "alert test"})
        await run_steps(host, 1)
        await _until(lambda: webhook.seen("firing", "KillSwitchTripped"), "firing at the webhook")
        listed = (await api.get("/alerts")).json()

        # Act: acknowledge one alert through the API
        acknowledged = await api.post(
            "/alerts/TradingNotActive/acknowledge",
            json={"reason": "on it", "duration_s": 600},
        )
        silences = (await am.get("/api/v2/silences")).json()

        async def silenced() -> bool:
            alerts = (await am.get("/api/v2/alerts")).json()
            return any(
                alert["labels"]["alertname"] == "TradingNotActive"
                and alert["status"]["state"] == "suppressed"
                for alert in alerts
            )

        await _until(silenced, "Alertmanager to mark the acknowledged alert silenced")

        # Act: the condition clears
        await api.post("/kill-switch/reset", json={"reason": "checked"})
        await api.post("/kill-switch/enable", json={"reason": "back to work"})
        await run_steps(host, 1)
        await _until(lambda: webhook.seen("resolved", "KillSwitchTripped"), "the resolve")
        after = (await api.get("/alerts")).json()
        recorded = (
            await api.get("/events", params={"type": "alert.acknowledged", "limit": 10})
        ).json()
        changes = (await api.get("/events", params={"type": "alert.changed", "limit": 10})).json()
    await host.stop("test over")

    # Assert
    assert quiet == [], "no alert while trading is active"
    firing = next(
        alert
        for note in webhook.notifications
        for alert in note["alerts"]
        if alert["labels"]["alertname"] == "KillSwitchTripped"
    )
    assert firing["labels"]["account"] == host.engine.account
    assert firing["labels"]["severity"] == "critical"
    assert "kill switch tripped" in firing["annotations"]["summary"]
    assert {alert["alertname"] for alert in listed} == {"KillSwitchTripped", "TradingNotActive"}
    assert acknowledged.status_code == 200
    silence_id = acknowledged.json()["silence_id"]
    silence = next(s for s in silences if s["id"] == silence_id)
    assert silence["createdBy"] == "alice"
    assert {(m["name"], m["value"]) for m in silence["matchers"]} == {
        ("alertname", "TradingNotActive"),
        ("account", host.engine.account),
    }
    assert [event["payload"]["operator_id"] for event in recorded] == ["alice"]
    assert recorded[0]["payload"]["silence_id"] == silence_id
    assert after == []
    assert sorted((e["payload"]["alertname"], e["payload"]["status"]) for e in changes) == [
        ("KillSwitchTripped", "firing"),
        ("KillSwitchTripped", "resolved"),
        ("TradingNotActive", "firing"),
        ("TradingNotActive", "resolved"),
    ]
