"""The `aiswarm` command as a user runs it: exit codes, one-line errors, a clean run and stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.store import open_event_store
from aiswarm.types import EventType

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k" * 40
_TRADING = "trading:\n  enable_at_start: true\n"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env.update(extra)
    return env


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(
        f"state_dir: {tmp_path}/state\n"
        f"store:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n{extra}",
        encoding="utf-8",
    )
    return path


def _aiswarm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        cwd=REPO,
        timeout=120,
        check=False,
    )


def _is_log_line(line: str) -> bool:
    """Return True for a JSON log line (docs/logging.md): `aiswarm run` logs on stderr too."""
    try:
        parsed = json.loads(line)
    except ValueError:
        return False
    return isinstance(parsed, dict) and {"event", "level", "logger"} <= parsed.keys()


def _assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    said = [line for line in result.stderr.strip().splitlines() if not _is_log_line(line)]
    assert len(said) == 1, result.stderr
    assert text in said[0]


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["config", "check"],
        ["events", "verify"],
        ["events", "list"],
        ["bench", "events"],
        ["bench", "cycle"],
        ["approvals", "public-key"],
    ],
)
def test_help_when_asked_then_every_command_explains_itself(command: list[str]) -> None:
    result = _aiswarm(*command, "--help")

    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_config_check_when_valid_then_prints_effective_config_with_secrets_redacted(
    tmp_path: Path,
) -> None:
    env = _env(AIS_APPROVAL_SECRET=GOOD_SECRET)

    result = _aiswarm("config", "check", "--config", str(_config(tmp_path)), "--json", env=env)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["effective"]["approval_secret"] == "(redacted)"
    assert GOOD_SECRET not in result.stdout
    assert report["store"]["head_seq"] == 0
    btc = report["feeds"]["BTC/USD"]
    assert (btc["format"], btc["bars"], btc["price_tick"], btc["price_decimals_source"]) == (
        "csv",
        3887,
        "0.01",
        "inferred",
    )


def test_config_check_when_unknown_key_then_exit_2_naming_key(tmp_path: Path) -> None:
    result = _aiswarm("config", "check", "--config", str(_config(tmp_path, "loop:\n  speeed: 2\n")))

    _assert_one_line_error(result, 2, "`loop.speeed` is not a known setting")


def test_config_check_when_live_without_secret_then_exit_2_naming_variable(
    tmp_path: Path,
) -> None:
    result = _aiswarm(
        "config", "check", "--config", str(_config(tmp_path)), env=_env(AIS_MODE="live")
    )

    _assert_one_line_error(result, 2, "AIS_APPROVAL_SECRET is not set and live mode needs it")


def test_config_check_when_secret_short_then_exit_2(tmp_path: Path) -> None:
    env = _env(AIS_API_KEY="tiny")

    result = _aiswarm("config", "check", "--config", str(_config(tmp_path)), env=env)

    _assert_one_line_error(result, 2, "AIS_API_KEY is 4 bytes; it must be at least 32")


def test_config_check_when_store_unreachable_then_exit_1_naming_store(tmp_path: Path) -> None:
    env = _env(AIS_STORE__URL="postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/test")

    result = _aiswarm("config", "check", "--config", str(_config(tmp_path)), env=env)

    _assert_one_line_error(result, 1, "127.0.0.1:1")
    assert "hunter2" not in result.stderr


def test_bench_cycle_when_symbols_not_a_number_then_exit_2_naming_option_and_value() -> None:
    result = _aiswarm("bench", "cycle", "--symbols", "100,lots")

    _assert_one_line_error(result, 2, "--symbols was '100,lots'; expected whole numbers")


def test_usage_when_option_unknown_then_one_line_exit_2_naming_option_and_help() -> None:
    result = _aiswarm("events", "list", "--store", "x")

    _assert_one_line_error(result, 2, "No such option: --store")
    assert "aiswarm events list --help" in result.stderr


def test_config_check_when_bad_mode_value_then_exit_2(tmp_path: Path) -> None:
    result = _aiswarm("config", "check", "--config", str(_config(tmp_path, "mode: yolo\n")))

    _assert_one_line_error(result, 2, "`mode` was 'yolo'")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _event_types(db: Path) -> list[str]:
    return _event_column(db, "type")


def _event_column(db: Path, column: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute(f"select {column} from events order by seq")]


def test_run_when_cycle_limit_then_trades_records_cycles_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, _TRADING + "loop:\n  interval_s: 60\n  speed: 6000\n")

    # 90 cycles: Kelly sizing trades only once an agent has a measured edge (about 01:20).
    result = _aiswarm("run", "--config", str(config), "--port", str(_free_port()), "--cycles", "90")

    assert result.returncode == 0, result.stderr
    assert "created a random secret" in result.stdout
    assert "cycle 90 2018-04-04" in result.stdout
    assert "feed BTC/USD: " in result.stdout
    assert "price tick 0.01 (inferred)" in result.stdout
    assert "created a new admin key for paper-admin in" in result.stdout
    types = _event_types(tmp_path / "events.db")
    assert types[:3] == [
        "access_key.created",
        "approval_key.rotated",
        "account.opened",
    ], "the first run's admin key, then generation 1's key check"
    assert "runtime.started" in types
    assert types.count("cycle.completed") == 90
    assert "order.submitted" in types
    assert "risk.decision" in types
    assert types[-1] == "runtime.stopped"
    accounts = set(_event_column(tmp_path / "events.db", "account"))
    assert accounts == {"access", "approval-keys", "host", "paper-1"}, (
        "keys, approval key checks, the process's records, the account"
    )
    verify = _aiswarm("events", "verify", "--db", f"sqlite:///{tmp_path}/events.db")
    assert verify.returncode == 0, verify.stderr

    again = _aiswarm("run", "--config", str(config), "--port", str(_free_port()), "--cycles", "5")

    assert again.returncode == 0, again.stderr
    assert "resumed account paper-1" in again.stdout
    assert "cycle 91 2018-04-04 01:31" in again.stdout
    assert "cycle 95 2018-04-04 01:35" in again.stdout
    after = _event_types(tmp_path / "events.db")
    assert after.count("account.opened") == 1
    assert after.count("cycle.completed") == 95


async def test_events_list_when_account_given_then_only_its_stream(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    clock = SimulatedClock(datetime(2024, 3, 1, tzinfo=UTC))
    async with await open_event_store(url, clock) as store:
        for i in range(5):
            account = "alice" if i % 2 else "bob"
            await store.append(EventType.ORDER_EVENT, {"i": i}, account=account)

    listed = _aiswarm("events", "list", "--db", url, "--account", "alice", "--json")
    shown = _aiswarm("events", "list", "--db", url, "--account", "alice")

    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(row["seq"], row["account"], row["payload"]) for row in rows] == [
        (2, "alice", {"i": 1}),
        (4, "alice", {"i": 3}),
    ]
    assert shown.returncode == 0, shown.stderr
    assert [line.split()[2] for line in shown.stdout.splitlines()] == ["alice", "alice"]


def test_run_when_sigterm_then_api_served_with_auth_and_stop_recorded(tmp_path: Path) -> None:
    port = _free_port()
    config = _config(tmp_path, _TRADING + "loop:\n  interval_s: 60\n  speed: 120\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiswarm.cli", "run", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "API did not come up in 30 s"
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        key = (tmp_path / "state" / "api_key").read_text(encoding="utf-8").strip()

        anonymous = httpx.get(f"{base}/status", timeout=5)
        wrong = httpx.get(f"{base}/status", headers={"Authorization": "Bearer nope"}, timeout=5)
        status = httpx.get(f"{base}/status", headers={"Authorization": f"Bearer {key}"}, timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)

    assert health.json()["status"] == "ok"
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert status.status_code == 200
    assert status.json()["mode"] == "paper"
    assert status.json()["trading_state"] == "active"
    assert proc.returncode == 0, stderr
    assert "stopped (signal SIGTERM)" in stdout
    assert _event_types(tmp_path / "events.db")[-1] == "runtime.stopped"


def test_config_check_when_agent_parameter_unknown_then_exit_2_naming_it(tmp_path: Path) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text(
        "agents:\n  - {name: ema_cross, id: x, params: {fsat: 3}}\n", encoding="utf-8"
    )
    env = _env(AIS_TRADING__AGENTS_FILE=str(agents))

    result = _aiswarm("config", "check", "--config", str(_config(tmp_path)), env=env)

    _assert_one_line_error(
        result, 2, "ema_cross parameter 'fsat' is unknown (did you mean 'fast'?)"
    )


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("--account", "bad name!"), "--account was 'bad name!'"),
        (("--account", "paper-9"), "account paper-9 is not in the store; add --new-account"),
    ],
    ids=["bad-name", "unknown-account"],
)
def test_run_when_account_option_wrong_then_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], text: str
) -> None:
    config = _config(tmp_path, _TRADING)

    result = _aiswarm("run", "--config", str(config), "--port", str(_free_port()), *args)

    _assert_one_line_error(result, 2, text)
