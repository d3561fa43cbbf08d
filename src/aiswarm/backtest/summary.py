"""Sum up one backtest for a trader: the key figures, beside buying and holding. No I/O.

The summary is what `aiswarm backtest` prints after every run and what the report shows
first: trades, win rate, profit factor, total and annual return, maximum drawdown, Sharpe,
Sortino, exposure time and fees, for the strategy and for buying and holding the same market.
Every figure but exposure is a ``Metrics`` field (defined in docs/backtest.md), so the table
and the metrics can never disagree.

Buy and hold puts the starting cash into the market at the first mark (the first bar's close,
the first moment the strategy could act too), with no fee, and holds it to the last mark: its
equity is ``starting_cash * close[i] / close[0]`` at the strategy's own marks, scored by the
same ``compute_metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from aiswarm.backtest.metrics import Metrics, compute_metrics
from aiswarm.backtest.results import BacktestResult, EquityCurve
from aiswarm.clock import to_ns
from aiswarm.types import Fill, Symbol, VenueId
from aiswarm.types.money import money_text, plain

__all__ = [
    "FIGURES",
    "Summary",
    "SummaryRow",
    "exposure_frac",
    "summarize",
    "summary_rows",
    "warning_lines",
]

FIGURES: tuple[tuple[str, str, str], ...] = (
    ("trades", "trades (round trips)", "count"),
    ("win_rate", "win rate", "percent"),
    ("profit_factor", "profit factor", "ratio"),
    ("total_return", "total return", "percent"),
    ("annualised_return", "annual return (CAGR)", "percent"),
    ("max_drawdown_frac", "max drawdown", "percent"),
    ("sharpe", "Sharpe (annualised)", "ratio"),
    ("sortino", "Sortino (annualised)", "ratio"),
    ("exposure_frac", "exposure time", "percent"),
    ("fees", "fees (quote units)", "money"),
)
"""The summary's figures in table order: (field of ``SummaryRow``, label, how it is shown)."""


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One line of the summary. ``None`` is undefined (the metric's note says why)."""

    trades: int | None
    win_rate: float | None
    profit_factor: float | None
    total_return: float
    annualised_return: float | None
    max_drawdown_frac: float
    sharpe: float | None
    sortino: float | None
    exposure_frac: float | None
    fees: Decimal

    def to_dict(self) -> dict[str, object]:
        """Return plain JSON types; fees as a string (exact money)."""
        values: dict[str, object] = {name: getattr(self, name) for name, _, _ in FIGURES}
        values["fees"] = plain(self.fees)
        return values


@dataclass(frozen=True)
class Summary:
    """The strategy's figures, buy and hold's over the same marks, and what to be wary of.

    ``warnings`` are the strategy metrics' warnings (an annualised figure from a short
    sample); buy and hold spans the same time, so they hold for its line too.
    ``money_decimals`` is how many decimals an amount of the quote currency is shown with.
    """

    strategy: SummaryRow
    buy_and_hold: SummaryRow
    warnings: Mapping[str, str]
    money_decimals: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "warnings", MappingProxyType(dict(self.warnings)))

    def to_dict(self) -> dict[str, object]:
        """Return plain JSON types."""
        return {
            "strategy": self.strategy.to_dict(),
            "buy_and_hold": self.buy_and_hold.to_dict(),
            "warnings": dict(self.warnings),
            "money_decimals": self.money_decimals,
        }


def exposure_frac(fills: Iterable[Fill], start_ns: int, end_ns: int) -> float | None:
    """Return the fraction of ``[start_ns, end_ns]`` during which any position was open.

    A position opens at the fill that leaves flat and closes at the fill that returns to flat
    (per venue and symbol); one still open at the end counts up to ``end_ns``. Time is calendar
    time, so a gap in the data while a position is held counts as exposure: the money was at
    risk. None when the span is empty (one mark only).
    """
    if end_ns <= start_ns:
        return None
    positions: dict[tuple[VenueId, Symbol], Decimal] = {}
    open_markets = 0
    opened_ns = start_ns
    held_ns = 0
    for fill in sorted(fills, key=lambda f: f.ts_event):
        ts_ns = min(max(to_ns(fill.ts_event), start_ns), end_ns)
        key = (fill.venue, fill.symbol)
        before = positions.get(key, Decimal(0))
        after = before + fill.side.sign * fill.quantity
        positions[key] = after
        was_open = open_markets > 0
        open_markets += int(after != 0) - int(before != 0)
        if not was_open and open_markets:
            opened_ns = ts_ns
        elif was_open and not open_markets:
            held_ns += ts_ns - opened_ns
    if open_markets:
        held_ns += end_ns - opened_ns
    return held_ns / (end_ns - start_ns)


def _buy_and_hold(
    curve: EquityCurve, close: npt.NDArray[np.float64], starting_cash: Decimal
) -> EquityCurve:
    """Return the equity of ``starting_cash`` bought at the first mark and held, no fee."""
    if close.size != len(curve):
        raise ValueError(
            f"close has {close.size} prices but the equity curve {len(curve)} marks: pass the "
            "close of every marked bar"
        )
    if close[0] <= 0:
        raise ValueError(f"close[0]={close[0]} is not a price: buy and hold cannot start there")
    return EquityCurve(curve.ts_ns, float(starting_cash) * close / close[0])


def _row(metrics: Metrics, exposure: float | None, *, trades: bool) -> SummaryRow:
    """Return a line of ``metrics``; without ``trades`` (buy and hold) no trade statistics."""
    return SummaryRow(
        trades=metrics.number_of_trades if trades else None,
        win_rate=metrics.win_rate if trades else None,
        profit_factor=metrics.profit_factor if trades else None,
        total_return=metrics.total_return,
        annualised_return=metrics.annualised_return,
        max_drawdown_frac=metrics.max_drawdown_frac,
        sharpe=metrics.sharpe,
        sortino=metrics.sortino,
        exposure_frac=exposure,
        fees=metrics.total_fees,
    )


def summarize(
    result: BacktestResult,
    metrics: Metrics,
    close: npt.NDArray[np.float64],
    *,
    money_decimals: int,
) -> Summary:
    """Return the summary of ``result``; ``close`` is the traded market's close at each mark.

    ``metrics`` are the result's own (``metrics_of(result)``, or a walk-forward's out-of-sample
    metrics over the same curve). ``money_decimals`` is the quote currency's precision, which
    the table shows fees with (2 for USD).
    """
    curve = result.equity
    start_ns, end_ns = int(curve.ts_ns[0]), int(curve.ts_ns[-1])
    held = compute_metrics(
        _buy_and_hold(curve, np.asarray(close, dtype=np.float64), result.starting_cash),
        (),
        traded_notional=result.starting_cash,
        total_fees=Decimal(0),
        fills_count=1,
    )
    return Summary(
        strategy=_row(metrics, exposure_frac(result.fills, start_ns, end_ns), trades=True),
        buy_and_hold=_row(held, None if end_ns <= start_ns else 1.0, trades=False),
        warnings=metrics.warnings,
        money_decimals=money_decimals,
    )


def _shown(value: object, kind: str, money_decimals: int) -> str:
    """Return one figure as a trader reads it: percentages, two-decimal ratios, money, n/a."""
    if value is None:
        return "n/a"
    if kind == "count":
        return str(value)
    if kind == "money":
        return money_text(Decimal(str(value)), money_decimals)
    number = float(str(value))
    return f"{number:.2%}" if kind == "percent" else f"{number:.2f}"


def summary_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Return (label, strategy, buy and hold) text rows from ``Summary.to_dict()``.

    The printed table and the HTML report both read these rows, so they show the same text.
    """
    strategy, held, places = summary["strategy"], summary["buy_and_hold"], summary["money_decimals"]
    return [
        (label, _shown(strategy[name], kind, places), _shown(held[name], kind, places))
        for name, label, kind in FIGURES
    ]


def warning_lines(warnings: Mapping[str, str]) -> Sequence[str]:
    """Return one line per distinct warning, naming the figures it concerns."""
    labels = {name: label for name, label, _ in FIGURES}
    by_reason: dict[str, list[str]] = {}
    for name, reason in warnings.items():
        by_reason.setdefault(reason, []).append(labels.get(name, name))
    return [f"{', '.join(names)}: {reason}" for reason, names in by_reason.items()]
