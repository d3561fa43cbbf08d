"""Specs for the backtest report: JSON, PNG plots and an HTML page that ties them together."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from aiswarm.backtest.heatmap import score_grids
from aiswarm.backtest.metrics import metrics_of
from aiswarm.backtest.monte_carlo import monte_carlo
from aiswarm.backtest.report import downsample, write_report
from aiswarm.backtest.results import BacktestResult, EquityCurve, Params
from aiswarm.backtest.search import Trial
from aiswarm.backtest.summary import summarize
from aiswarm.backtest.walk_forward import Span, dated_windows, split_windows, walk_forward
from aiswarm.clock import to_ns
from aiswarm.types import Side, Symbol, TradeId
from kit.builders import T0, fill

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BAR_S = 60
NS = 1_000_000_000


def _result(bars: int = 240, params: Params | None = None, first_bar: int = 0) -> BacktestResult:
    """Return a run of ``bars`` one-minute bars with two round trips on BTC/USDT."""
    ts = to_ns(T0) + np.arange(first_bar, first_bar + bars, dtype=np.int64) * BAR_S * NS
    equity = 10_000.0 * (1 + 0.02 * np.sin(np.arange(bars) / 15.0))
    trades = [(Side.BUY, 0, "100"), (Side.SELL, 30, "110"), (Side.BUY, 60, "105")]
    trades.append((Side.SELL, 90, "95"))
    fills = tuple(
        fill(
            side=side,
            quantity=Decimal("1"),
            price=Decimal(price),
            fee=Decimal("0.1"),
            trade_id=TradeId(f"t-{minute}"),
            ts_event=T0 + timedelta(minutes=minute),
            ts_init=T0 + timedelta(minutes=minute),
        )
        for side, minute, price in trades
    )
    return BacktestResult(
        equity=EquityCurve(ts, equity),
        fills=fills,
        orders=(),
        starting_cash=Decimal("10000"),
        final_cash=Decimal("10009.6"),
        final_positions={Symbol("BTC/USDT"): Decimal("0")},
        params=params if params is not None else {"fast": 5, "slow": 20, "mode": "ema"},
        interval_s=BAR_S,
    )


def _price(bars: int = 240) -> tuple[np.ndarray, np.ndarray]:
    ts = to_ns(T0) + np.arange(bars, dtype=np.int64) * BAR_S * NS
    return ts, 100.0 + 5 * np.sin(np.arange(bars) / 10.0)


def test_write_report_when_run_then_writes_json_html_and_three_valid_pngs(
    tmp_path: Path,
) -> None:
    # Arrange
    result = _result()
    metrics = metrics_of(result)

    # Act
    paths = write_report(result, metrics, tmp_path / "out", title="EMA cross", price=_price())

    # Assert
    for png in (paths.equity_png, paths.drawdown_png, paths.trades_png):
        assert png.read_bytes()[:8] == PNG_SIGNATURE
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["metrics"] == json.loads(json.dumps(metrics.to_dict()))
    assert data["params"] == {"fast": 5, "slow": 20, "mode": "ema"}
    assert data["counts"] == {"bars": 240, "fills": 4, "trades": 2, "orders": 0}
    assert data["starting_cash"] == "10000"
    assert data["fees_total"] == "0.4"
    assert data["monte_carlo"] is None
    page = paths.html.read_text(encoding="utf-8")
    assert '<img src="equity.png"' in page
    assert '<img src="drawdown.png"' in page
    assert '<img src="trades.png"' in page
    assert f"{metrics.total_return:.6g}" in page
    assert "max_drawdown_frac" in page
    assert "<td>slow</td><td>20</td>" in page


def test_write_report_when_title_has_markup_then_it_is_escaped(tmp_path: Path) -> None:
    # Arrange
    result = _result(params={"note": "<b>bold</b>"})

    # Act
    paths = write_report(result, metrics_of(result), tmp_path, title="<script>x</script> $5")

    # Assert
    page = paths.html.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt; $5" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert paths.trades_png.read_bytes()[:8] == PNG_SIGNATURE


def test_write_report_when_no_fills_and_no_price_then_still_writes_every_file(
    tmp_path: Path,
) -> None:
    # Arrange
    result = BacktestResult(
        equity=EquityCurve(np.array([0], dtype=np.int64), np.array([100.0])),
        fills=(),
        orders=(),
        starting_cash=Decimal("100"),
        final_cash=Decimal("100"),
        final_positions={},
        params={},
        interval_s=BAR_S,
    )
    metrics = metrics_of(result)

    # Act
    paths = write_report(result, metrics, tmp_path, title="idle")

    # Assert
    for png in (paths.equity_png, paths.drawdown_png, paths.trades_png):
        assert png.read_bytes()[:8] == PNG_SIGNATURE
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["metrics"]["sharpe"] is None
    assert data["metrics"]["notes"]["sharpe"]
    assert "n/a" in paths.html.read_text(encoding="utf-8")


def test_write_report_when_monte_carlo_and_walk_forward_given_then_both_reported(
    tmp_path: Path,
) -> None:
    # Arrange
    result = _result()

    def run(params: Params, span: Span) -> BacktestResult:
        return _result(bars=span.length, params=params, first_bar=span.start)

    walk = walk_forward(run, {"fast": [5, 8]}, split_windows(0, 300, train_size=200, test_size=50))
    simulated = monte_carlo(result.trades, result.starting_cash, n_simulations=200, seed=1)

    # Act
    paths = write_report(
        result, metrics_of(result), tmp_path, title="full", monte_carlo=simulated, walk_forward=walk
    )

    # Assert
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["monte_carlo"]["n_simulations"] == 200
    assert len(data["walk_forward"]["windows"]) == 2
    page = paths.html.read_text(encoding="utf-8")
    assert "Monte Carlo" in page
    assert "Walk-forward (out of sample only)" in page
    assert "[200, 250)" in page


def test_downsample_when_series_long_then_bounded_and_extremes_kept() -> None:
    # Arrange
    rng = np.random.default_rng(0)
    x = np.arange(100_000, dtype=np.int64)
    y = np.cumsum(rng.normal(size=x.size))

    # Act
    xs, ys = downsample(x, y, max_points=5_000)

    # Assert
    assert xs.size <= 5_000
    assert ys.min() == y.min()
    assert ys.max() == y.max()
    assert (xs[0], xs[-1]) == (0, 99_999)
    assert (np.diff(xs) > 0).all()
    assert np.array_equal(ys, y[xs])


def test_downsample_when_series_short_then_unchanged() -> None:
    # Arrange
    x = np.arange(10, dtype=np.int64)
    y = x.astype(np.float64)

    # Act
    xs, ys = downsample(x, y)

    # Assert
    assert np.array_equal(xs, x)
    assert np.array_equal(ys, y)


def test_downsample_when_max_points_too_small_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="max_points=2"):
        downsample(np.arange(10, dtype=np.int64), np.zeros(10), max_points=2)


def test_write_report_when_run_then_full_equity_series_and_trade_files_written(
    tmp_path: Path,
) -> None:
    # Arrange
    result = _result()

    # Act
    paths = write_report(result, metrics_of(result), tmp_path, title="series")

    # Assert: every mark, not a thinned series
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["equity"]["ts_ns"] == result.equity.ts_ns.tolist()
    assert data["equity"]["equity"] == result.equity.equity.tolist()
    rows = json.loads(paths.trades_json.read_text(encoding="utf-8"))
    assert [row["pnl"] for row in rows] == [str(t.pnl) for t in result.trades]
    assert paths.trades_csv.read_text(encoding="utf-8").startswith("trade,venue,symbol,")
    page = paths.html.read_text(encoding="utf-8")
    assert "Summary" not in page  # no summary was given


def test_write_report_when_summary_given_then_page_opens_with_it_and_its_warnings(
    tmp_path: Path,
) -> None:
    # Arrange
    result = _result()
    metrics = metrics_of(result)
    summary = summarize(result, metrics, 100.0 + np.arange(240, dtype=np.float64), money_decimals=2)

    # Act
    paths = write_report(result, metrics, tmp_path, title="summary", summary=summary)

    # Assert
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["summary"] == json.loads(json.dumps(summary.to_dict()))
    page = paths.html.read_text(encoding="utf-8")
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Metrics</h2>")
    assert "<th>buy and hold</th>" in page
    assert "<td>total return</td>" in page
    assert "less than a year" in page
    assert '<a href="trades.csv">' in page


def test_write_report_when_heatmaps_given_then_png_per_grid_and_section(tmp_path: Path) -> None:
    # Arrange
    result = _result()
    metrics = metrics_of(result)
    trials = [Trial({"fast": f, "slow": s}, metrics, float(f - s)) for f in (5, 9) for s in (21,)]
    grids = score_grids(trials, {"fast": [5, 9], "slow": [21]}, "sharpe")

    # Act
    paths = write_report(result, metrics, tmp_path, title="grid", heatmaps=grids)

    # Assert
    assert [p.name for p in paths.heatmap_pngs] == ["heatmap_1.png"]
    assert paths.heatmap_pngs[0].read_bytes()[:8] == PNG_SIGNATURE
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["heatmaps"][0]["scores"] == [[-16.0, -12.0]]
    page = paths.html.read_text(encoding="utf-8")
    assert "<h2>Parameter grid</h2>" in page
    assert '<img src="heatmap_1.png"' in page


def test_write_report_when_walk_forward_windows_dated_then_dates_on_the_page(
    tmp_path: Path,
) -> None:
    # Arrange
    result = _result()

    def run(params: Params, span: Span) -> BacktestResult:
        return _result(bars=span.length, params=params, first_bar=span.start)

    bar_open_ns = to_ns(T0) + np.arange(300, dtype=np.int64) * BAR_S * NS
    windows = dated_windows(split_windows(0, 300, train_size=200, test_size=50), bar_open_ns, BAR_S)
    walk = walk_forward(run, {"fast": [5, 8]}, windows)

    # Act
    paths = write_report(result, metrics_of(result), tmp_path, title="wf", walk_forward=walk)

    # Assert: T0 is 2024-01-01T00:00Z; the first test window is bars [200, 250)
    page = paths.html.read_text(encoding="utf-8")
    assert "bars [200, 250) 2024-01-01T03:20:00Z .. 2024-01-01T04:10:00Z" in page


def _strings(value: object) -> list[str]:
    """Return every string inside a JSON value."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_write_report_when_decimals_carry_exponents_and_zeros_then_every_file_prints_them_plain(
    tmp_path: Path,
) -> None:
    # Arrange: exact values as venues and sums leave them: 0E-8, 1.50000000, 10009.60000000
    trades = [(Side.BUY, 0, "100.00000000"), (Side.SELL, 30, "110.50000000")]
    fills = tuple(
        fill(
            side=side,
            quantity=Decimal("1.50000000"),
            price=Decimal(price),
            fee=Decimal("0E-8"),
            trade_id=TradeId(f"t-{minute}"),
            ts_event=T0 + timedelta(minutes=minute),
            ts_init=T0 + timedelta(minutes=minute),
        )
        for side, minute, price in trades
    )
    result = replace(
        _result(),
        fills=fills,
        starting_cash=Decimal("1.0000E+4"),
        final_cash=Decimal("10015.75000000"),
        final_positions={Symbol("BTC/USDT"): Decimal("0E-8")},
    )

    # Act
    paths = write_report(result, metrics_of(result), tmp_path / "out", title="plain")

    # Assert: the figures read as a trader writes them ...
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert (data["starting_cash"], data["final_cash"]) == ("10000", "10015.75")
    assert (data["final_positions"], data["fees_total"]) == ({"BTC/USDT": "0"}, "0")
    rows = json.loads((tmp_path / "out" / "trades.json").read_text(encoding="utf-8"))
    assert [(r["quantity"], r["entry_price"], r["exit_price"], r["fees"]) for r in rows] == [
        ("1.5", "100", "110.5", "0")
    ]
    assert rows[0]["pnl"] == "15.75"
    with (tmp_path / "out" / "trades.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    exact = ("quantity", "entry_price", "exit_price", "fees", "pnl")
    assert [tuple(r[c] for c in exact) for r in table] == [("1.5", "100", "110.5", "0", "15.75")]
    # ... and no file spells a decimal with an exponent or trailing zeros (floats such as
    # duration_s are floats, not decimals)
    texts = _strings(data) + _strings(rows) + [paths.html.read_text(encoding="utf-8")]
    for text in texts:
        assert not re.search(r"\d(?:E[-+]?\d|\.\d*0(?!\d))", text), text[:200]
