"""Logs are JSON lines with a trace id per cycle and per request, and never hold a secret.

A real `aiswarm run` trades paper cycles with known secrets (given through the environment)
and a daily-loss limit so tight that the first fills trip the kill switch: that cycle logs from
the kill-switch control, the flatten duty and the OMS, all under one cycle trace id. The whole
output, stdout and stderr, is then searched for the secrets. A request's trace id is checked
in-process: the caller's `X-Request-ID` is on the kill-switch line the request caused.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.monitoring.logs import configure_logging, redact
from aiswarm.runtime import TradingService
from kit.host import paper_config, start

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
APPROVAL_SECRET = "approval-secret-Zq8x!known-to-this-test-only-42"
API_KEY = "api-key-Wm3v#known-to-this-test-only-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Route this process's logging through the JSON setup into a buffer; undo afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging("INFO", stream=buffer)
    yield buffer
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_paper_run_when_logged_then_json_lines_traced_by_cycle_and_no_secret(
    tmp_path: Path,
) -> None:
    # Arrange
    config = tmp_path / "aiswarm.yaml"
    config.write_text(
        f"state_dir: {tmp_path}/state\n"
        f"store:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n"
        "trading:\n  enable_at_start: true\n"
        "  allocator:\n    mode: fixed_notional\n    fixed_notional_usd: 5000\n"
        "    long_only: true\n"
        "  risk:\n    max_daily_loss_frac: 0.00001\n    flatten_on_trip: true\n"
        "loop:\n  interval_s: 60\n  speed: 6000\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env |= {"AIS_APPROVAL_SECRET": APPROVAL_SECRET, "AIS_API_KEY": API_KEY}

    # Act
    ran = subprocess.run(
        [
            *(sys.executable, "-m", "aiswarm.cli", "run", "--config", str(config)),
            *("--port", str(_free_port()), "--cycles", "60"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )

    # Assert
    assert ran.returncode == 0, ran.stderr
    everything = ran.stdout + ran.stderr
    for secret in (APPROVAL_SECRET, API_KEY):
        assert secret not in everything
        assert secret[:16] not in everything, "not even a prefix of a secret"
    lines = [json.loads(line) for line in ran.stderr.splitlines() if line.strip()]
    assert lines, "the run logged nothing"
    assert all({"timestamp", "level", "logger", "event"} <= line.keys() for line in lines)
    by_trace: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        if str(line.get("trace_id", "")).startswith("cycle:"):
            by_trace[line["trace_id"]].add(line["logger"])
    tripped = [loggers for loggers in by_trace.values() if "aiswarm.execution.oms" in loggers]
    assert any(
        {"aiswarm.orchestration.kill_switch_control", "aiswarm.execution.oms"} <= loggers
        for loggers in tripped
    ), f"no cycle trace spans the kill switch and the OMS: {dict(by_trace)}"
    assert any(
        line["event"] == "alert notifier off: alerts.alertmanager_url is not set" for line in lines
    )


async def test_request_when_traced_then_its_log_lines_carry_the_callers_request_id(
    tmp_path: Path, json_logs: io.StringIO
) -> None:
    # Arrange
    redact([API_KEY])
    host = await start(paper_config(tmp_path), bootstrap_key=API_KEY)
    transport = httpx.ASGITransport(app=create_app(TradingService(host)))
    headers = {"Authorization": f"Bearer {API_KEY}", "X-Request-ID": "req-42"}

    # Act
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        answer = await client.post("/kill-switch/trip", json={"reason": f"key is {API_KEY}"})
        fresh = await client.get("/kill-switch", headers={"X-Request-ID": "bad id\twith tab"})
    await host.stop("test over")

    # Assert
    assert answer.status_code == 200
    assert answer.headers["X-Request-ID"] == "req-42"
    assert fresh.headers["X-Request-ID"] != "bad id\twith tab"
    records: list[dict[str, Any]] = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    trip = next(
        r for r in records if r["event"] == "kill switch changed" and r["trigger"] == "trip"
    )
    assert trip["trace_id"] == "req-42"
    assert API_KEY not in json_logs.getvalue()
    assert "[redacted]" in trip["reason"]
