"""A process killed with SIGKILL mid-append loses no acknowledged event and leaves a valid chain.

The child appends from 8 tasks and prints ``ACK <seq> <hash>`` only after each append
resolved; the parent kills it after a few thousand acknowledgements, at a different moment on
each run, then reopens the file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.store import open_event_store

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("_event_appender_child.py")
TIME_LIMIT_S = 60


def run_child_until_acks(path: Path, wanted: int) -> dict[int, str]:
    """Run the child until it acknowledged ``wanted`` appends, SIGKILL it, return the ACKs."""
    acks: dict[int, str] = {}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with subprocess.Popen(
        [sys.executable, str(CHILD), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        # The watchdog kills a child that hangs, which ends readline() with EOF.
        watchdog = threading.Timer(TIME_LIMIT_S, child.kill)
        watchdog.start()
        try:
            assert child.stdout is not None
            for line in child.stdout:
                word, seq, hash_hex = line.split()
                assert word == "ACK"
                acks[int(seq)] = hash_hex
                if len(acks) >= wanted:
                    break
            child.send_signal(signal.SIGKILL)
            _, errors = child.communicate(timeout=TIME_LIMIT_S)
        finally:
            watchdog.cancel()
            if child.poll() is None:
                child.kill()
    assert child.returncode == -signal.SIGKILL, f"child ended on its own: {errors}"
    assert len(acks) >= wanted, f"child stopped after {len(acks)} acknowledgements: {errors}"
    return acks


@pytest.mark.parametrize("wanted", [2_000, 2_357, 3_001])
async def test_append_when_killed_then_every_acknowledged_event_survives(
    tmp_path: Path, wanted: int
) -> None:
    path = tmp_path / "events.db"

    acks = run_child_until_acks(path, wanted)

    clock = SimulatedClock(datetime(2024, 3, 1, tzinfo=UTC))
    async with await open_event_store(f"sqlite:///{path}", clock) as store:
        report = await store.verify()
        stored = {event.seq: event.hash async for event in store.replay()}
    assert report.ok, report.reason
    missing = {seq for seq in acks if stored.get(seq) != acks[seq]}
    assert not missing, f"acknowledged but lost or changed: {sorted(missing)[:10]}"
    assert report.checked >= max(acks)
