"""A paper host for integration tests: the shipped data, a SQLite file, a simulated clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aiswarm.clock import SimulatedClock
from aiswarm.config import AppConfig, load_config
from aiswarm.runtime import Host, StepReport
from aiswarm.runtime.access_keys import Scope

REPO = Path(__file__).resolve().parents[2]
SECRET = b"s" * 32
FIXED_NOTIONAL = {"mode": "fixed_notional", "fixed_notional_usd": "5000", "long_only": True}
"""Sizing that trades from the first agreeing signals, for tests of what happens to orders
(the shipped default, Kelly, waits for a measured edge)."""


def paper_config(tmp_path: Path, **sections: Any) -> AppConfig:
    """Return a paper config over the shipped feeds with a store in ``tmp_path``."""
    data: dict[str, Any] = {
        "state_dir": str(tmp_path / "state"),
        "data_dir": str(REPO / "backtest_data"),
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path}/events.db"},
        "trading": {
            "agents_file": str(REPO / "config" / "agents.yaml"),
            "mandates_dir": str(REPO / "mandates"),
            "enable_at_start": True,
        },
        "api": {"rate_limit": "100000/minute"},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    config_file = tmp_path / "aiswarm.yaml"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(config_file, environ={})


async def start(config: AppConfig, **options: Any) -> Host:
    """Start (recover) a host on a simulated pacing clock, its session running."""
    host = await Host.start(config, SECRET, clock_at=SimulatedClock, **options)
    await host.begin("test")
    return host


async def make_keys(host: Host, **scopes: str) -> dict[str, str]:
    """Create an API key per ``name=scope`` through the host's registry; return name -> key."""
    keys: dict[str, str] = {}
    for name, scope in scopes.items():
        _, keys[name] = await host.access.create(host.store, name, Scope(scope), "test")
    return keys


async def run_steps(host: Host, steps: int) -> list[StepReport]:
    """Run up to ``steps`` steps, checkpointing each as ``aiswarm run`` does."""
    reports: list[StepReport] = []

    async def record(report: StepReport) -> None:
        await host.record_step(report)
        reports.append(report)

    await host.driver.run(record, max_steps=steps)
    return reports


async def admin_key(host: Host, name: str = "alice") -> str:
    """Create an admin API key for principal ``name`` (the operator of API tests); return it."""
    return (await make_keys(host, **{name: "admin"}))[name]
