"""`aiswarm backtest --funding`: the agent trades on the rates and the perpetual pays them."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kit.bar_files import shipped_rows, write_csv
from kit.perpetual import FUNDING_FILE, PERP, REPO, perp_bars

pytestmark = pytest.mark.integration


CONTRARIAN = (
    "--agent",
    "funding_contrarian",
    "--param",
    "window=3",
    "--param",
    "threshold=1.0",
    "--param",
    "exit_threshold=0.3",
)
FUNDING = ("--funding", str(REPO / "backtest_data" / FUNDING_FILE))


def _backtest(
    bars: Path, *extra: str, json_output: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "aiswarm.cli",
            "backtest",
            "--data",
            str(bars),
            "--symbol",
            PERP,
            "--venue",
            "binance",
            "--notional",
            "5000",
            *(("--json",) if json_output else ()),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_backtest_when_funding_file_given_then_the_contrarian_trades_on_it(
    tmp_path: Path,
) -> None:
    # Arrange
    bars = perp_bars(tmp_path / "perp_1h.csv")

    # Act
    without = _backtest(bars, *CONTRARIAN)
    funded = _backtest(bars, *CONTRARIAN, *FUNDING)

    # Assert: no rates, no signal; with the shipped rates it goes long and out again
    assert without.returncode == 0, without.stderr
    assert funded.returncode == 0, funded.stderr
    assert json.loads(without.stdout)["orders"] == 0
    assert json.loads(without.stdout)["funding_warning"] == (
        "funding_contrarian receives no funding rate: pass --funding FILE for these bars"
    )
    assert json.loads(funded.stdout)["orders"] >= 2
    assert json.loads(funded.stdout)["funding_warning"] is None


def test_backtest_when_funding_file_misses_the_bars_dates_then_warns_in_one_line(
    tmp_path: Path,
) -> None:
    # Arrange: the shipped 2018 minutes beside the shipped 2020/2022 funding
    bars = write_csv(tmp_path / "btc_2018.csv", shipped_rows(count=120))

    # Act
    result = _backtest(bars, *CONTRARIAN, *FUNDING)
    printed = _backtest(bars, *CONTRARIAN, *FUNDING, json_output=False)

    # Assert
    assert result.returncode == 0, result.stderr
    warning = json.loads(result.stdout)["funding_warning"]
    assert "none of its 12 rates settles by the bars' last close 2018-04-04 02:00" in warning
    assert printed.returncode == 0, printed.stderr
    assert f"warning: {warning}" in " ".join(printed.stdout.split())


def test_backtest_when_funding_file_given_then_a_long_perpetual_pays_it(tmp_path: Path) -> None:
    # Arrange: an EMA cross trades the same with or without rates
    bars = perp_bars(tmp_path / "perp_1h.csv")
    ema = ("--agent", "ema_cross", "--param", "fast=3", "--param", "slow=8")

    # Act
    without = json.loads(_backtest(bars, *ema).stdout)
    funded = json.loads(_backtest(bars, *ema, *FUNDING).stdout)

    # Assert: the same orders; every rate in the file's first run is positive, so holding a
    # long through a settlement costs cash, and the equity curve ends lower by as much
    assert funded["orders"] == without["orders"] > 0
    paid = Decimal(without["final_cash"]) - Decimal(funded["final_cash"])
    assert paid > 0
    strategy, plain = funded["summary"]["strategy"], without["summary"]["strategy"]
    assert strategy["total_return"] == pytest.approx(
        plain["total_return"] - float(paid) / 100_000, abs=1e-9
    )


def test_backtest_when_funding_file_missing_then_one_line_error(tmp_path: Path) -> None:
    # Act
    bars = perp_bars(tmp_path / "perp_1h.csv")
    result = _backtest(bars, *CONTRARIAN, "--funding", str(tmp_path / "no.csv"))

    # Assert
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--funding" in result.stderr
