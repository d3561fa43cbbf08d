"""`aiswarm reconcile` over a stored paper account: JSON, Markdown, and a clear refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.host import FIXED_NOTIONAL, SECRET, paper_config, run_steps, start

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _aiswarm(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env |= {"AIS_APPROVAL_SECRET": SECRET.decode(), "AIS_API_KEY": "k" * 40}
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )


async def test_reconcile_when_account_stored_then_report_recorded_as_json_and_markdown(
    tmp_path: Path,
) -> None:
    # Arrange
    config = paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL})
    host = await start(config)
    await run_steps(host, 60)
    await host.stop("before reconcile")
    config_file = str(tmp_path / "aiswarm.yaml")

    # Act
    as_json = _aiswarm("reconcile", "--config", config_file, "--json")
    as_markdown = _aiswarm("reconcile", "--config", config_file)

    # Assert
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["account"] == "paper-1"
    assert [s["section"] for s in report["sections"]] == ["orders", "positions", "balances"]
    assert report["mismatches"] == []
    assert report["action"] == "none"
    assert as_markdown.returncode == 0, as_markdown.stderr
    assert as_markdown.stdout.startswith("# Reconciliation recon-")
    again = await start(config)
    ids = [
        e.payload["report_id"]
        async for e in again.store.replay(types=["reconciliation.report"], account="paper-1")
    ]
    await again.stop("test over")
    assert report["report_id"] in ids


def test_reconcile_when_store_holds_no_account_then_one_line_exit_2(tmp_path: Path) -> None:
    paper_config(tmp_path)

    result = _aiswarm("reconcile", "--config", str(tmp_path / "aiswarm.yaml"))

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "holds no paper account" in result.stderr
