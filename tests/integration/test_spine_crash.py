"""Crash tests: SIGKILL between approval and submit, and between submit and fill.

After a restart there must be no duplicate order, and positions must equal what the fills in
the event log imply.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("_spine_child.py")
REPO = Path(__file__).resolve().parents[2]


def _child(tmp_path: Path, crash_at: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(CHILD),
            str(tmp_path / "store.db"),
            str(tmp_path / "venue.db"),
            crash_at,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )


def _logged_position(store_db: Path) -> Decimal:
    total = Decimal(0)
    with sqlite3.connect(store_db) as conn:
        for (payload,) in conn.execute("SELECT payload FROM events WHERE type = 'order.event'"):
            fill = json.loads(payload).get("fill")
            if fill is not None:
                quantity = Decimal(fill["quantity"])
                total += quantity if fill["side"] == "buy" else -quantity
    return total


@pytest.mark.parametrize("crash_at", ["after_approval", "after_submit"])
def test_restart_when_killed_mid_order_then_one_order_and_positions_match_log(
    tmp_path: Path, crash_at: str
) -> None:
    # Arrange + Act 1: die mid-way
    crashed = _child(tmp_path, crash_at)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    # Act 2: restart and make the same decision again
    recovered = _child(tmp_path, "none")

    # Assert
    assert recovered.returncode == 0, recovered.stderr
    summary = json.loads(recovered.stdout)
    assert summary["venue_orders"] == 1
    assert summary["oms_orders"] == 1
    assert summary["status"] == "filled"
    assert Decimal(summary["position"]) == Decimal("0.25")
    assert Decimal(summary["venue_filled"]) == Decimal("0.25")
    assert _logged_position(tmp_path / "store.db") == Decimal("0.25")
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiswarm.cli",
            "events",
            "verify",
            "--db",
            f"sqlite:///{tmp_path}/store.db",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
