"""`aiswarm keys` as a user runs it: a key printed once and stored hashed, listed, revoked; and
`aiswarm run` refusing to start with no credential."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SECRET = "k" * 40


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env.update(extra)
    return env


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(
        f"state_dir: {tmp_path}/state\nstore:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n",
        encoding="utf-8",
    )
    return path


def _aiswarm(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=_env(**env),
        cwd=REPO,
        timeout=120,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert text in result.stderr


def test_keys_when_created_listed_revoked_then_stored_hashed_and_shown_once(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)

    made = _aiswarm(config, "keys", "new", "--name", "alice", "--scope", "admin")
    key = next(line for line in made.stdout.splitlines() if line.startswith("ais_"))
    key_id = key.split("_")[1]
    listed = _aiswarm(config, "keys", "list")
    revoked = _aiswarm(config, "keys", "revoke", key_id)
    listed_after = _aiswarm(config, "keys", "list")

    assert made.returncode == 0, made.stderr
    assert f"key id {key_id} for alice (scope admin):" in made.stdout
    assert listed.stdout.split()[:4] == [key_id, "alice", "admin", "live"]
    assert key not in listed.stdout
    assert revoked.stdout.strip() == f"revoked {key_id} (alice, scope admin)"
    assert "revoked by cli" in listed_after.stdout
    with sqlite3.connect(tmp_path / "events.db") as conn:
        payloads = " ".join(row[0] for row in conn.execute("select payload from events"))
    assert key.split("_", 2)[2] not in payloads, "the log never holds the key"
    assert key_id in payloads


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["keys", "new", "--name", "alice", "--scope", "root"], "--scope was 'root'; use read"),
        (["keys", "new", "--name", "bad name", "--scope", "read"], "principal name 'bad name'"),
        (["keys", "new", "--name", "runtime", "--scope", "trade"], "'runtime' is reserved"),
        (["keys", "new", "--name", "CLI", "--scope", "read"], "'CLI' is reserved"),
        (["keys", "revoke", "0123456789ab"], "no API key with id '0123456789ab'"),
    ],
)
def test_keys_when_bad_input_then_one_line_naming_it(
    tmp_path: Path, args: list[str], text: str
) -> None:
    _one_line(_aiswarm(_config(tmp_path), *args), text)


def test_run_when_no_credential_then_refuses_to_start_saying_how_to_make_one(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)

    refused = _aiswarm(config, "run", "--mode", "shadow", AIS_APPROVAL_SECRET=SECRET)

    _one_line(refused, "`aiswarm keys new --name NAME --scope admin`")
    with sqlite3.connect(tmp_path / "events.db") as conn:
        types = [row[0] for row in conn.execute("select type from events")]
    assert "runtime.started" not in types, "nothing starts without a credential"
