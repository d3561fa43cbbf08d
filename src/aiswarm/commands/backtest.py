"""`aiswarm backtest`: one agent over one bar file, through the full pipeline, with a report.

The file is read by the one bar reader (``market.read_bar_file``: CSV, ccxt JSON, feather,
parquet, Lean zip; the format detected or given), and the summary says what it read. The
instrument's tick and step are the feed's price and size grid (declared, or inferred from the
data; docs/feeds.md "Precision"); the venue charges ``--fee`` as both maker and taker fee. Sizing
is a fixed notional per position unless ``--sizing kelly`` asks the allocator to size from the
agent's measured edge (which needs some realised history before it trades). Risk limits are the
defaults of ``RiskLimits`` scaled to the starting cash.

``aiswarm optimize`` builds every trial with ``build_setup`` too, so a trial and a backtest with
the same parameters are the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from aiswarm.agents import AgentConfig
from aiswarm.agents.registry import build_agent
from aiswarm.backtest.heatmap import ScoreGrid
from aiswarm.backtest.metrics import Metrics, metrics_of
from aiswarm.backtest.monte_carlo import monte_carlo
from aiswarm.backtest.report import write_report
from aiswarm.backtest.results import BacktestResult, TradeRecord
from aiswarm.backtest.runner import BacktestRun, BacktestSetup, run_backtest
from aiswarm.backtest.summary import summarize, summary_rows, warning_lines
from aiswarm.backtest.walk_forward import WalkForwardResult
from aiswarm.clock import from_ns
from aiswarm.errors import ConfigError
from aiswarm.market import BarArrays, BarFile, BarFileOptions, read_bar_file, read_funding_rates
from aiswarm.orchestration import ArbitrationConfig
from aiswarm.portfolio import AllocationMode, AllocatorConfig
from aiswarm.risk import RiskLimits
from aiswarm.types import (
    BarFileFormat,
    FundingRate,
    Instrument,
    InstrumentKind,
    Mandate,
    MandateId,
    MandateStatus,
    Side,
    Symbol,
    VenueId,
)
from aiswarm.venues.fill_models import FeeModel

__all__ = [
    "BacktestOptions",
    "bar_file_options",
    "build_setup",
    "check_params",
    "funding_note",
    "load_bars",
    "parse_params",
    "print_backtest",
    "run_backtest_command",
    "write_backtest_report",
]

_NS = 1_000_000_000


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """Turn ``["fast=9", "atr_filter=true"]`` into typed values (YAML scalars)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ConfigError(f"--param {pair!r} is not name=value; write e.g. --param fast=9")
        params[name.strip()] = yaml.safe_load(text)
    return params


@dataclass(frozen=True, slots=True)
class BacktestOptions:
    """How every run of one command is set up, apart from its bars and its agent parameters.

    ``cash`` and ``notional`` are quote units, ``fee`` a fraction per fill (0.001 = 0.1%).
    ``params_source`` is the option a wrong agent parameter is blamed on in error messages.
    ``bar_file`` says how to read the data file (format, price and volume decimals).
    """

    agent: str
    cash: Decimal
    fee: Decimal
    sizing: str
    notional: Decimal
    params_source: str = "--param"
    bar_file: BarFileOptions = field(default_factory=BarFileOptions)


def bar_file_options(
    file_format: str | None, price_decimals: int | None, volume_decimals: int | None
) -> BarFileOptions:
    """Return how to read ``--data`` from the command line's options.

    Raises:
        ConfigError: ``file_format`` is no format we read (the message lists them).
    """
    chosen = None
    if file_format is not None:
        try:
            chosen = BarFileFormat(file_format.lower())
        except ValueError:
            names = ", ".join(f.value for f in BarFileFormat)
            raise ConfigError(
                f"--format was {file_format!r}; use one of {names}, or leave it out to detect"
            ) from None
    return BarFileOptions(chosen, price_decimals, volume_decimals)


def load_bars(data: Path, symbol: str, venue: str, options: BarFileOptions) -> BarFile:
    """Return the file as read, its bars labelled with ``venue`` and ``symbol``."""
    return read_bar_file(data, VenueId(venue), Symbol(symbol), options)


def _load_funding_file(path: Path, bars: BarArrays) -> list[FundingRate]:
    """Return the funding rates in ``path``, labelled with the bars' venue and symbol."""
    if not path.is_file():
        raise ConfigError(f"--funding {path} is not a file; give a timestamp,rate CSV")
    return read_funding_rates(path, bars.venue, bars.symbol)


def funding_note(agent: str, funding: Path | None, setup: BacktestSetup) -> str | None:
    """Return a warning when the funding agent gets no funding rate in this backtest, else None.

    A rate reaches the agent only if it settles by the last bar's close (``runner``), so a file
    from other dates than the bars, or none at all, leaves the funding agent silent.
    """
    bars = setup.bars
    if funding is None:
        if agent != "funding_contrarian":
            return None
        return "funding_contrarian receives no funding rate: pass --funding FILE for these bars"
    last_close = int(bars.ts_ns[-1]) + bars.interval_s * _NS
    if any(rate.ts_ns <= last_close for rate in setup.funding):
        return None
    return (
        f"--funding {funding}: none of its {len(setup.funding)} rates settles by the bars' last "
        f"close {from_ns(last_close):%Y-%m-%d %H:%M}, so no agent receives a rate; pass a "
        "funding file of the bars' dates"
    )


def check_params(options: BacktestOptions, params: Mapping[str, Any]) -> None:
    """Refuse, as ``ConfigError``, an agent name or parameter set the agent would not accept."""
    build_agent(
        AgentConfig(name=options.agent, id=options.agent, params=dict(params)),
        options.params_source,
    )


def build_setup(
    bars: BarArrays, options: BacktestOptions, params: Mapping[str, Any], *, label: str
) -> BacktestSetup:
    """Return a fresh setup (new agent, same limits) for one run of ``params`` over ``bars``.

    Build one per run: agents keep state between bars. ``label`` names the data in the
    mandate's description (the file name, or a window of it).
    """
    agent, cash, symbol = options.agent, options.cash, str(bars.symbol)
    base, _, quote = symbol.partition(":")[0].partition("/")
    instrument = Instrument(
        venue=bars.venue,
        symbol=bars.symbol,
        base=base or symbol,
        quote=quote or "USD",
        kind=InstrumentKind.of_symbol(symbol),
        tick_size=Decimal(1).scaleb(-bars.price_decimals),
        step_size=Decimal(1).scaleb(-max(bars.volume_decimals, 6)),
        min_quantity=Decimal(1).scaleb(-max(bars.volume_decimals, 6)),
        min_notional=Decimal(1),
    )
    mandate = Mandate(
        mandate_id=MandateId(f"backtest-{agent}"),
        owner="backtest",
        description=f"backtest of {agent} on {label}",
        venues=(bars.venue,),
        symbols=(bars.symbol,),
        max_notional_usd=cash,
        max_position_usd=cash,
        allowed_sides=(Side.BUY, Side.SELL),
        strategy_template=agent,
        params=dict(params),
        valid_from=from_ns(int(bars.ts_ns[0])) - timedelta(days=1),
        valid_until=from_ns(int(bars.ts_ns[-1])) + timedelta(days=2),
        status=MandateStatus.ACTIVE,
    )
    try:
        mode = AllocationMode(options.sizing)
    except ValueError:
        raise ConfigError(
            f"--sizing was {options.sizing!r}; use {', '.join(m.value for m in AllocationMode)}"
        ) from None
    allocator = AllocatorConfig(
        mode=mode,
        fixed_notional_usd=options.notional if mode is AllocationMode.FIXED_NOTIONAL else None,
        long_only=True,
    )
    limits = RiskLimits(
        max_order_notional_usd=cash,
        max_position_notional_usd=cash,
        max_gross_exposure_usd=cash * 2,
        max_net_exposure_usd=cash * 2,
        max_market_data_age_s=float(bars.interval_s) * 2,
        max_orders_per_day=100_000,
    )
    built = build_agent(
        AgentConfig(name=agent, id=agent, symbols=(bars.symbol,), params=dict(params)),
        options.params_source,
    )
    return BacktestSetup(
        bars=bars,
        instrument=instrument,
        agents=[built],
        arbitration=ArbitrationConfig(),
        allocator=allocator,
        limits=limits,
        mandate=mandate,
        starting_cash=cash,
        fee_model=FeeModel(maker_fee_frac=options.fee, taker_fee_frac=options.fee),
        max_participation_frac=None,
        params={k: v for k, v in params.items() if isinstance(v, int | float | str)},
    )


def _money_decimals(bars: BarArrays) -> int:
    """Return the decimals a quote amount is shown with: the price tick's, at least cents."""
    return max(2, bars.price_decimals)


def write_backtest_report(
    result: BacktestResult,
    metrics: Metrics,
    bars: BarArrays,
    report_dir: Path,
    *,
    title: str,
    trades: Sequence[TradeRecord] | None = None,
    walk_forward: WalkForwardResult | None = None,
    heatmaps: Sequence[ScoreGrid] = (),
) -> dict[str, str]:
    """Write the report of ``result`` into ``report_dir``; return where its files are.

    ``bars`` are the bars ``result`` marked, one mark a bar (their closes give the buy-and-hold
    line). ``trades`` is the trade list ``metrics`` counted (default: the result's own round
    trips): it is exported, and the Monte Carlo section resamples it with seed 7, so one run
    gives one report (left out when there is no closed trade).
    """
    trades = result.trades if trades is None else trades
    simulations = monte_carlo(trades, result.starting_cash, seed=7) if trades else None
    paths = write_report(
        result,
        metrics,
        report_dir,
        title=title,
        price=(bars.ts_ns, bars.close),
        symbol=bars.symbol,
        trades=trades,
        summary=summarize(result, metrics, bars.close, money_decimals=_money_decimals(bars)),
        monte_carlo=simulations,
        walk_forward=walk_forward,
        heatmaps=heatmaps,
    )
    return {
        "html": str(paths.html),
        "json": str(paths.json),
        "trades_csv": str(paths.trades_csv),
        "trades_json": str(paths.trades_json),
    }


async def run_backtest_command(
    data: Path,
    *,
    agent: str,
    params: dict[str, Any],
    symbol: str,
    venue: str,
    cash: Decimal,
    fee: Decimal,
    sizing: str,
    notional: Decimal,
    report_dir: Path | None,
    progress: Callable[[int, int], None] | None,
    bar_file: BarFileOptions | None = None,
    funding: Path | None = None,
) -> dict[str, Any]:
    """Run the backtest and return its summary (and write the report when asked).

    ``funding`` is a funding-rate file for the symbol: the agent sees its rates, and a
    perpetual (``BASE/QUOTE:SETTLE``) pays or receives them on what it holds.
    """
    options = BacktestOptions(
        agent=agent,
        cash=cash,
        fee=fee,
        sizing=sizing,
        notional=notional,
        bar_file=bar_file or BarFileOptions(),
    )
    loaded = load_bars(data, symbol, venue, options.bar_file)
    setup = build_setup(loaded.bars, options, params, label=data.name)
    if funding is not None:
        setup = replace(setup, funding=_load_funding_file(funding, setup.bars))
    run: BacktestRun = await run_backtest(setup, progress=progress)
    metrics = metrics_of(run.result)
    summary: dict[str, Any] = {
        "data": str(data),
        "market_data": loaded.summary(),
        "agent": agent,
        "params": params,
        "bars": run.bars,
        "orders": run.orders,
        "fills": run.fills,
        "final_cash": run.result.final_cash,
        "final_positions": dict(run.result.final_positions),
        "summary": summarize(
            run.result, metrics, setup.bars.close, money_decimals=_money_decimals(setup.bars)
        ).to_dict(),
        "metrics": metrics.to_dict(),
        "journal": {"events": len(run.journal), "chain_ok": run.journal.verify().ok},
        "funding_warning": funding_note(agent, funding, setup),
    }
    if report_dir is not None:
        summary["report"] = write_backtest_report(
            run.result, metrics, setup.bars, report_dir, title=f"{agent} on {data.name}"
        )
    return summary


def print_backtest(console: Console, summary: Mapping[str, Any]) -> None:
    """Print a backtest's summary as a trader reads it: the table, its warnings, where files are.

    ``summary`` is what ``run_backtest_command`` returns; ``--json`` prints all of it instead.
    """
    table = Table(
        "figure", "strategy", "buy and hold", title=f"{summary['agent']} on {summary['data']}"
    )
    for row in summary_rows(summary["summary"]):
        table.add_row(*row)
    console.print(table)
    for line in warning_lines(summary["summary"]["warnings"]):
        console.print(f"warning: {line}", markup=False)
    if summary["funding_warning"] is not None:
        console.print(f"warning: {summary['funding_warning']}", markup=False)
    journal = summary["journal"]
    console.print(
        f"{summary['bars']} bars, {summary['orders']} orders, {summary['fills']} fills; journal "
        f"{journal['events']} events, hash chain {'intact' if journal['chain_ok'] else 'BROKEN'}",
        markup=False,
    )
    if "report" in summary:
        files = summary["report"]
        console.print(f"report: {files['html']}", markup=False)
        console.print(f"trades: {files['trades_csv']}, {files['trades_json']}", markup=False)
