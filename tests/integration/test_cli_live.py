"""`aiswarm run --mode live` refuses to start, saying which precondition failed, one line each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
LIVE = """
live:
  enabled: {enabled}
  venues:
    binance: {{exchange: binance, testnet: true}}
  routes:
    - {{symbol: BTC/USDT, venue: binance}}
"""


def _run_live(tmp_path: Path, *, enabled: bool, **env: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "aiswarm.yaml"
    config.write_text(
        f"state_dir: {tmp_path}/state\n"
        f"store:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n"
        + LIVE.format(enabled=str(enabled).lower()),
        encoding="utf-8",
    )
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", "run", "--mode", "live", "--config", str(config)],
        capture_output=True,
        text=True,
        env=clean | env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_run_live_not_enabled_no_credentials_approval_asked_then_exit_2_one_line_each(
    tmp_path: Path,
) -> None:
    result = _run_live(tmp_path, enabled=False)

    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0] == "config error: live mode refused to start (3 unmet):"
    assert "live.enabled: true" in lines[1]
    assert "AIS_VENUE_BINANCE_API_KEY and AIS_VENUE_BINANCE_API_SECRET" in lines[2]
    # the shipped mandate asks for live approval, which no workflow can give yet
    assert "mandates/paper.yaml has live_requires_approval: true" in lines[3]
    assert len(lines) == 4


def test_run_live_enabled_without_secret_file_names_the_variable(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s" * 40, encoding="utf-8")
    secret.chmod(0o644)

    result = _run_live(
        tmp_path,
        enabled=True,
        AIS_VENUE_BINANCE_API_KEY="k" * 40,
        AIS_VENUE_BINANCE_API_SECRET_FILE=str(secret),
    )

    assert result.returncode == 2, result.stderr
    assert "AIS_VENUE_BINANCE_API_SECRET_FILE" in result.stderr
    assert "chmod 600" in result.stderr
    assert "s" * 40 not in result.stderr
