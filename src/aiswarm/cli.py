"""The `aiswarm` command line: thin commands that build config, call the runtime, print.

This is the one place where errors become exit codes: a user mistake or a refusal prints one
line to stderr and exits non-zero (2 for configuration, 1 otherwise); only a bug shows a
traceback. Heavy imports happen inside the commands so `--help` stays fast.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.exceptions import TyperException

from aiswarm.errors import AiswarmError, ConfigError

__all__ = ["app", "main"]

app = typer.Typer(
    help="aiswarm: risk-governed multi-agent crypto trading.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Inspect and validate configuration.", no_args_is_help=True)
events_app = typer.Typer(help="Read and verify the event store.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks (figures go in docs/performance.md).", no_args_is_help=True
)
app.add_typer(config_app, name="config")
app.add_typer(events_app, name="events")
app.add_typer(bench_app, name="bench")
approvals_app = typer.Typer(
    help="Approval keys: what a third party verifies approvals with.", no_args_is_help=True
)
app.add_typer(approvals_app, name="approvals")
keys_app = typer.Typer(
    help="API keys (principals with scopes) and approval key rotation.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
streams_app = typer.Typer(
    help="The bus's streams on Redis: pending deliveries, dead letters, requeue (docs/bus.md).",
    no_args_is_help=True,
)
app.add_typer(streams_app, name="streams")
market_data_app = typer.Typer(
    help="The market-data service: publish bars on the bus, or follow a feed (docs/bus.md).",
    no_args_is_help=True,
)
app.add_typer(market_data_app, name="market-data")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="YAML config file (default: AIS_CONFIG or config/aiswarm.yaml)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]

# Options shared by `backtest` and `optimize`.
DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        help="Bar file: CSV, ccxt/freqtrade JSON, feather, parquet or Lean zip (detected).",
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format", help="Read --data as csv, json, feather, parquet or lean-zip [default: detect]."
    ),
]
PriceDecimalsOption = Annotated[
    int | None,
    typer.Option(
        "--price-decimals",
        min=0,
        max=18,
        help="Round prices to this many decimals (2: tick 0.01) [default: inferred from data].",
    ),
]
VolumeDecimalsOption = Annotated[
    int | None,
    typer.Option(
        "--volume-decimals",
        min=0,
        max=18,
        help="Round volumes to this many decimals [default: inferred from data].",
    ),
]
AgentOption = Annotated[str, typer.Option("--agent", help="Agent name, e.g. ema_cross.")]
SymbolOption = Annotated[str, typer.Option("--symbol", help="Symbol the data is for.")]
VenueOption = Annotated[str, typer.Option("--venue", help="Venue id for the simulation.")]
CashOption = Annotated[str, typer.Option("--cash", help="Starting cash (quote units).")]
FeeOption = Annotated[str, typer.Option("--fee", help="Fee fraction per fill (0.001 = 0.1%).")]
SizingOption = Annotated[
    str, typer.Option("--sizing", help="fixed_notional, fixed_quantity or kelly.")
]
NotionalOption = Annotated[
    str, typer.Option("--notional", help="Position size for fixed_notional.")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write report.html, PNG plots and JSON here.")
]


def _print_json(data: Any) -> None:
    from aiswarm.commands.readable import json_text

    sys.stdout.write(json_text(data) + "\n")


def _show(report: Any, as_json: bool) -> None:
    """Print a command's report: plain JSON with --json, coloured JSON otherwise."""
    from aiswarm.commands.readable import json_text

    if as_json:
        _print_json(report)
    else:
        out.print_json(json_text(report))


@app.command()
def version() -> None:
    """Print the aiswarm version."""
    from aiswarm import __version__

    out.print(__version__)


@config_app.command("check")
def config_check(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Validate the configuration, reach the store, and print the effective config (secrets
    redacted). Exits non-zero, naming the key and the fix, when anything is wrong."""
    from aiswarm.commands.config_check import check_config

    report = asyncio.run(check_config(config))
    if as_json:
        _print_json(report)
        return
    out.print(f"[green]config OK[/green] ({report['config_file']})")
    out.print_json(data=report["effective"])
    for name, source in report["secrets"].items():
        out.print(f"secret {name}: {source}")
    out.print(f"store reachable: {report['store']['url']} (head seq {report['store']['head_seq']})")
    out.print(f"agents: {', '.join(report['agents'])}")
    for symbol, data in report["feeds"].items():
        out.print(f"feed {symbol}: {data['note']}", markup=False)


@events_app.command("verify")
def events_verify(
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL (default: store.url from config).")
    ] = None,
    expect_head: Annotated[
        str | None,
        typer.Option("--expect-head", help="Hash the last record must have (pinned earlier)."),
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Walk the hash chain; exit 1 naming the first bad sequence number."""
    from aiswarm.commands.events import verify_chain

    report = asyncio.run(verify_chain(db, config, expect_head))
    if as_json:
        _print_json(report)
    elif report["ok"]:
        out.print(
            f"[green]chain OK[/green]: {report['checked']} events, head {report['head_hash']}"
        )
    else:
        err.print(
            f"chain BROKEN at seq {report['first_bad_seq']}: {report['reason']}", markup=False
        )
    if not report["ok"]:
        raise typer.Exit(1)


@events_app.command("list")
def events_list(
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL (default: store.url from config).")
    ] = None,
    event_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only this event type (repeatable).")
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's stream.")
    ] = None,
    after_seq: Annotated[int, typer.Option("--after-seq", min=0)] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print events in sequence order (decimals plain; --json prints payloads as recorded).

    An event carrying an approval (risk.decision, order.submitted) first names the key that
    signed it: ``[key approval-2]``.
    """
    from aiswarm.commands.events import list_events
    from aiswarm.commands.readable import payload_text, signed_by

    rows = asyncio.run(list_events(db, config, event_type, after_seq, limit, account))
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        out.print(
            f"{row['seq']:>8} {row['time']} {row['account'] or '-':<16} {row['type']:<24} "
            f"{signed_by(row['payload'])}{payload_text(row['payload'])}",
            markup=False,
        )


@approvals_app.command("public-key")
def approvals_public_key(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Print the Ed25519 public key approvals are signed with now (trading.approval_algorithm:
    ed25519), after any rotation, then the older keys not yet retired; `run` records each."""
    from aiswarm.commands.approvals import approval_public_key

    key = asyncio.run(approval_public_key(config))
    if as_json:
        _print_json(key)
        return
    out.print(
        f"key id {key['key_id']} (generation {key['generation']}, {key['algorithm']}) signs, "
        f"from {key['source']}",
        markup=False,
    )
    out.print(f"public key (32 bytes, hex): {key['public_key']}", markup=False)
    out.print(key["pem"].rstrip("\n"), markup=False)
    for older in key["verifying"]:
        out.print(
            f"still verifying until retired: key id {older['key_id']} "
            f"(generation {older['generation']}), public key {older['public_key']}",
            markup=False,
        )


TopicOption = Annotated[
    str | None, typer.Option("--topic", help="Only this topic, e.g. md.coinbase.BTC/USD.1m.")
]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many.")]


@streams_app.command("pending")
def streams_pending(
    topic: TopicOption = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List deliveries not yet acknowledged: consumer, idle time, deliveries, last error."""
    from aiswarm.commands.streams import pending

    rows = asyncio.run(pending(config, topic, limit))
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no pending deliveries")
    for row in rows:
        out.print(
            f"{row['topic']} group {row['group']} consumer {row['consumer']} id "
            f"{row['message_id']}: {row['deliveries']} deliveries, idle {row['idle_ms']} ms"
            + (f", last error: {row['last_error']}" if row["last_error"] else ""),
            markup=False,
        )


@streams_app.command("dlq")
def streams_dlq(
    limit: LimitOption = 100, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """List dead letters, oldest first, each with the error that put it there."""
    from aiswarm.commands.streams import dead_letters

    rows = asyncio.run(dead_letters(config, limit))
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no dead letters")
    for row in rows:
        out.print(
            f"{row['dead_letter_id']} {row['topic']} group {row['group']} after "
            f"{row['deliveries']} deliveries: {row['error']}",
            markup=False,
        )


@streams_app.command("requeue")
def streams_requeue(
    dead_letter_id: Annotated[str, typer.Argument(help="The id `aiswarm streams dlq` lists.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it goes back (recorded).")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Put a dead letter back on its topic for its group; the event store records it."""
    from aiswarm.commands.streams import requeue

    result = asyncio.run(requeue(config, dead_letter_id, reason))
    if as_json:
        _print_json(result)
        return
    out.print(
        f"requeued {result['dead_letter_id']} on {result['topic']} for group {result['group']} "
        f"as {result['message_id']}",
        markup=False,
    )


@market_data_app.command("run")
def market_data_run(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Publish every configured feed's bars and indicators to md.<venue>.<symbol>.<timeframe>
    on bus.url (paper and shadow: the files replayed at loop.speed) until they end or Ctrl-C."""
    from aiswarm.commands.market_data import publish_market_data

    report = asyncio.run(publish_market_data(config, lambda line: err.print(line, markup=False)))
    if as_json:
        _print_json(report)
        return
    for feed_id, count in report["published"].items():
        out.print(f"published {count} bars of {feed_id}", markup=False)


@market_data_app.command("tail")
def market_data_tail(
    feed: Annotated[str, typer.Option("--feed", help="Feed id, e.g. coinbase:BTC/USD:1m.")],
    group: Annotated[
        str, typer.Option("--group", help="Consumer group (each group gets every bar).")
    ] = "tail",
    consumer: Annotated[str, typer.Option("--consumer", help="Consumer name in the group.")] = (
        "tail-1"
    ),
    count: Annotated[int, typer.Option("--count", min=1, help="Stop after this many bars.")] = 10,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Follow a feed's bars on the bus as a consumer group; print each (acknowledged after).
    With --json, one JSON object per line."""
    from aiswarm.clock import from_ns
    from aiswarm.commands.market_data import MarketBar, tail_bars

    def show(bar: MarketBar) -> None:
        if as_json:  # one JSON object per line, so a reader can follow the stream
            sys.stdout.write(bar.model_dump_json() + "\n")
            sys.stdout.flush()
            return
        values = " ".join(
            f"{name} {value:.6g}" for name, value in bar.indicators.items() if value is not None
        )
        out.print(
            f"{from_ns(bar.bar.ts_ns):%Y-%m-%d %H:%M} {bar.feed_id} close {bar.bar.close} "
            f"volume {bar.bar.volume} {values}",
            markup=False,
        )

    asyncio.run(tail_bars(config, feed, group, consumer, count, show))


@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Option("--name", help="The principal the key stands for.")],
    scope: Annotated[str, typer.Option("--scope", help="read, trade or admin.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key and print it once (the store keeps only its SHA-256)."""
    from aiswarm.commands.keys import new_key

    made = asyncio.run(new_key(config, name, scope))
    if as_json:
        _print_json(made)
        return
    out.print(f"key id {made['key_id']} for {made['name']} (scope {made['scope']}):", markup=False)
    out.print(made["key"], markup=False)
    out.print("shown once: keep it now (Authorization: Bearer <key>)", markup=False)


@keys_app.command("list")
def keys_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List every API key ever created: id, principal, scope, and whether it is revoked."""
    from aiswarm.commands.keys import list_keys

    rows = asyncio.run(list_keys(config))
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        state = f"revoked by {row['revoked_by']}" if row["revoked"] else "live"
        out.print(
            f"{row['key_id']} {row['name']:<20} {row['scope']:<6} {state} "
            f"(created by {row['created_by']})",
            markup=False,
        )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id, as `aiswarm keys list` shows it.")],
    config: ConfigOption = None,
) -> None:
    """Revoke an API key: refused from the next request on."""
    from aiswarm.commands.keys import revoke_key

    row = asyncio.run(revoke_key(config, key_id))
    out.print(f"revoked {row['key_id']} ({row['name']}, scope {row['scope']})", markup=False)


@keys_app.command("rotate-approval")
def keys_rotate_approval(
    reason: Annotated[str, typer.Option("--reason", help="Why; recorded with the rotation.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add the next approval key id: new approvals use it; the old id retires once expired."""
    from aiswarm.commands.keys import rotate_approval_key

    row = asyncio.run(rotate_approval_key(config, reason))
    if as_json:
        _print_json(row)
        return
    out.print(
        f"approval key {row['key_id']} (generation {row['generation']}) signs from now on",
        markup=False,
    )


@bench_app.command("events")
def bench_events(
    events: Annotated[
        int, typer.Option("--events", min=1000, help="Appends per scenario.")
    ] = 60_000,
    pg_url: Annotated[
        str | None,
        typer.Option("--pg-url", help="Also measure PostgreSQL at this URL."),
    ] = "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    no_pg: Annotated[bool, typer.Option("--no-pg", help="Skip PostgreSQL.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Measure durable appends per second (SQLite with fsync, and PostgreSQL)."""
    from aiswarm.commands.bench import bench_event_store

    report = asyncio.run(bench_event_store(events, None if no_pg else pg_url))
    _show(report, as_json)


@bench_app.command("risk")
def bench_risk(
    orders: Annotated[int, typer.Option("--orders", min=1, help="Orders per run.")] = 20_000,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Runs to take the median of.")
    ] = 7,
    as_json: JsonOption = False,
) -> None:
    """Measure µs per order: guard chain with signing, and OMS verification with nonce check."""
    from aiswarm.bench.risk import run_risk_bench
    from aiswarm.clock import WallClock

    report = run_risk_bench(orders=orders, repeats=repeats, timer=WallClock())
    _show(report, as_json)


@bench_app.command("cycle")
def bench_cycle(
    symbols: Annotated[
        str,
        typer.Option(
            "--symbols",
            help="Symbols traded, e.g. 100; several (100,1000) run in turn, with their ratio.",
        ),
    ] = "100",
    warmup: Annotated[int, typer.Option("--warmup", min=0, help="Cycles before timing.")] = 60,
    cycles: Annotated[int, typer.Option("--cycles", min=1, help="Cycles timed.")] = 60,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Fresh runs per symbol count (median).")
    ] = 1,
    as_json: JsonOption = False,
) -> None:
    """Time one full coordinator cycle (N symbols x 10 agents): median, per symbol, baseline."""
    import time

    from aiswarm.bench.cycle import run_cycle_bench
    from aiswarm.clock import WallClock
    from aiswarm.commands.bench import parse_symbol_counts

    counts = parse_symbol_counts(symbols)
    report = asyncio.run(
        run_cycle_bench(
            symbols=counts,
            warmup=warmup,
            cycles=cycles,
            repeats=repeats,
            timer=WallClock(),
            cpu_ns=time.process_time_ns,
        )
    )
    _show(report, as_json)


@bench_app.command("backtest")
def bench_backtest(
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Bar file, any format `backtest --data` reads."),
    ] = None,
    bars: Annotated[
        int, typer.Option("--bars", min=100, help="Synthetic bars when --data is not given.")
    ] = 500_000,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Fresh runs to take the median of.")
    ] = 3,
    cpu_time: Annotated[
        bool,
        typer.Option("--cpu-time", help="Time in this process's CPU time (a busy machine)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the EMA(9/21) cross through the full pipeline; print orders and bars per second."""
    from aiswarm.bench.backtest import run_backtest_bench
    from aiswarm.clock import CpuTimeClock, WallClock

    timer = CpuTimeClock() if cpu_time else WallClock()
    report = asyncio.run(run_backtest_bench(data=data, bars=bars, repeats=repeats, timer=timer))
    _show(report, as_json)


@bench_app.command("killswitch")
def bench_killswitch(
    trials: Annotated[int, typer.Option("--trials", min=1, max=10_000, help="Trips timed.")] = 200,
    rate: Annotated[
        int, typer.Option("--rate", min=1, max=2_000, help="Load: GET /status per second.")
    ] = 200,
    max_s: Annotated[
        float, typer.Option("--max-s", min=1, max=600, help="Load: at most this many seconds.")
    ] = 60.0,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Time request to HALTED recorded for a kill-switch trip over HTTP, under load."""
    from aiswarm.clock import WallClock
    from aiswarm.commands.bench_killswitch import bench_killswitch as run_bench

    report = asyncio.run(
        run_bench(
            trials=trials, rate_per_s=rate, max_s=max_s, timer=WallClock(), config_path=config
        )
    )
    _show(report, as_json)


@app.command()
def backtest(
    data: DataOption,
    agent: AgentOption,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Agent parameter name=value (repeatable).")
    ] = None,
    symbol: SymbolOption = "BTC/USDT",
    venue: VenueOption = "paper",
    cash: CashOption = "100000",
    fee: FeeOption = "0.001",
    sizing: SizingOption = "fixed_notional",
    notional: NotionalOption = "10000",
    report: ReportOption = None,
    file_format: FormatOption = None,
    price_decimals: PriceDecimalsOption = None,
    volume_decimals: VolumeDecimalsOption = None,
    funding: Annotated[
        Path | None,
        typer.Option(
            "--funding",
            help="Funding rates for --symbol (timestamp,rate CSV); a BASE/QUOTE:SETTLE "
            "symbol is a perpetual and pays them.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Backtest one agent on one data file through the full trading pipeline."""
    from decimal import Decimal, InvalidOperation

    from rich.progress import Progress

    from aiswarm.commands.backtest import (
        bar_file_options,
        parse_params,
        print_backtest,
        run_backtest_command,
    )

    try:
        amounts = {
            name: Decimal(text)
            for name, text in (("cash", cash), ("fee", fee), ("notional", notional))
        }
    except InvalidOperation:
        raise ConfigError("--cash, --fee and --notional take numbers, e.g. --fee 0.001") from None
    bar_file = bar_file_options(file_format, price_decimals, volume_decimals)
    with Progress(console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task("backtest", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = asyncio.run(
            run_backtest_command(
                data,
                agent=agent,
                params=parse_params(param or []),
                symbol=symbol,
                venue=venue,
                cash=amounts["cash"],
                fee=amounts["fee"],
                sizing=sizing,
                notional=amounts["notional"],
                report_dir=report,
                progress=progress,
                bar_file=bar_file,
                funding=funding,
            )
        )
    if as_json:
        _print_json(summary)
    else:
        out.print(f"read {summary['market_data']['note']}", markup=False)
        print_backtest(out, summary)


@app.command()
def optimize(
    data: DataOption,
    agent: AgentOption,
    grid: Annotated[
        list[str] | None,
        typer.Option("--grid", help="Values to try, name=v1,v2,... (repeatable)."),
    ] = None,
    random_draws: Annotated[
        int | None,
        typer.Option("--random", min=1, help="Draw N sets from --range (and --grid) instead."),
    ] = None,
    ranges: Annotated[
        list[str] | None,
        typer.Option("--range", help="With --random: name=low:high (repeatable)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="With --random: the draw's seed (7 when not given)."),
    ] = None,
    objective: Annotated[
        str, typer.Option("--objective", help="sharpe, sortino, total_return, max_drawdown, ...")
    ] = "sharpe",
    walk_forward: Annotated[
        bool,
        typer.Option("--walk-forward", help="Optimise per training window, report tests only."),
    ] = False,
    train_bars: Annotated[
        int | None, typer.Option("--train-bars", min=1, help="Training window length (bars).")
    ] = None,
    test_bars: Annotated[
        int | None, typer.Option("--test-bars", min=1, help="Test window length (bars).")
    ] = None,
    anchored: Annotated[
        bool, typer.Option("--anchored", help="Training windows all start at the first bar.")
    ] = False,
    symbol: SymbolOption = "BTC/USDT",
    venue: VenueOption = "paper",
    cash: CashOption = "100000",
    fee: FeeOption = "0.001",
    sizing: SizingOption = "fixed_notional",
    notional: NotionalOption = "10000",
    report: ReportOption = None,
    file_format: FormatOption = None,
    price_decimals: PriceDecimalsOption = None,
    volume_decimals: VolumeDecimalsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search an agent's parameters (grid or random), in sample or walk-forward out of sample."""
    from decimal import Decimal, InvalidOperation

    from aiswarm.commands.backtest import BacktestOptions, bar_file_options
    from aiswarm.commands.optimize import (
        SearchPlan,
        WalkForwardPlan,
        optimize_command,
        parse_grid,
        parse_ranges,
    )

    try:
        options = BacktestOptions(
            agent=agent,
            cash=Decimal(cash),
            fee=Decimal(fee),
            sizing=sizing,
            notional=Decimal(notional),
            bar_file=bar_file_options(file_format, price_decimals, volume_decimals),
        )
    except InvalidOperation:
        raise ConfigError("--cash, --fee and --notional take numbers, e.g. --fee 0.001") from None
    walk = None
    if walk_forward:
        if train_bars is None or test_bars is None:
            raise ConfigError("--walk-forward needs --train-bars N and --test-bars N")
        walk = WalkForwardPlan(train_bars=train_bars, test_bars=test_bars, anchored=anchored)
    elif train_bars is not None or test_bars is not None or anchored:
        raise ConfigError("--train-bars, --test-bars and --anchored need --walk-forward")
    plan = SearchPlan(
        objective=objective,
        grid=parse_grid(grid or []),
        ranges=parse_ranges(ranges or []),
        random_draws=random_draws,
        seed=seed,
    )
    summary = optimize_command(
        data,
        options=options,
        symbol=symbol,
        venue=venue,
        plan=plan,
        walk=walk,
        report_dir=report,
        progress=None if as_json else lambda line: err.print(line, markup=False),
    )
    if as_json:
        _print_json(summary)
        return
    _print_optimize(summary)


def _window_text(span: list[int], period: list[str] | None) -> str:
    """Return a walk-forward span as its start and end (ISO 8601, to the minute) and its bars."""
    bars = "bars [{}, {})".format(*span)
    if period is None:
        return bars
    start, end = (
        moment.replace(":00Z", "Z") if moment.endswith(":00Z") else moment for moment in period
    )
    return f"{start}\n{end}\n{bars}"


def _print_optimize(summary: dict[str, Any]) -> None:
    """Print the ranked trials, or the walk-forward windows and out-of-sample metrics."""
    from rich.table import Column, Table

    def number(value: Any) -> str:
        return "n/a" if value is None else f"{float(value):.4g}"

    objective = summary["objective"]
    out.print(f"read {summary['market_data']['note']}", markup=False)
    if "walk_forward" in summary:
        walk = summary["walk_forward"]
        table = Table(
            Column("train (UTC)", no_wrap=True),
            Column("test (UTC)", no_wrap=True),
            "params",
            f"train score ({objective})",
            "test return",
        )
        for window in walk["windows"]:
            table.add_row(
                _window_text(window["train_span"], window["train_period"]),
                _window_text(window["test_span"], window["test_period"]),
                " ".join(f"{k}={v}" for k, v in window["params"].items()),
                number(window["train_score"]),
                number(window["test_metrics"]["total_return"]),
            )
        out.print(table)
        oos = walk["out_of_sample"]
        out.print(
            f"out of sample: total return {number(oos['total_return'])}, sharpe "
            f"{number(oos['sharpe'])}, max drawdown {number(oos['max_drawdown_frac'])}, "
            f"{oos['number_of_trades']} trades"
        )
    else:
        table = Table(
            "#", "params", f"score ({objective})", "return", "sharpe", "max drawdown", "trades"
        )
        for trial in summary["trials"]:
            metrics = trial["metrics"]
            table.add_row(
                str(trial["rank"]),
                " ".join(f"{k}={v}" for k, v in trial["params"].items()),
                number(trial["score"]),
                number(metrics["total_return"]),
                number(metrics["sharpe"]),
                number(metrics["max_drawdown_frac"]),
                str(metrics["number_of_trades"]),
            )
        out.print(table)
    if "report" in summary:
        out.print(f"report: {summary['report']['html']}")


@app.command()
def run(
    config: ConfigOption = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="paper or shadow (overrides config).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="API port (overrides config).")] = None,
    cycles: Annotated[
        int | None,
        typer.Option("--cycles", min=1, help="Stop after this many cycles (steps) in this run."),
    ] = None,
    new_account: Annotated[
        bool,
        typer.Option(
            "--new-account", help="Open a fresh account instead of resuming the last one."
        ),
    ] = False,
    account: Annotated[
        str | None,
        typer.Option("--account", help="Resume (or, with --new-account, open) this account."),
    ] = None,
) -> None:
    """Start trading: recover the account from the log, run its engine and the API.

    Starting is recovering: the last account of the mode resumes where it stopped (cash,
    positions, open orders, kill switch, the replay's place). Ctrl-C stops it cleanly.
    """
    from aiswarm.commands.run import RunOptions, run_platform

    options = RunOptions(mode, port, cycles, new_account, account)
    asyncio.run(run_platform(config, options, out))


@app.command()
def reconcile(
    config: ConfigOption = None,
    account: Annotated[
        str | None, typer.Option("--account", help="The account (default: the mode's newest).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON instead of Markdown.")
    ] = False,
) -> None:
    """Compare the stored account's orders, positions and balances with its venue's.

    The report is recorded in the event store and acted on past the configured thresholds
    (docs/reconciliation.md).
    """
    from aiswarm.commands.reconcile import reconcile_command, report_text

    report = asyncio.run(reconcile_command(config, account))
    sys.stdout.write(report_text(report, as_json) + "\n")


def _usage_line(exc: TyperException) -> str:
    """Return a usage error as one line: what is wrong, and where the help is."""
    ctx = getattr(exc, "ctx", None)
    where = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
    return f"error: {exc.format_message()}{where}"


def main() -> None:
    """Entry point: run the app and turn our errors into one line and an exit code."""
    try:
        code = app(standalone_mode=False, prog_name="aiswarm")
    except TyperException as exc:  # a usage error: wrong option, bad value, missing argument
        err.print(_usage_line(exc), markup=False)
        code = exc.exit_code
    except typer.Abort:
        err.print("aborted")
        code = 130
    except ConfigError as exc:
        err.print(f"config error: {exc}", markup=False)
        code = 2
    except AiswarmError as exc:
        err.print(f"error: {exc}", markup=False)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
