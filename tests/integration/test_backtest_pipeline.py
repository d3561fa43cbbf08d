"""Backtests run the full pipeline and reproduce the benchmark's reference order count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aiswarm.backtest.runner import run_backtest
from aiswarm.bench.backtest import REFERENCE_ORDERS, benchmark_setup, synthetic_arrays

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("bars", [10_000, 50_000])
async def test_ema_cross_when_synthetic_slice_then_reference_orders_each_through_pipeline(
    bars: int,
) -> None:
    # Arrange
    setup = benchmark_setup(synthetic_arrays(bars))

    # Act
    run = await run_backtest(setup)

    # Assert: the count, and every order's trail: decision, approval, OMS, fill, in the chain
    assert run.orders == REFERENCE_ORDERS[bars]
    decisions = run.journal.events(["risk.decision"])
    submitted = run.journal.events(["order.submitted"])
    assert len(decisions) == len(submitted) == run.orders
    assert all(event.payload["approved"] for event in decisions)
    assert all("signature" in event.payload["approval"] for event in submitted)
    sides = [spec.side.value for spec in run.specs]
    assert sides[::2] == ["buy"] * len(sides[::2])
    assert sides[1::2] == ["sell"] * len(sides[1::2])
    assert run.fills == run.orders
    assert run.journal.verify().ok


def test_backtest_command_when_report_asked_then_html_png_and_json_written(
    tmp_path: Path,
) -> None:
    # Act
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiswarm.cli",
            "backtest",
            "--data",
            "backtest_data/coinbase_btcusd_1m_2018-04-04_06.csv",
            "--symbol",
            "BTC/USD",
            "--agent",
            "ema_cross",
            "--param",
            "fast=9",
            "--param",
            "slow=21",
            "--report",
            str(tmp_path / "report"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )

    # Assert
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["orders"] > 0
    assert summary["journal"]["chain_ok"]
    for name in ("equity.png", "drawdown.png", "trades.png"):
        assert (tmp_path / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "Sharpe" in html or "sharpe" in html
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"]["number_of_trades"] == summary["metrics"]["number_of_trades"]


def test_backtest_command_when_not_json_then_summary_table_and_trade_files(
    tmp_path: Path,
) -> None:
    # Act
    result = subprocess.run(
        [
            *(sys.executable, "-m", "aiswarm.cli", "backtest"),
            *("--data", "backtest_data/coinbase_btcusd_1m_2018-04-04_06.csv"),
            *("--symbol", "BTC/USD", "--agent", "ema_cross"),
            *("--report", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )

    # Assert: the table's figures are the report's, as the table shows them
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    strategy = report["summary"]["strategy"]
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "buy and hold" in result.stdout
    assert f"{strategy['trades']}" in rows["trades (round trips)"]
    assert f"{strategy['win_rate']:.2%}" in rows["win rate"]
    assert f"{strategy['total_return']:.2%}" in rows["total return"]
    assert f"{strategy['exposure_frac']:.2%}" in rows["exposure time"]
    assert "warning: annual return (CAGR), Sharpe (annualised), Sortino" in result.stdout
    assert f"trades: {tmp_path / 'trades.csv'}, {tmp_path / 'trades.json'}" in result.stdout
    assert (tmp_path / "trades.csv").read_text(encoding="utf-8").count("\n") == (
        strategy["trades"] + 1
    )


def test_backtest_command_when_unknown_agent_then_one_line_error() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiswarm.cli",
            "backtest",
            "--data",
            "backtest_data/coinbase_btcusd_1m_2018-04-04_06.csv",
            "--agent",
            "ema_crosss",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert "agent 'ema_crosss' is unknown" in result.stderr
    assert "Traceback" not in result.stderr
