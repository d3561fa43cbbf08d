"""`aiswarm run`: start store, trading loop and API in one process; stop cleanly on a signal.

Paper mode replays the configured feeds through the full pipeline; shadow mode sends the same
orders to a record-only venue. Paper mode may create its secrets on first run (see
`config.credentials`). Live mode is refused here until live venue adapters exist; the message
says so rather than pretending. When a replay runs out of data the loop stops and the API stays
up until Ctrl-C, so the result can still be inspected.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import uvicorn
from rich.console import Console

from aiswarm.api import create_app
from aiswarm.config import AppConfig, load_config, resolve_secrets
from aiswarm.errors import ConfigError
from aiswarm.runtime import CycleReport, Platform
from aiswarm.runtime.session_state import SessionTrigger
from aiswarm.types import Mode

__all__ = ["run_platform"]


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


_RUNNABLE = (Mode.PAPER, Mode.SHADOW)


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us, so shutdown can be recorded."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _apply_overrides(config: AppConfig, mode: str | None, port: int | None) -> AppConfig:
    update: dict[str, object] = {}
    if mode is not None:
        try:
            update["mode"] = Mode(mode)
        except ValueError:
            raise ConfigError(f"--mode was {mode!r}; use paper or shadow") from None
    if port is not None:
        if not 1 <= port <= 65535:
            raise ConfigError(f"--port was {port}; use a TCP port from 1 to 65535")
        update["api"] = config.api.model_copy(update={"port": port})
    chosen = config.model_copy(update=update)
    if chosen.mode not in _RUNNABLE:
        raise ConfigError(
            f"mode {chosen.mode.value} cannot run yet: live venue adapters are not built; "
            f"use --mode paper or --mode shadow"
        )
    return chosen


async def run_platform(
    config_path: Path | None,
    mode: str | None,
    port: int | None,
    cycles: int | None,
    console: Console,
) -> None:
    """Run until a signal arrives or ``cycles`` cycles have run."""
    config = _apply_overrides(load_config(config_path), mode, port)
    resolved = resolve_secrets(config, create=True)
    config = resolved.config
    assert config.api_key is not None  # resolve_secrets guarantees both secrets
    for path in resolved.created:
        console.print(f"created a random secret in {path} (permissions 0600)")

    assert config.approval_secret is not None
    platform = await Platform.start(config, config.approval_secret.get_secret_value().encode())
    app = create_app(platform, config.api_key.get_secret_value())
    server = _QuietServer(
        uvicorn.Config(
            app, host=config.api.host, port=config.api.port, log_level="warning", lifespan="off"
        )
    )
    base = f"http://{config.api.host}:{config.api.port}"
    key_hint = resolved.sources["api_key"].removesuffix(" (created now)")
    status = platform.session.status()
    loop = config.loop
    agents = len(platform.session.desk.coordinator.agents)
    console.print(
        f"aiswarm {config.mode.value} mode: replaying {', '.join(status['symbols'])} from "
        f"{config.data_dir}/ with {agents} agents; one {loop.interval_s:g}s cycle every "
        f"{loop.interval_s / loop.speed:g} wall seconds (loop.speed x{loop.speed:g}); "
        f"events in {platform.store.url_for_display}"
    )
    console.print(f"trading state: {status['trading_state']}")
    console.print(f"API: {base}/health (public), {base}/docs; operator routes need the key:")
    console.print(f'  curl -H "Authorization: Bearer $(cat {key_hint})" {base}/status')

    async def report(cycle: CycleReport) -> None:
        await platform.record_cycle(cycle)
        counts = cycle.counts
        console.print(
            f"cycle {cycle.cycle} {platform.clock.now():%Y-%m-%d %H:%M} "
            f"| signals {counts.signals} | orders {counts.orders} "
            f"(total {platform.session.orders}) | NAV {_money(counts.nav)} "
            f"| PnL {_money(counts.pnl)} | {counts.trading_state}"
        )
        if counts.finished:
            console.print("replay finished: every bar has been traded; API stays up, Ctrl-C stops")

    await platform.change_state(SessionTrigger.START, f"aiswarm run --mode {config.mode.value}")
    loop_task = asyncio.create_task(platform.loop.run(report, max_cycles=cycles))
    server_task = asyncio.create_task(server.serve())
    stop_reason = "cycle limit reached"

    def on_signal(signum: int) -> None:
        nonlocal stop_reason
        stop_reason = f"signal {signal.Signals(signum).name}"
        server.should_exit = True
        platform.loop.stop()

    running_loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        running_loop.add_signal_handler(signum, on_signal, signum)
    try:
        await asyncio.wait({loop_task, server_task}, return_when=asyncio.FIRST_COMPLETED)
        if loop_task.done() and platform.loop.finished and cycles is None:
            stop_reason = "replay finished"
            await platform.change_state(SessionTrigger.FINISHED, stop_reason)
            await server_task  # keep serving until a signal stops the server
        if server_task.done() and stop_reason == "cycle limit reached" and not loop_task.done():
            stop_reason = "API server stopped"
        server.should_exit = True
        platform.loop.stop()
        await asyncio.gather(loop_task, server_task)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            running_loop.remove_signal_handler(signum)
        await platform.stop(stop_reason)
    console.print(f"stopped ({stop_reason}); events are in {platform.store.url_for_display}")
