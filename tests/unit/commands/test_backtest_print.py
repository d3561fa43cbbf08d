"""`aiswarm backtest` without --json: the summary table a trader reads after every run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from rich.console import Console

from aiswarm.backtest.metrics import metrics_of
from aiswarm.backtest.results import BacktestResult, EquityCurve
from aiswarm.backtest.summary import summarize
from aiswarm.clock import to_ns
from aiswarm.commands.backtest import print_backtest
from aiswarm.types import Side, TradeId
from kit.builders import T0, fill


def _summary(report: dict[str, str] | None) -> dict[str, Any]:
    """Return what `run_backtest_command` returns for a four-minute run with one round trip."""
    fills = tuple(
        fill(
            side=side,
            quantity=Decimal("1"),
            price=Decimal(price),
            fee=Decimal("0.5"),
            trade_id=TradeId(f"t-{minute}"),
            ts_event=T0 + timedelta(minutes=minute),
            ts_init=T0 + timedelta(minutes=minute),
        )
        for side, minute, price in ((Side.BUY, 1, "100"), (Side.SELL, 3, "110"))
    )
    ts = to_ns(T0) + np.arange(4, dtype=np.int64) * 60_000_000_000
    result = BacktestResult(
        equity=EquityCurve(ts, np.array([1000.0, 999.5, 1005.0, 1009.0])),
        fills=fills,
        orders=(),
        starting_cash=Decimal("1000"),
        final_cash=Decimal("1009"),
        final_positions={},
        params={},
        interval_s=60,
    )
    metrics = metrics_of(result)
    summary: dict[str, Any] = {
        "data": "btc.csv",
        "agent": "ema_cross",
        "bars": 4,
        "orders": 2,
        "fills": 2,
        "summary": summarize(
            result, metrics, np.array([100.0, 100.0, 105.0, 110.0]), money_decimals=2
        ).to_dict(),
        "journal": {"events": 12, "chain_ok": True},
        "funding_warning": None,
    }
    if report is not None:
        summary["report"] = report
    return summary


def test_print_backtest_when_run_then_table_beside_buy_and_hold_and_warning() -> None:
    # Arrange
    console = Console(record=True, width=120)

    # Act
    print_backtest(console, _summary(None))

    # Assert
    text = console.export_text()
    assert "ema_cross on btc.csv" in text
    assert "buy and hold" in text
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    assert "100.00%" in lines["win rate"]
    assert "0.90%" in lines["total return"]  # 1000 -> 1009
    assert "10.00%" in lines["total return"]  # 100 -> 110, held
    assert "66.67%" in lines["exposure time"]
    assert "1.00" in lines["fees (quote units)"]
    assert "warning: Sharpe (annualised), Sortino (annualised): annualised from 3 minutes" in text
    assert "4 bars, 2 orders, 2 fills; journal 12 events, hash chain intact" in text
    assert "report:" not in text


def test_print_backtest_when_report_written_then_report_and_trade_files_named() -> None:
    # Arrange
    console = Console(record=True, width=120)
    report = {"html": "r/report.html", "json": "r/report.json"}
    report |= {"trades_csv": "r/trades.csv", "trades_json": "r/trades.json"}

    # Act
    print_backtest(console, _summary(report))

    # Assert
    text = console.export_text()
    assert "report: r/report.html" in text
    assert "trades: r/trades.csv, r/trades.json" in text
