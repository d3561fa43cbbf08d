"""`aiswarm optimize` as a user runs it: real backtests per trial, ranked, walk-forward, errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DATA = "backtest_data/coinbase_btcusd_1m_2018-04-04_06.csv"
BARS = 3887


def _optimize(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "aiswarm.cli",
            "optimize",
            "--data",
            DATA,
            "--symbol",
            "BTC/USD",
            "--agent",
            "ema_cross",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def _summary(*args: str) -> dict[str, Any]:
    result = _optimize(*args, "--json")
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def _bar_open_times() -> list[str]:
    """Return the file's bar open times as written there (ISO 8601 UTC)."""
    with (REPO / DATA).open(encoding="utf-8", newline="") as handle:
        return [row["timestamp"] for row in csv.DictReader(handle)]


def _plus_minute(iso: str) -> str:
    moment = datetime.fromisoformat(iso) + timedelta(minutes=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_grid_when_three_by_two_then_six_trials_ranked_best_first() -> None:
    # Act
    summary = _summary("--grid", "fast=5,9,12", "--grid", "slow=21,34", "--objective", "sharpe")

    # Assert
    trials = summary["trials"]
    assert len(trials) == 6 == summary["candidates"]
    assert [t["rank"] for t in trials] == [1, 2, 3, 4, 5, 6]
    scores = [t["score"] for t in trials]
    assert None not in scores
    assert scores == sorted(scores, reverse=True)
    assert all(t["score"] == t["metrics"]["sharpe"] for t in trials)
    tried = {(t["params"]["fast"], t["params"]["slow"]) for t in trials}
    assert tried == {(f, s) for f in (5, 9, 12) for s in (21, 34)}
    assert summary["best"]["params"] == trials[0]["params"]


def test_grid_trial_when_same_params_then_same_metrics_as_backtest_command() -> None:
    # Arrange: the trial must be the very run `aiswarm backtest` does
    backtest = subprocess.run(
        [
            *(sys.executable, "-m", "aiswarm.cli", "backtest", "--data", DATA),
            *("--symbol", "BTC/USD", "--agent", "ema_cross"),
            *("--param", "fast=9", "--param", "slow=21", "--json"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert backtest.returncode == 0, backtest.stderr

    # Act
    summary = _summary("--grid", "fast=9", "--grid", "slow=21")

    # Assert
    assert summary["trials"][0]["metrics"] == json.loads(backtest.stdout)["metrics"]


def test_max_drawdown_objective_when_ranked_then_smallest_drawdown_first() -> None:
    summary = _summary("--grid", "fast=5,12", "--grid", "slow=21,34", "--objective", "max_drawdown")

    drawdowns = [t["metrics"]["max_drawdown_frac"] for t in summary["trials"]]
    assert drawdowns == sorted(drawdowns)
    assert all(t["score"] == -t["metrics"]["max_drawdown_frac"] for t in summary["trials"])


def test_random_when_same_seed_twice_then_same_output() -> None:
    # Arrange
    args = ("--random", "4", "--range", "fast=3:12", "--range", "slow=21:40", "--seed", "11")

    # Act
    first = _optimize(*args, "--json")
    second = _optimize(*args, "--json")

    # Assert
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    summary = json.loads(first.stdout)
    assert summary["seed"] == 11
    assert len(summary["trials"]) == 4
    for trial in summary["trials"]:
        assert 3 <= trial["params"]["fast"] <= 12
        assert 21 <= trial["params"]["slow"] <= 40


def test_walk_forward_when_rolling_then_only_test_windows_after_their_training() -> None:
    # Act
    summary = _summary(
        "--grid",
        "fast=5,12",
        "--grid",
        "slow=21,34",
        "--walk-forward",
        "--train-bars",
        "1500",
        "--test-bars",
        "800",
    )

    # Assert
    assert "trials" not in summary  # no in-sample ranking is reported
    walk = summary["walk_forward"]
    windows = walk["windows"]
    assert len(windows) == 3  # tests [1500, 2300), [2300, 3100), [3100, 3887)
    grid = {(f, s) for f in (5, 12) for s in (21, 34)}
    previous_test_end = 1500
    for window in windows:
        train_start, train_end = window["train_span"]
        test_start, test_end = window["test_span"]
        assert train_end - train_start == 1500
        assert train_end == test_start  # the test follows its training span directly
        assert test_start == previous_test_end  # tests tile the range without overlap
        assert (window["params"]["fast"], window["params"]["slow"]) in grid
        previous_test_end = test_end
    assert previous_test_end == BARS
    opens = _bar_open_times()
    for window in windows:  # dated from the file's own times: first open, last bar's close
        (train_start, train_end), (test_start, test_end) = window["train_span"], window["test_span"]
        assert window["train_period"] == [opens[train_start], _plus_minute(opens[train_end - 1])]
        assert window["test_period"] == [opens[test_start], _plus_minute(opens[test_end - 1])]
    out_of_sample = walk["out_of_sample"]
    assert out_of_sample["bars"] == BARS - 1500
    assert out_of_sample["number_of_trades"] == sum(
        w["test_metrics"]["number_of_trades"] for w in windows
    )


def test_walk_forward_when_anchored_then_training_starts_at_first_bar() -> None:
    summary = _summary(
        "--grid",
        "fast=9",
        "--grid",
        "slow=21",
        "--walk-forward",
        "--train-bars",
        "2500",
        "--test-bars",
        "700",
        "--anchored",
    )

    windows = summary["walk_forward"]["windows"]
    assert [w["train_span"] for w in windows] == [[0, 2500], [0, 3200]]
    assert [w["test_span"] for w in windows] == [[2500, 3200], [3200, BARS]]


def test_grid_when_report_asked_then_best_run_report_written(tmp_path: Path) -> None:
    # Act
    summary = _summary("--grid", "fast=9,12", "--grid", "slow=34", "--report", str(tmp_path))

    # Assert
    for name in ("equity.png", "drawdown.png", "trades.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["params"] == summary["best"]["params"]
    assert report["metrics"] == summary["trials"][0]["metrics"]
    assert report["walk_forward"] is None
    (heatmap,) = report["heatmaps"]  # fast by slow; slow has one value, so one row
    scores = {(t["params"]["fast"], t["params"]["slow"]): t["score"] for t in summary["trials"]}
    assert heatmap["scores"] == [[scores[(9, 34)], scores[(12, 34)]]]
    assert (tmp_path / "heatmap_1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert '<img src="heatmap_1.png"' in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_walk_forward_when_report_asked_then_walk_forward_section_written(
    tmp_path: Path,
) -> None:
    # Act
    summary = _summary(
        "--grid",
        "fast=9,12",
        "--grid",
        "slow=34",
        "--walk-forward",
        "--train-bars",
        "2000",
        "--test-bars",
        "1000",
        "--report",
        str(tmp_path),
    )

    # Assert
    assert (tmp_path / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Walk-forward (out of sample only)" in (tmp_path / "report.html").read_text(
        encoding="utf-8"
    )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["walk_forward"] == summary["walk_forward"]
    assert report["metrics"] == summary["walk_forward"]["out_of_sample"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--grid", "fast5,9"), "--grid 'fast5,9' is not name=values"),
        (("--grid", "fsat=5,9"), "ema_cross parameter 'fsat' is unknown (did you mean 'fast'?)"),
        (("--grid", "fast=30", "--grid", "slow=21"), "fast (30) must be below slow (21)"),
        (("--grid", "fast=5", "--objective", "sharp"), "--objective 'sharp' is unknown"),
        (
            ("--grid", "fast=5", "--walk-forward", "--train-bars", "5000", "--test-bars", "100"),
            "has 3887 bars; pass --train-bars below 3887",
        ),
    ],
)
def test_mistake_when_given_then_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    # Act
    result = _optimize(*args)

    # Assert
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("config error: ")
    assert message in lines[0]
    assert "run 1/" not in result.stderr  # refused before any trial ran
