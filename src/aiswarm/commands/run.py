"""`aiswarm run`: recover the account, run its engine and the API; stop cleanly on a signal.

Paper mode replays the configured feeds through the trading engine; shadow mode sends the same
orders to a record-only venue. Starting is recovering: the account resumes from the log (see
``runtime.composition``), and ``--new-account`` opens a fresh one. Paper mode may create its
secrets on first run (see `config.credentials`), and its first run an admin API key
(``commands.keys.ensure_credential``); with no API credential the server refuses to start.
Live mode runs the same engine on the ccxt venue the config routes to, and refuses to start,
one line per reason, unless live trading is enabled, the venue's credentials are present and
reconciliation at start is clean (``runtime.live``). When a replay runs out of data the engine
stops stepping and the API stays up until Ctrl-C, so the result can still be inspected.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import uvicorn
from rich.console import Console

from aiswarm.api import create_app
from aiswarm.clock import from_ns
from aiswarm.commands.keys import ensure_credential
from aiswarm.config import AppConfig, load_config, resolve_secrets
from aiswarm.config.secret_bytes import secret_bytes
from aiswarm.errors import ConfigError
from aiswarm.market import FeedRegistry, FeedSchema
from aiswarm.monitoring.logs import configure_logging, redact
from aiswarm.runtime import Host, StepReport, TradingService
from aiswarm.runtime.composition import load_agents, load_mandates
from aiswarm.runtime.live import LiveRefused, start_failures, steps_on_venue_data
from aiswarm.types import TRADING_MODES, Mode
from aiswarm.types.money import money_text

__all__ = ["RunOptions", "run_platform"]

_NS = 1_000_000_000


@dataclass(frozen=True)
class RunOptions:
    """The command line's choices: mode and port overrides, a step limit, the account."""

    mode: str | None = None
    port: int | None = None
    cycles: int | None = None
    new_account: bool = False
    account: str | None = None


def _money(value: Decimal | None) -> str:
    """Return an amount of the account's currency (USD: the risk limits' unit) to the cent."""
    return "-" if value is None else money_text(value, 2)


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
            raise ConfigError(f"--mode was {mode!r}; use paper, shadow or live") from None
    if port is not None:
        if not 1 <= port <= 65535:
            raise ConfigError(f"--port was {port}; use a TCP port from 1 to 65535")
        update["api"] = config.api.model_copy(update={"port": port})
    chosen = config.model_copy(update=update)
    if chosen.mode not in TRADING_MODES:
        raise ConfigError(
            f"mode {chosen.mode.value} runs with `aiswarm backtest`; use paper, shadow or live"
        )
    return chosen


async def funding_lines(feeds: FeedRegistry) -> list[str]:
    """Say, per funding feed, how many of its rates settle while its symbol's bars replay.

    Rates settled after the last bar's close are never stepped (docs/configuration.md), so a
    funding file from other dates than the bars reaches no agent: this says so at once, and
    says NOT COVERED when none of a file's rates falls in the replay window.
    """
    specs = feeds.list()
    lines: list[str] = []
    for spec in specs:
        if spec.feed_id.schema is not FeedSchema.FUNDING or spec.coverage is None:
            continue
        feed_id = spec.feed_id
        bar_spec = next(
            bars
            for bars in specs
            if bars.feed_id.schema is FeedSchema.BARS
            and (bars.feed_id.venue, bars.feed_id.symbol) == (feed_id.venue, feed_id.symbol)
        )
        # Funding is registered only for a fed symbol, whose bar feed has coverage and interval.
        assert bar_spec.coverage is not None
        assert bar_spec.feed_id.interval_s is not None
        last_close = bar_spec.coverage.last_ts_ns + bar_spec.feed_id.interval_s * _NS
        stepped = 0
        async for batch in feeds.get(feed_id).history(0, last_close + 1, 10_000):
            stepped += len(batch)
        coverage = spec.coverage
        rates = (
            f"{coverage.records} rates "
            f"{from_ns(coverage.first_ts_ns):%Y-%m-%d}..{from_ns(coverage.last_ts_ns):%Y-%m-%d}"
        )
        if stepped == 0:
            first_open = bar_spec.coverage.first_ts_ns
            lines.append(
                f"  funding {feed_id.symbol}: NOT COVERED: its {rates} all settle outside the "
                f"replay window {from_ns(first_open):%Y-%m-%d %H:%M}.."
                f"{from_ns(last_close):%Y-%m-%d %H:%M}, so the funding agent receives no rate; "
                "give paper.funding a file of the bars' dates (docs/configuration.md)"
            )
            continue
        lines.append(
            f"  funding {feed_id.symbol}: {rates}, {stepped} of them while its bars replay (to "
            f"{from_ns(last_close):%Y-%m-%d %H:%M})"
        )
    return lines


def status_line(report: StepReport, total_orders: int) -> str:
    """Return the one line printed per step."""
    return (
        f"cycle {report.step} {from_ns(report.now_ns):%Y-%m-%d %H:%M} "
        f"| signals {report.signals} | orders {report.orders} (total {total_orders}) "
        f"| NAV {_money(report.nav)} | PnL {_money(report.pnl)} | {report.trading_state}"
        + (" | paused" if report.session == "paused" else "")
    )


async def run_platform(config_path: Path | None, options: RunOptions, console: Console) -> None:
    """Run until a signal arrives or ``options.cycles`` steps have run."""
    config = _apply_overrides(load_config(config_path), options.mode, options.port)
    if config.mode is Mode.LIVE:
        failures = start_failures(config)  # before the secrets, so every reason shows at once
        if failures:
            raise LiveRefused(failures)
    # The files the engine is built from: a mistake in one is one line, before anything opens.
    load_agents(config)
    load_mandates(config)
    resolved = resolve_secrets(config, create=True)
    config = resolved.config
    assert config.approval_secret is not None  # resolve_secrets guarantees it
    bootstrap = None if config.api_key is None else config.api_key.get_secret_value()
    redact([config.approval_secret.get_secret_value()] + ([bootstrap] if bootstrap else []))
    for path in resolved.created:
        console.print(f"created a random secret in {path} (permissions 0600)")
    credential, key_file = await ensure_credential(config)  # no credential: no start
    if credential.startswith("a new"):
        console.print(f"created {credential} in {key_file} (permissions 0600)")
    if key_file is not None:
        redact([key_file.read_text(encoding="utf-8").strip()])  # the paper admin key
    # JSON lines on stderr from here on, with the secrets scrubbed (docs/logging.md); not
    # before, so a start refused above is the one line that says why.
    configure_logging(config.log.level)

    host = await Host.start(
        config,
        secret_bytes(config.approval_secret),
        account=options.account,
        new_account=options.new_account,
        bootstrap_key=bootstrap,
    )
    engine = host.engine
    service = TradingService(host)
    app = create_app(service)
    server = _QuietServer(
        uvicorn.Config(
            app,
            host=config.api.host,
            port=config.api.port,
            log_level="warning",
            log_config=None,  # uvicorn's lines go through our JSON setup too
            lifespan="off",
        )
    )
    base = f"http://{config.api.host}:{config.api.port}"
    loop = config.loop
    how = "opened a new account" if host.opened else "resumed account"
    if steps_on_venue_data(config):
        console.print(
            f"aiswarm {config.mode.value} mode: {how} {engine.account}; trading "
            f"{', '.join(engine.market.symbols)} at {engine.venue.venue_id} with "
            f"{len(engine.coordinator.agents)} agents; one step per "
            f"{config.live.bar_interval_s}s bar; events in {host.store.url_for_display}"
        )
    else:
        console.print(
            f"aiswarm {config.mode.value} mode: {how} {engine.account}; replaying "
            f"{', '.join(engine.market.symbols)} from {config.data_dir}/ with "
            f"{len(engine.coordinator.agents)} agents; one {loop.interval_s:g}s bar every "
            f"{loop.interval_s / loop.speed:g} wall seconds (loop.speed x{loop.speed:g}); "
            f"events in {host.store.url_for_display}"
        )
    for loaded in host.feed_files.values():
        console.print(f"  feed {loaded.bars.symbol}: {loaded.describe()}", markup=False)
    for line in await funding_lines(host.feeds):
        console.print(line, markup=False)
    if not host.opened:
        console.print(
            f"  at step {engine.steps}: cash {_money(engine.spine.portfolio.cash)}, "
            f"{engine.spine.oms.activity.open_orders_count} open orders, session "
            f"{engine.session.value}; a fresh account needs --new-account"
        )
    switch = engine.spine.kill_switch.switch
    console.print(
        f"trading state: {switch.state.value}" + (" (latched)" if switch.is_latched() else "")
    )
    console.print(f"API: {base}/health (public), {base}/docs; every other route needs a key:")
    key_text = f"$(cat {key_file})" if key_file is not None else "<key from aiswarm keys new>"
    console.print(f'  curl -H "Authorization: Bearer {key_text}" {base}/status')

    async def report(step: StepReport) -> None:
        await host.record_step(step)
        console.print(status_line(step, engine.orders))

    await host.begin(f"aiswarm run --mode {config.mode.value}")
    driver = host.driver
    loop_task = asyncio.create_task(driver.run(report, max_steps=options.cycles))
    server_task = asyncio.create_task(server.serve())
    stop_reason = "cycle limit reached"

    def on_signal(signum: int) -> None:
        nonlocal stop_reason
        stop_reason = f"signal {signal.Signals(signum).name}"
        server.should_exit = True
        driver.stop()

    running_loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        running_loop.add_signal_handler(signum, on_signal, signum)
    try:
        await asyncio.wait({loop_task, server_task}, return_when=asyncio.FIRST_COMPLETED)
        if loop_task.done() and driver.finished and options.cycles is None:
            stop_reason = "replay finished"
            console.print(
                f"replay finished after {engine.steps} cycles: every bar has been traded; "
                "API stays up, Ctrl-C stops"
            )
            await server_task  # keep serving until a signal stops the server
        if server_task.done() and stop_reason == "cycle limit reached" and not loop_task.done():
            stop_reason = "API server stopped"
        server.should_exit = True
        driver.stop()
        await asyncio.gather(loop_task, server_task)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            running_loop.remove_signal_handler(signum)
        await host.stop(stop_reason)
    console.print(
        f"stopped ({stop_reason}) after {engine.steps} cycles; events are in "
        f"{host.store.url_for_display}"
    )
