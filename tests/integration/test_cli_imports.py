"""Quick commands load no heavy library: a structural check, not a timed one.

`aiswarm --help`, `events list` and `events verify` should start in well under two seconds
(figures in docs/performance.md). What made them slow was importing libraries they never use,
so this asks the interpreter itself (`python -X importtime`) which modules each command loaded,
on a store that already exists (creating one runs the alembic migrations, which is fine).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import aiswarm.orchestration
import aiswarm.risk
from aiswarm.clock import SimulatedClock
from aiswarm.store import open_event_store
from aiswarm.types import EventType

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
HEAVY = (
    "statsmodels",
    "scipy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "alembic",
    "ccxt",
    "hyperliquid",
    "numpy",
    "fastapi",
    "uvicorn",
    "cryptography",
)


def _loaded_modules(*args: str) -> set[str]:
    """Run `aiswarm ARGS` under `-X importtime`; return every module name it imported."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "aiswarm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.fixture
async def store_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/events.db"
    clock = SimulatedClock(datetime(2024, 3, 1, tzinfo=UTC))
    async with await open_event_store(url, clock) as store:
        await store.append(EventType.ORDER_EVENT, {"qty": "0.5"}, account="acct-1")
    return url


@pytest.mark.parametrize(
    "args", [("--help",), ("events", "list", "--help"), ("events", "verify", "--help")]
)
def test_help_when_run_then_no_heavy_library_imported(args: tuple[str, ...]) -> None:
    # Act
    modules = _loaded_modules(*args)

    # Assert
    assert "typer" in modules
    assert _heavy(modules) == []


@pytest.mark.parametrize("command", ["list", "verify"])
def test_events_command_on_existing_store_then_no_heavy_library_imported(
    store_url: str, command: str
) -> None:
    # Act
    modules = _loaded_modules("events", command, "--db", store_url)

    # Assert
    assert "aiswarm.commands.events" in modules
    assert "sqlalchemy" in modules  # it did open the store
    assert _heavy(modules) == []
    assert "aiswarm.orchestration.coordinator" not in modules
    assert "aiswarm.risk.engine" not in modules


@pytest.mark.parametrize("room", [aiswarm.orchestration, aiswarm.risk])
def test_lazy_room_when_each_exported_name_asked_then_resolves(room: object) -> None:
    # Act
    names = {name: getattr(room, name) for name in room.__all__}  # type: ignore[attr-defined]

    # Assert
    assert all(value is not None for value in names.values())
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        room.Nope  # type: ignore[attr-defined]  # noqa: B018
