"""Every figure of a backtest on the shipped gappy Coinbase file, checked by recomputation.

The file leaves out minutes with no trades (one gap is 433 minutes long), so a fill placed by
``(ts - first) // interval`` lands on the wrong bar. Here the equity curve is recomputed from
the fills and the file's closes by a plain loop, the ratios by their textbook formulas, and the
summary from the exported trade list; none of it reuses the code under test.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from aiswarm.backtest.metrics import Metrics, metrics_of
from aiswarm.backtest.results import BacktestResult
from aiswarm.backtest.runner import run_backtest
from aiswarm.backtest.summary import summarize
from aiswarm.clock import to_ns
from aiswarm.commands.backtest import (
    BacktestOptions,
    build_setup,
    load_bars,
    write_backtest_report,
)
from aiswarm.market import BarFileOptions
from aiswarm.types import Fill, Side, Symbol

pytestmark = pytest.mark.integration

DATA = (
    Path(__file__).resolve().parents[2] / "backtest_data" / "coinbase_btcusd_1m_2018-04-04_06.csv"
)
MINUTE_NS = 60 * 1_000_000_000
YEAR_S = 365 * 86_400


@dataclass(frozen=True)
class _Bars:
    """The file as read by ``csv``: bar open times (ns) and closes."""

    open_ns: list[int]
    close: list[Decimal]

    @property
    def close_ns(self) -> list[int]:
        return [ts + MINUTE_NS for ts in self.open_ns]


@dataclass(frozen=True)
class _Run:
    bars: _Bars
    result: BacktestResult
    metrics: Metrics
    report: Path


def _read_file() -> _Bars:
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return _Bars(
        [to_ns(datetime.fromisoformat(row["timestamp"])) for row in rows],
        [Decimal(row["close"]) for row in rows],
    )


@pytest.fixture(scope="module")
def gappy_run(tmp_path_factory: pytest.TempPathFactory) -> _Run:
    bars = load_bars(DATA, "BTC/USD", "coinbase", BarFileOptions()).bars
    options = BacktestOptions(
        "ema_cross", Decimal(100_000), Decimal("0.001"), "fixed_notional", Decimal(10_000)
    )
    setup = build_setup(bars, options, {"fast": 9, "slow": 21}, label=DATA.name)
    result = asyncio.run(run_backtest(setup)).result
    metrics = metrics_of(result)
    report = tmp_path_factory.mktemp("report")
    write_backtest_report(result, metrics, bars, report, title="gappy")
    return _Run(_read_file(), result, metrics, report)


def _equity_by_loop(run: _Run) -> list[float]:
    """Return cash plus position at each close, applying every fill made before that close."""
    fills = sorted(run.result.fills, key=lambda f: f.ts_event)
    cash, position, applied = run.result.starting_cash, Decimal(0), 0
    equity = []
    for close_ns, close in zip(run.bars.close_ns, run.bars.close, strict=True):
        while applied < len(fills) and to_ns(fills[applied].ts_event) < close_ns:
            fill = fills[applied]
            signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
            position += signed
            cash -= signed * fill.price + fill.fee
            applied += 1
        equity.append(float(cash + position * close))
    return equity


def _ratios(equity: list[float], times_ns: list[int]) -> tuple[float, float, float]:
    """Return (Sharpe, Sortino, max drawdown) by the textbook formulas, one return a mark.

    Returns a year are counted from calendar time: the number of returns over the years
    the curve spans.
    """
    returns = [b / a - 1 for a, b in itertools.pairwise(equity)]
    years = (times_ns[-1] - times_ns[0]) / 1e9 / YEAR_S
    per_year = len(returns) / years
    mean = statistics.fmean(returns)
    sharpe = mean / statistics.stdev(returns) * math.sqrt(per_year)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    sortino = mean / downside * math.sqrt(per_year)
    peak, depth = equity[0], 0.0
    for value in equity:
        peak = max(peak, value)
        depth = max(depth, 1 - value / peak)
    return sharpe, sortino, depth


def test_shipped_file_when_read_then_has_a_gap_of_433_minutes() -> None:
    # Arrange / Act
    bars = _read_file()

    # Assert: the premise of every test below
    steps = [(b - a) // MINUTE_NS for a, b in itertools.pairwise(bars.open_ns)]
    assert max(steps) == 433


def test_equity_when_data_has_gaps_then_matches_recomputation_from_fills_and_closes(
    gappy_run: _Run,
) -> None:
    # Act
    expected = _equity_by_loop(gappy_run)

    # Assert: every mark, to a millionth of a quote unit
    assert gappy_run.result.equity.equity.tolist() == pytest.approx(expected, rel=0, abs=1e-6)
    assert gappy_run.result.equity.ts_ns.tolist() == gappy_run.bars.close_ns


def _open_position_fills(run: _Run) -> list[Fill]:
    """Return the fills after the last closed trade: they hold the position still open.

    The agent is long only, so no fill reverses a position and every fill after the last
    exit opens or adds to the one position left at the end.
    """
    last_exit = max(t.exit_ts_ns for t in run.result.trades)
    return [f for f in run.result.fills if to_ns(f.ts_event) > last_exit]


def _cash_spent(fills: list[Fill]) -> Decimal:
    return sum(
        (f.quantity * f.price * (1 if f.side is Side.BUY else -1) + f.fee for f in fills),
        Decimal(0),
    )


def test_equity_when_flat_then_starting_cash_plus_closed_trade_pnls(gappy_run: _Run) -> None:
    # Arrange: from the trade list only, at every mark where no trade is open
    trades = gappy_run.result.trades
    still_open_since = min(to_ns(f.ts_event) for f in _open_position_fills(gappy_run))
    equity = gappy_run.result.equity.equity

    # Act / Assert
    checked = 0
    for index, close_ns in enumerate(gappy_run.bars.close_ns):
        in_trade = any(t.entry_ts_ns < close_ns <= t.exit_ts_ns for t in trades)
        if in_trade or still_open_since < close_ns:
            continue
        realised = sum((t.pnl for t in trades if t.exit_ts_ns < close_ns), Decimal(0))
        expected = float(gappy_run.result.starting_cash + realised)
        assert equity[index] == pytest.approx(expected, rel=0, abs=1e-6)
        checked += 1
    assert checked > 1000


def test_ratios_when_data_has_gaps_then_textbook_values_annualised_by_calendar_time(
    gappy_run: _Run,
) -> None:
    # Arrange
    expected_sharpe, expected_sortino, expected_depth = _ratios(
        _equity_by_loop(gappy_run), gappy_run.bars.close_ns
    )

    # Act
    metrics = gappy_run.metrics

    # Assert
    assert metrics.sharpe == pytest.approx(expected_sharpe, rel=1e-9)
    assert metrics.sortino == pytest.approx(expected_sortino, rel=1e-9)
    assert metrics.max_drawdown_frac == pytest.approx(expected_depth, rel=1e-9)
    assert "less than a year" in metrics.warnings["sharpe"]
    assert "less than a year" in metrics.warnings["sortino"]


def _read_trades_csv(report: Path) -> list[dict[str, str]]:
    with (report / "trades.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _iso_ns(text: str) -> int:
    return to_ns(datetime.fromisoformat(text))


def test_summary_when_computed_then_matches_the_exported_trade_list(gappy_run: _Run) -> None:
    # Arrange: the trade list as a user gets it, read back from trades.csv, and the position
    # still open at the end (its fills follow the last trade)
    rows = _read_trades_csv(gappy_run.report)
    pnls = [Decimal(row["pnl"]) for row in rows]
    wins, losses = [p for p in pnls if p > 0], [p for p in pnls if p < 0]
    still_open = _open_position_fills(gappy_run)
    held = sum((f.quantity if f.side is Side.BUY else -f.quantity for f in still_open), Decimal(0))
    closes = gappy_run.bars.close
    start_ns, end_ns = gappy_run.bars.close_ns[0], gappy_run.bars.close_ns[-1]
    in_market_ns = sum(_iso_ns(r["exit_time"]) - _iso_ns(r["entry_time"]) for r in rows)
    in_market_ns += end_ns - min(to_ns(f.ts_event) for f in still_open)
    cash = gappy_run.result.starting_cash
    final_equity = cash + sum(pnls, Decimal(0)) - _cash_spent(still_open) + held * closes[-1]
    fees = sum((Decimal(r["fees"]) for r in rows), Decimal(0)) + sum(f.fee for f in still_open)

    # Act
    summary = summarize(
        gappy_run.result,
        gappy_run.metrics,
        np.array([float(c) for c in closes]),
        money_decimals=2,
    ).to_dict()

    # Assert: the strategy's line
    strategy = summary["strategy"]
    assert held == gappy_run.result.final_positions[Symbol("BTC/USD")] > 0
    assert strategy["trades"] == len(rows) > 50
    assert strategy["win_rate"] == pytest.approx(len(wins) / len(rows), rel=1e-12)
    assert strategy["profit_factor"] == pytest.approx(float(sum(wins) / -sum(losses)), rel=1e-12)
    assert Decimal(strategy["fees"]) == fees
    assert strategy["total_return"] == pytest.approx(float(final_equity / cash - 1), abs=1e-12)
    assert strategy["exposure_frac"] == pytest.approx(in_market_ns / (end_ns - start_ns), rel=1e-12)
    # Assert: buy and hold, bought at the first close and held, no fee
    held_curve = [float(c / closes[0]) for c in closes]
    sharpe, sortino, depth = _ratios(held_curve, gappy_run.bars.close_ns)
    buy_and_hold = summary["buy_and_hold"]
    assert buy_and_hold["total_return"] == pytest.approx(float(closes[-1] / closes[0] - 1))
    assert buy_and_hold["sharpe"] == pytest.approx(sharpe, rel=1e-9)
    assert buy_and_hold["sortino"] == pytest.approx(sortino, rel=1e-9)
    assert buy_and_hold["max_drawdown_frac"] == pytest.approx(depth, rel=1e-9)
    assert buy_and_hold["exposure_frac"] == 1.0
    # Assert: the report carries the same summary
    report = json.loads((gappy_run.report / "report.json").read_text(encoding="utf-8"))
    assert report["summary"] == json.loads(json.dumps(summary))


def test_trade_export_when_read_back_then_csv_and_json_match_the_trade_list(
    gappy_run: _Run,
) -> None:
    # Act
    from_csv = _read_trades_csv(gappy_run.report)
    from_json = json.loads((gappy_run.report / "trades.json").read_text(encoding="utf-8"))

    # Assert
    trades = gappy_run.result.trades
    assert len(from_csv) == len(from_json) == len(trades)
    for number, (trade, row, item) in enumerate(zip(trades, from_csv, from_json, strict=True), 1):
        assert {k: str(v) for k, v in item.items()} == row  # the two files hold the same rows
        assert int(row["trade"]) == number
        assert (row["venue"], row["symbol"]) == (trade.venue, trade.symbol)
        assert row["direction"] == ("long" if trade.side is Side.BUY else "short")
        assert _iso_ns(row["entry_time"]) == trade.entry_ts_ns
        assert _iso_ns(row["exit_time"]) == trade.exit_ts_ns
        exact = (row["quantity"], row["entry_price"], row["exit_price"], row["fees"], row["pnl"])
        fields = (trade.quantity, trade.entry_price, trade.exit_price, trade.fees, trade.pnl)
        assert tuple(Decimal(v) for v in exact) == fields
        assert int(row["fills"]) == trade.fills
        assert float(row["duration_s"]) == (trade.exit_ts_ns - trade.entry_ts_ns) / 1e9
        notional = trade.entry_price * trade.quantity
        assert float(row["return_frac"]) == pytest.approx(float(trade.pnl / notional))
