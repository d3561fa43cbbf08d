"""`aiswarm config check` and `aiswarm run` with mandate files: an invalid one stops start-up
with one line naming the file, the field and the reason, before anything is recorded."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kit.mandates import write_mandate

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, mandates: Path) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(
        f"state_dir: {tmp_path}/state\n"
        f"store:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n"
        f"trading:\n  enable_at_start: true\n  mandates_dir: {mandates}\n",
        encoding="utf-8",
    )
    return path


def _aiswarm(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env["AIS_APPROVAL_SECRET"] = "k" * 40
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", [["config", "check"], ["run", "--cycles", "3"]])
def test_start_when_mandate_field_invalid_then_exit_2_one_line_naming_file_and_field(
    tmp_path: Path, command: list[str]
) -> None:
    # Arrange
    path = write_mandate(tmp_path / "mandates", max_allocation_frac=25)

    # Act
    result = _aiswarm(*command, "--config", str(_config(tmp_path, tmp_path / "mandates")))

    # Assert
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"mandate file {path}: max_allocation_frac: max_allocation_frac was 25" in lines[0]
    assert "expected a fraction (0.05 means 5%)" in lines[0]


def test_run_when_mandate_invalid_then_nothing_recorded(tmp_path: Path) -> None:
    # Arrange
    write_mandate(tmp_path / "mandates", trading_window={"days": ["funday"]})

    # Act
    result = _aiswarm(
        "run", "--config", str(_config(tmp_path, tmp_path / "mandates")), "--cycles", "3"
    )

    # Assert
    assert result.returncode == 2, result.stderr
    assert "trading_window.days" in result.stderr
    database = tmp_path / "events.db"
    if database.exists():
        with sqlite3.connect(database) as connection:
            types = [row[0] for row in connection.execute("SELECT type FROM events")]
        assert "account.opened" not in types
        assert "order.submitted" not in types


def test_config_check_when_valid_then_lists_each_mandate_with_its_agents(tmp_path: Path) -> None:
    # Arrange
    write_mandate(tmp_path / "mandates")

    # Act
    result = _aiswarm(
        "config", "check", "--config", str(_config(tmp_path, tmp_path / "mandates")), "--json"
    )

    # Assert
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["mandates"]
    assert report["paper"]["status"] == "active"
    assert "ema-cross-btc" in report["paper"]["agents"]
