"""Write a backtest's report: ``report.json``, PNG plots, the trade list and ``report.html``.

The JSON holds plain types only (Decimals as plain strings: ``0``, ``1.5``, never ``0E-8`` or
``1.50000000``; undefined metrics as null with the reason
in ``metrics.notes``), so any tool can read it back without this package; it carries the full
equity series, one mark a bar, not a thinned one. The HTML page is
self-contained apart from the PNGs it references by relative path, so the directory can be
moved or zipped as a whole; every piece of text in it is escaped.

Plots are drawn on ``matplotlib.figure.Figure`` objects rendered by the Agg backend, never
through ``pyplot``: no display is needed, and no global figure state is shared with a caller
who uses pyplot interactively. Long series are thinned to at most ``MAX_PLOT_POINTS`` (the
lowest and highest mark of each slice are kept, so peaks and troughs stay visible); fill
markers are never thinned. This module writes files in ``out_dir`` and nowhere else.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from aiswarm.backtest.heatmap import ScoreGrid, plot_heatmap
from aiswarm.backtest.iso_times import iso_utc_one
from aiswarm.backtest.metrics import Metrics
from aiswarm.backtest.monte_carlo import MonteCarloResult
from aiswarm.backtest.results import BacktestResult, TradeRecord
from aiswarm.backtest.summary import Summary, summary_rows, warning_lines
from aiswarm.backtest.trade_export import write_trades
from aiswarm.backtest.walk_forward import Span, WalkForwardResult
from aiswarm.clock import to_ns
from aiswarm.types import Side, Symbol
from aiswarm.types.money import plain

__all__ = ["MAX_PLOT_POINTS", "ReportPaths", "downsample", "write_report"]

MAX_PLOT_POINTS = 5_000
"""The most points a plotted line gets; a screen has fewer pixels than that across."""

_DPI = 100
_SIZE_IN = (10.0, 4.0)


@dataclass(frozen=True, slots=True)
class ReportPaths:
    """Where each file of one report was written."""

    directory: Path
    json: Path
    html: Path
    equity_png: Path
    drawdown_png: Path
    trades_png: Path
    trades_csv: Path
    trades_json: Path
    heatmap_pngs: tuple[Path, ...] = field(default=())


def downsample(
    x: npt.NDArray[np.int64], y: npt.NDArray[np.float64], max_points: int = MAX_PLOT_POINTS
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Return at most ``max_points`` points of a line, keeping each slice's lowest and highest.

    The series is cut into ``(max_points - 2) // 2`` slices; from each, its minimum and maximum
    are kept in time order, and the first and last points always stay, so the thinned line has the
    same extremes, start and end as the original. Short series come back unchanged.
    """
    if max_points < 4:
        raise ValueError(f"max_points={max_points}: keep at least 4 points to draw a line")
    if x.size <= max_points:
        return x, y
    edges = np.linspace(0, x.size, (max_points - 2) // 2 + 1).astype(np.int64)
    keep = [0, x.size - 1]
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        if hi > lo:
            keep.append(lo + int(np.argmin(y[lo:hi])))
            keep.append(lo + int(np.argmax(y[lo:hi])))
    index = np.unique(np.array(keep, dtype=np.int64))
    return x[index], y[index]


def _as_dates(ts_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    return ts_ns.astype("datetime64[ns]")


def _plain(text: str) -> str:
    """Return ``text`` with ``$`` escaped, so matplotlib does not read it as math."""
    return text.replace("$", r"\$")


def _figure(title: str, ylabel: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=_SIZE_IN, dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(_plain(title))
    axes.set_ylabel(_plain(ylabel))
    axes.grid(visible=True, alpha=0.3)
    return figure, axes


def _plot_equity(result: BacktestResult, title: str, path: Path) -> None:
    ts, equity = downsample(result.equity.ts_ns, result.equity.equity)
    figure, axes = _figure(f"{title}: equity", "equity (quote units)")
    axes.plot(_as_dates(ts), equity, linewidth=1.0, color="tab:blue")
    figure.savefig(path, format="png")


def _plot_drawdown(result: BacktestResult, title: str, path: Path) -> None:
    equity = result.equity.equity
    drawdown = equity / np.maximum.accumulate(equity) - 1.0
    ts, depth = downsample(result.equity.ts_ns, drawdown)
    figure, axes = _figure(f"{title}: drawdown", "drawdown (fraction of peak)")
    dates = _as_dates(ts)
    axes.fill_between(dates, depth, 0.0, color="tab:red", alpha=0.4, linewidth=0.0)
    axes.plot(dates, depth, linewidth=0.8, color="tab:red")
    figure.savefig(path, format="png")


def _plot_trades(
    result: BacktestResult,
    title: str,
    path: Path,
    price: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None,
    symbol: Symbol | None,
) -> None:
    figure, axes = _figure(f"{title}: fills", "price (quote units)")
    if price is not None:
        ts, close = downsample(np.asarray(price[0], np.int64), np.asarray(price[1], np.float64))
        axes.plot(_as_dates(ts), close, linewidth=0.8, color="tab:gray", label="close")
    fills = [f for f in result.fills if symbol is None or f.symbol == symbol]
    for side, marker, color in ((Side.BUY, "^", "tab:green"), (Side.SELL, "v", "tab:red")):
        chosen = [f for f in fills if f.side is side]
        if chosen:
            fill_ts = np.array([to_ns(f.ts_event) for f in chosen], dtype=np.int64)
            fill_price = np.array([float(f.price) for f in chosen], dtype=np.float64)
            axes.scatter(
                _as_dates(fill_ts), fill_price, marker=marker, color=color, s=36, label=side.value
            )
    if price is not None or fills:
        axes.legend(loc="best")
    else:
        axes.text(0.5, 0.5, "no fills", ha="center", va="center", transform=axes.transAxes)
    figure.savefig(path, format="png")


@dataclass(frozen=True, slots=True)
class _Extras:
    """The optional parts of a report, passed together from ``write_report`` to its writers."""

    trades: Sequence[TradeRecord]
    summary: Summary | None
    monte_carlo: MonteCarloResult | None
    walk_forward: WalkForwardResult | None
    heatmaps: Sequence[ScoreGrid]


def _report_data(
    result: BacktestResult, metrics: Metrics, title: str, extras: _Extras
) -> dict[str, object]:
    """Return everything ``report.json`` holds, as plain JSON types."""
    curve = result.equity
    return {
        "title": title,
        "params": dict(result.params),
        "summary": None if extras.summary is None else extras.summary.to_dict(),
        "metrics": metrics.to_dict(),
        "counts": {
            "bars": result.bars,
            "fills": result.fills_count,
            "trades": metrics.number_of_trades,
            "orders": len(result.orders),
        },
        "interval_s": result.interval_s,
        "starting_cash": plain(result.starting_cash),
        "final_cash": plain(result.final_cash),
        "final_positions": {str(k): plain(v) for k, v in result.final_positions.items()},
        "fees_total": plain(result.fees_total),
        "trade_files": {"csv": "trades.csv", "json": "trades.json"},
        "monte_carlo": None if extras.monte_carlo is None else extras.monte_carlo.to_dict(),
        "walk_forward": None if extras.walk_forward is None else extras.walk_forward.to_dict(),
        "heatmaps": [grid.to_dict() for grid in extras.heatmaps],
        # Last, so the figures above open the file: every mark the metrics were computed from,
        # at its bar's close in epoch nanoseconds (a million ISO strings would cost seconds).
        "equity": {"ts_ns": curve.ts_ns.tolist(), "equity": curve.equity.tolist()},
    }


def _cell(value: object) -> str:
    """Return a value as escaped table text; floats to 6 significant digits, None as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return html.escape(f"{value:.6g}")
    if isinstance(value, Decimal):
        return html.escape(plain(value))
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _monte_carlo_section(monte_carlo: MonteCarloResult) -> list[str]:
    final, depth = monte_carlo.final_return, monte_carlo.max_drawdown
    return [
        "<h2>Monte Carlo</h2>",
        f"<p>{monte_carlo.n_simulations} simulations ({_cell(monte_carlo.method)}, seed "
        f"{monte_carlo.seed}) over {monte_carlo.number_of_trades} trades; probability of loss "
        f"{_cell(monte_carlo.probability_of_loss)}.</p>",
        _table(
            ("distribution", "p5", "p50", "p95"),
            [
                ("final return (fraction)", final.p5, final.p50, final.p95),
                ("max drawdown (fraction)", depth.p5, depth.p50, depth.p95),
            ],
        ),
    ]


def _span_text(span: Span, period: Span | None) -> str:
    """Return a window's bars, and its dates when known: ``[0, 2000) 2018-04-04T00:00:00Z ..``."""
    bars = f"bars [{span.start}, {span.end})"
    if period is None:
        return bars
    return f"{bars} {iso_utc_one(period.start)} .. {iso_utc_one(period.end)}"


def _walk_forward_section(walk: WalkForwardResult) -> list[str]:
    out = walk.metrics
    rows = [
        (
            _span_text(o.window.train, o.window.train_period),
            _span_text(o.window.test, o.window.test_period),
            ", ".join(f"{k}={v}" for k, v in o.params.items()),
            o.train_score,
            o.test_metrics.total_return,
        )
        for o in walk.outcomes
    ]
    return [
        "<h2>Walk-forward (out of sample only)</h2>",
        f"<p>objective {_cell(walk.objective)}, {_cell(walk.search)} search; out-of-sample "
        f"total return {_cell(out.total_return)}, Sharpe {_cell(out.sharpe)}, max drawdown "
        f"{_cell(out.max_drawdown_frac)}.</p>",
        _table(("train", "test", "params", "train score", "test total return"), rows),
    ]


def _summary_section(summary: Summary) -> list[str]:
    rows = summary_rows(summary.to_dict())
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in warning_lines(summary.warnings))
    return [
        "<h2>Summary</h2>",
        _table(("figure", "strategy", "buy and hold"), rows),
        f"<p>Warnings:</p><ul>{notes}</ul>" if notes else "",
        '<p>Trade list: <a href="trades.csv">trades.csv</a>, '
        '<a href="trades.json">trades.json</a>.</p>',
    ]


def _heatmap_section(paths: Sequence[Path]) -> list[str]:
    images = "".join(
        f'<img src="{html.escape(png.name)}" alt="parameter grid heatmap">' for png in paths
    )
    return [
        "<h2>Parameter grid</h2>",
        "<p>The search's score per pair of parameter values; with more than two parameters, "
        "each cell is the best score over the others. In sample: it shows how sharp the "
        "optimum is, not how it will trade.</p>",
        images,
    ]


def _html(
    result: BacktestResult, metrics: Metrics, title: str, paths: ReportPaths, extras: _Extras
) -> str:
    """Return the report page; every value shown is escaped."""
    metric_rows = [
        (name, value, metrics.notes.get(name, "") or metrics.warnings.get(name, ""))
        for name, value in metrics.to_dict().items()
        if name not in ("notes", "warnings")
    ]
    counts = [
        ("bars", result.bars),
        ("fills", result.fills_count),
        ("round-trip trades", metrics.number_of_trades),
        ("orders", len(result.orders)),
    ]
    params = sorted(result.params.items())
    sections = [f"<h1>{html.escape(title)}</h1>"]
    if extras.summary is not None:
        sections += _summary_section(extras.summary)
    sections += [
        "<h2>Metrics</h2>",
        _table(("metric", "value", "why undefined, or a warning"), metric_rows),
        "<h2>Parameters</h2>",
        _table(("parameter", "value"), params) if params else "<p>none</p>",
        "<h2>Counts</h2>",
        _table(("what", "count"), counts),
    ]
    for heading, png in (
        ("Equity", paths.equity_png),
        ("Drawdown", paths.drawdown_png),
        ("Fills", paths.trades_png),
    ):
        alt = html.escape(f"{heading} plot")
        sections.append(f'<h2>{heading}</h2><img src="{html.escape(png.name)}" alt="{alt}">')
    if paths.heatmap_pngs:
        sections += _heatmap_section(paths.heatmap_pngs)
    if extras.monte_carlo is not None:
        sections += _monte_carlo_section(extras.monte_carlo)
    if extras.walk_forward is not None:
        sections += _walk_forward_section(extras.walk_forward)
    style = (
        "body{font-family:sans-serif;max-width:1040px;margin:2em auto}"
        "table{border-collapse:collapse;margin:0.5em 0}"
        "td,th{border:1px solid #ccc;padding:0.2em 0.6em;text-align:left}"
        "img{max-width:100%}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def write_report(
    result: BacktestResult,
    metrics: Metrics,
    out_dir: Path,
    *,
    title: str,
    price: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None = None,
    symbol: Symbol | None = None,
    trades: Sequence[TradeRecord] | None = None,
    summary: Summary | None = None,
    monte_carlo: MonteCarloResult | None = None,
    walk_forward: WalkForwardResult | None = None,
    heatmaps: Sequence[ScoreGrid] = (),
) -> ReportPaths:
    """Write the report files into ``out_dir`` (created if missing) and return their paths.

    ``price`` is ``(ts_ns, close)`` of the traded market for the fills plot; ``symbol`` limits
    the plotted fill markers to that market (pass it when the run traded several). ``trades``
    is the trade list to export, the one ``metrics`` counted (default: the result's own round
    trips). ``summary`` heads the page; ``heatmaps`` are a grid search's score grids, one PNG
    each. Existing files of the same names are overwritten.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    extras = _Extras(
        trades=result.trades if trades is None else trades,
        summary=summary,
        monte_carlo=monte_carlo,
        walk_forward=walk_forward,
        heatmaps=heatmaps,
    )
    trades_csv, trades_json = write_trades(extras.trades, out_dir)
    paths = ReportPaths(
        directory=out_dir,
        json=out_dir / "report.json",
        html=out_dir / "report.html",
        equity_png=out_dir / "equity.png",
        drawdown_png=out_dir / "drawdown.png",
        trades_png=out_dir / "trades.png",
        trades_csv=trades_csv,
        trades_json=trades_json,
        heatmap_pngs=tuple(out_dir / f"heatmap_{i}.png" for i in range(1, len(heatmaps) + 1)),
    )
    data = _report_data(result, metrics, title, extras)
    paths.json.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    _plot_equity(result, title, paths.equity_png)
    _plot_drawdown(result, title, paths.drawdown_png)
    _plot_trades(result, title, paths.trades_png, price, symbol)
    for grid, png in zip(heatmaps, paths.heatmap_pngs, strict=True):
        plot_heatmap(grid, png)
    paths.html.write_text(_html(result, metrics, title, paths, extras), encoding="utf-8")
    return paths
