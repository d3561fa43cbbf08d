"""Crash-only: `kill -9` a paper or shadow session at seeded random moments, restart, lose nothing.

Each round starts `aiswarm run` as a child process over the shipped data at high speed (limit
orders that rest, so orders are working at most moments), SIGKILLs it after a seeded random
delay, then recovers the account in this process exactly as a start does and checks:

* every order the log shows working and acknowledged at the crash is still working after the
  restart, and nothing is working that was not working at the crash;
* positions equal what the logged fills imply.

After all rounds: the hash chain verifies and no client order id or approval nonce was ever
used twice. A second test trips the kill switch over the API, kills the process, and checks the
latch survives and no entry order is placed until an authorised reset.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.config import load_config
from aiswarm.risk import KillTrigger
from aiswarm.runtime import Host, TradingService
from kit.host import run_steps

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SECRET = "crash-test-approval-secret-0123456789"
API_KEY = "crash-test-operator-api-key-0123456789"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env["AIS_APPROVAL_SECRET"] = SECRET
    env["AIS_API_KEY"] = API_KEY
    return env


def _config(tmp_path: Path, mode: str, speed: int) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(
        f"mode: {mode}\n"
        f"state_dir: {tmp_path}/state\n"
        f"data_dir: {REPO}/backtest_data\n"
        f"store:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n"
        f"loop:\n  speed: {speed}\n  cancel_orders_on_stop: false\n"
        "trading:\n"
        f"  agents_file: {REPO}/config/agents.yaml\n"
        "  enable_at_start: true\n"
        "  order_ttl_s: 900\n"
        "  allocator:\n    order_type: limit\n    limit_offset_ticks: 200\n"
        "    max_position_frac_of_nav: 0.08\n",  # Kelly's size, under the order limit
        encoding="utf-8",
    )
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _child(config: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aiswarm.cli", "run", "--config", str(config), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=REPO,
    )


def _steps(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM events WHERE type = 'cycle.completed'"
            ).fetchone()
    except sqlite3.OperationalError:
        return 0  # the child has created the file but not yet its tables
    return int(count)


def _wait_for_step(db: Path, steps_before: int, child: subprocess.Popen[str]) -> None:
    """Wait until the child has taken a step of its own (start-up is slow on a busy machine)."""
    deadline = time.monotonic() + 60
    while _steps(db) <= steps_before and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)


def _submitted(db: Path) -> list[dict[str, object]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT payload FROM events WHERE type = 'order.submitted'")
        return [json.loads(payload) for (payload,) in rows]


def _logged_positions(db: Path) -> dict[str, Decimal]:
    held: Counter[str] = Counter()
    with sqlite3.connect(db) as conn:
        for (payload,) in conn.execute("SELECT payload FROM events WHERE type = 'order.event'"):
            fill = json.loads(payload).get("fill")
            if fill is not None:
                quantity = Decimal(fill["quantity"])
                held[fill["symbol"]] += quantity if fill["side"] == "buy" else -quantity
    return dict(held)


async def _recover_and_check(config_path: Path, db: Path) -> tuple[int, int]:
    """Recover the account as a start does; check open orders and positions; 'crash' again."""
    config = load_config(config_path, environ=_env())
    host = await Host.start(config, SECRET.encode(), clock_at=SimulatedClock)
    engine = host.engine
    oms = engine.spine.oms
    at_crash = set(host.recovered.open_before_reconcile)
    # A cancel asked before the crash is asked again at the restart, so only the orders that
    # were acknowledged and not being cancelled must still be working.
    cancelling = set(host.recovered.cancel_asked_before_reconcile)
    acknowledged = {
        cid
        for cid in at_crash - cancelling
        if oms.orders[cid].venue_order_id is not None  # type: ignore[index]
    }
    after = {order.client_order_id for order in oms.open_orders()}
    logged = _logged_positions(db)
    held = {
        position["symbol"]: Decimal(position["quantity"])
        for position in TradingService(host).positions()
    }
    await host.store.close()  # no stop record: as if killed again right after recovering

    assert acknowledged <= after, "a working order was lost across the restart"
    assert after <= at_crash, "an order is working that was not working at the crash"
    for symbol, quantity in logged.items():
        assert held.get(symbol, Decimal(0)) == quantity, symbol
    return len(at_crash), len(after)


@pytest.mark.parametrize(("mode", "kills", "seed"), [("paper", 12, 11), ("shadow", 10, 23)])
def test_kill9_when_at_random_moments_then_restart_loses_and_duplicates_nothing(
    tmp_path: Path, mode: str, kills: int, seed: int
) -> None:
    config = _config(tmp_path, mode, speed=20_000)
    db = tmp_path / "events.db"
    chance = random.Random(seed)
    working_at_crash = 0

    for _ in range(kills):
        steps_before = _steps(db)
        child = _child(config, _free_port())
        try:
            _wait_for_step(db, steps_before, child)
            time.sleep(chance.uniform(0.0, 1.5))
        finally:
            child.send_signal(signal.SIGKILL)
            _, stderr = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, stderr
        assert "Traceback" not in stderr, stderr
        if db.exists():
            open_at_crash, _ = asyncio.run(_recover_and_check(config, db))
            working_at_crash += open_at_crash

    submitted = _submitted(db)
    ids = Counter(str(p["spec"]["client_order_id"]) for p in submitted)  # type: ignore[index]
    nonces = Counter(str(p["approval"]["nonce"]) for p in submitted)  # type: ignore[index]
    verify = subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", "events", "verify", "--db", f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with sqlite3.connect(db) as conn:
        stamps = conn.execute("SELECT account, ts_ns FROM events ORDER BY seq").fetchall()
    latest: dict[str, int] = {}
    for account, ts_ns in stamps:
        assert ts_ns >= latest.get(account, 0), f"time went back in {account}'s stream"
        latest[account] = ts_ns
    assert submitted, "the sessions placed orders"
    assert max(ids.values()) == 1, "a client order id was submitted twice"
    assert max(nonces.values()) == 1, "an approval nonce was used twice"
    assert working_at_crash > 0, "some kills must land while orders are working"


def _trip_then_kill(config_path: Path) -> None:
    """Run a paper session, trip its kill switch over the API, then SIGKILL it."""
    port = _free_port()
    child = _child(config_path, port)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        tripped = httpx.post(
            f"{base}/kill-switch/trip", json={"reason": "operator stop"}, headers=headers
        )
        assert tripped.status_code == 200, tripped.text
        time.sleep(0.5)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)


async def _restart_trade_reset(
    config_path: Path, db: Path, submitted_before: int
) -> tuple[dict[str, object], list[dict[str, object]], dict[str, object]]:
    config = load_config(config_path, environ=_env())
    host = await Host.start(config, SECRET.encode(), clock_at=SimulatedClock, bootstrap_key=API_KEY)
    service = TradingService(host)
    await host.begin("restart after crash")
    state_at_restart = service.kill_switch()
    await run_steps(host, 120)
    entries_while_latched = [
        p
        for p in _submitted(db)[submitted_before:]
        if not p["spec"]["reduce_only"]  # type: ignore[index]
    ]
    await service.command_kill_switch(KillTrigger.RESET, "reviewed", "bootstrap")
    await service.command_kill_switch(KillTrigger.ENABLE, "back to work", "bootstrap")
    state_after_reset = service.kill_switch()
    await host.stop("test over")
    return state_at_restart, entries_while_latched, state_after_reset


def test_kill9_when_kill_switch_tripped_then_latch_survives_until_authorised_reset(
    tmp_path: Path,
) -> None:
    # Arrange: a running paper session, tripped over the API, then killed
    config_path = _config(tmp_path, "paper", speed=600)
    db = tmp_path / "events.db"
    _trip_then_kill(config_path)
    submitted_before = len(_submitted(db))

    # Act: restart, trade 120 more bars, then an authorised reset and enable
    at_restart, entries, after_reset = asyncio.run(
        _restart_trade_reset(config_path, db, submitted_before)
    )

    # Assert
    assert at_restart == {"state": "halted", "latched": True, "flatten_owed": False}
    assert entries == []
    assert after_reset == {"state": "active", "latched": False, "flatten_owed": False}
    with sqlite3.connect(db) as conn:
        changes = [
            json.loads(payload)["trigger"]
            for (payload,) in conn.execute(
                "SELECT payload FROM events WHERE type = 'kill_switch.changed' ORDER BY seq"
            )
        ]
    assert changes == ["enable", "trip", "reset", "enable"], "no ENABLE recorded by a restart"
