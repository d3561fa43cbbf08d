"""Score a backtest: returns, risk-adjusted returns, drawdown and trade statistics. No I/O.

Every definition is written out in docs/backtest.md, and each function's docstring repeats it.
Crypto trades every day of the year, so a year is 365 days of 86,400 s (``SECONDS_PER_YEAR``)
for annualising, never 252 trading days. Returns and drawdowns are fractions (0.1 is 10%).

Annualising uses calendar time, never an assumed bar count: exchange files leave out minutes
with no trades, so a curve's marks are not evenly spaced, and the number of returns a year is
the number observed over the elapsed time (``returns / (elapsed_s / SECONDS_PER_YEAR)``). A
figure annualised from less than ``MIN_ANNUALISING_S`` of data is kept but carries a warning in
``Metrics.warnings``: it is an extrapolation, not a measured annual figure.

No metric is ever NaN or infinite: where one is undefined (no trades, flat equity, one bar, no
losing trade) it is ``None``, and ``Metrics.notes`` says why, so a report never shows a number
that was not measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from aiswarm.backtest.results import BacktestResult, EquityCurve, TradeRecord
from aiswarm.types.money import plain

__all__ = [
    "MIN_ANNUALISING_S",
    "SECONDS_PER_YEAR",
    "Drawdown",
    "Metrics",
    "compute_metrics",
    "max_drawdown",
    "metrics_of",
    "period_returns",
]

SECONDS_PER_YEAR = 365 * 86_400
"""Seconds in the year used to annualise: crypto markets never close, so 365 full days."""

MIN_ANNUALISING_S = SECONDS_PER_YEAR
"""Below this much data an annualised figure is flagged: GIPS does not annualise under a year."""

_ANNUALISED = ("annualised_return", "sharpe", "sortino")
_DURATION_UNITS = (("days", 86_400), ("hours", 3_600), ("minutes", 60))

_NS_PER_S = 1_000_000_000
# exp() of more than this overflows a float: the annualised figure is not representable.
_MAX_LOG_GROWTH = 700.0


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall from a running peak, and the longest time spent below a peak.

    ``max_drawdown_frac`` is ``max_i (1 - equity[i] / max(equity[:i+1]))``. ``duration_s`` is the
    longest time from a peak to the first later mark at or above it (or to the last mark, when
    equity never got back: then ``recovered`` is False). The longest spell need not be the
    deepest one.
    """

    max_drawdown_frac: float
    duration_s: float
    recovered: bool


@dataclass(frozen=True)
class Metrics:
    """The scores of one run. ``None`` means undefined for this run; ``notes`` says why.

    ``warnings`` names the figures that are defined but not to be trusted as they stand
    (annualised from less than ``MIN_ANNUALISING_S`` of data), with the reason.
    Fractions: ``total_return``, ``annualised_return``, ``max_drawdown_frac``, ``win_rate``.
    Annualised ratios: ``sharpe``, ``sortino``. ``turnover`` is traded notional over average
    equity (times). ``profit_factor`` is gross profit over gross loss. Money is quote units.
    """

    total_return: float
    annualised_return: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown_frac: float
    max_drawdown_duration_s: float
    max_drawdown_recovered: bool
    win_rate: float | None
    profit_factor: float | None
    turnover: float | None
    total_fees: Decimal
    number_of_trades: int
    fills_count: int
    bars: int
    elapsed_s: float
    notes: Mapping[str, str] = field(default_factory=dict)
    warnings: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", MappingProxyType(dict(self.notes)))
        object.__setattr__(self, "warnings", MappingProxyType(dict(self.warnings)))

    def to_dict(self) -> dict[str, object]:
        """Return the metrics as plain JSON types: floats, ints, bools, None; fees as a string."""
        return {
            "total_return": self.total_return,
            "annualised_return": self.annualised_return,
            "sharpe": self.sharpe,
            "sortino": self.sortino,
            "max_drawdown_frac": self.max_drawdown_frac,
            "max_drawdown_duration_s": self.max_drawdown_duration_s,
            "max_drawdown_recovered": self.max_drawdown_recovered,
            "win_rate": self.win_rate,
            "profit_factor": self.profit_factor,
            "turnover": self.turnover,
            "total_fees": plain(self.total_fees),
            "number_of_trades": self.number_of_trades,
            "fills_count": self.fills_count,
            "bars": self.bars,
            "elapsed_s": self.elapsed_s,
            "notes": dict(self.notes),
            "warnings": dict(self.warnings),
        }


def period_returns(equity: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """Return the simple return of each bar, ``equity[i] / equity[i-1] - 1``, or None.

    None when a bar starts at zero or negative equity (ruin): a return from there is undefined.
    """
    previous = equity[:-1]
    if previous.size and previous.min() <= 0:
        return None
    return np.asarray(equity[1:] / previous - 1.0, dtype=np.float64)


def max_drawdown(curve: EquityCurve) -> Drawdown:
    """Return the maximum drawdown (fraction of the running peak) and the longest underwater time.

    Drawdown at bar i is ``1 - equity[i] / peak[i]`` with ``peak[i] = max(equity[:i+1])``; it is
    in [0, 1) while equity stays positive, and exceeds 1 only if equity goes below zero.
    """
    equity = curve.equity
    peak = np.maximum.accumulate(equity)
    depth = float(np.max(1.0 - equity / peak))
    # A mark at or above every earlier one ends the spell underwater that started at the last.
    highs = np.flatnonzero(equity >= peak)
    ts = curve.ts_ns
    dipped = np.diff(highs) > 1
    spells = ts[highs[1:][dipped]] - ts[highs[:-1][dipped]]
    longest_ns = int(spells.max()) if spells.size else 0
    recovered = True
    tail_ns = int(ts[-1] - ts[highs[-1]])
    if tail_ns > longest_ns:
        longest_ns, recovered = tail_ns, False
    return Drawdown(max(depth, 0.0), longest_ns / _NS_PER_S, recovered)


def _annualised_return(first: float, last: float, elapsed_s: float) -> tuple[float | None, str]:
    """Return the CAGR over ``elapsed_s`` seconds, or None and why."""
    if elapsed_s <= 0:
        return None, "one mark only: no time elapsed to annualise over"
    if last <= 0:
        return None, "equity ended at or below zero (ruin): no compound growth rate exists"
    log_growth = math.log(last / first) * SECONDS_PER_YEAR / elapsed_s
    if log_growth > _MAX_LOG_GROWTH:
        return None, "the run is too short to annualise: the figure overflows a float"
    return math.expm1(log_growth), ""


def _sharpe(
    returns: npt.NDArray[np.float64], periods_per_year: float, risk_free_per_period: float
) -> tuple[float | None, str]:
    """Return mean excess return over its sample standard deviation, annualised, or None."""
    deviation = float(np.std(returns, ddof=1))
    if deviation <= 0:
        return None, "equity moved by the same fraction every bar: zero standard deviation"
    excess = float(np.mean(returns)) - risk_free_per_period
    return excess / deviation * math.sqrt(periods_per_year), ""


def _sortino(
    returns: npt.NDArray[np.float64], periods_per_year: float, risk_free_per_period: float
) -> tuple[float | None, str]:
    """Return mean excess return over the downside deviation below 0, annualised, or None."""
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    if downside <= 0:
        return None, "no bar lost money: zero downside deviation"
    excess = float(np.mean(returns)) - risk_free_per_period
    return excess / downside * math.sqrt(periods_per_year), ""


def _trade_statistics(
    trades: Sequence[TradeRecord],
) -> tuple[float | None, float | None, dict[str, str]]:
    """Return (win rate, profit factor, notes) over closed round trips."""
    if not trades:
        reason = "no closed round trips"
        return None, None, {"win_rate": reason, "profit_factor": reason}
    wins = [t.pnl for t in trades if t.pnl > 0]
    losses = [t.pnl for t in trades if t.pnl < 0]
    win_rate = len(wins) / len(trades)
    if not losses:
        return win_rate, None, {"profit_factor": "no losing trade: gross loss is zero"}
    gross_profit = sum(wins, Decimal(0))
    gross_loss = -sum(losses, Decimal(0))
    return win_rate, float(gross_profit / gross_loss), {}


def _duration_text(seconds: float) -> str:
    """Return a span in the largest unit it fills: ``3 days``, ``4.5 hours``, ``0.5 minutes``."""
    unit, size = next(
        ((name, size) for name, size in _DURATION_UNITS if seconds >= size), _DURATION_UNITS[-1]
    )
    return f"{seconds / size:.3g} {unit}"


def _short_sample_warnings(values: Mapping[str, float | None], elapsed_s: float) -> dict[str, str]:
    """Return a warning for each defined annualised figure measured over less than a year."""
    if elapsed_s >= MIN_ANNUALISING_S:
        return {}
    reason = (
        f"annualised from {_duration_text(elapsed_s)} of data, less than a year: an "
        "extrapolation, not a measured annual figure; judge it on a longer run"
    )
    return {name: reason for name in _ANNUALISED if values.get(name) is not None}


def compute_metrics(
    curve: EquityCurve,
    trades: Sequence[TradeRecord],
    *,
    traded_notional: Decimal,
    total_fees: Decimal,
    fills_count: int,
    risk_free_annual: float = 0.0,
) -> Metrics:
    """Return every metric from the parts of a run (walk-forward passes stitched parts).

    Returns are annualised by calendar time: ``periods_per_year`` is the number of returns
    divided by the years the curve spans, so a gap in the data (or a chained walk-forward
    curve) neither inflates nor shrinks the ratios; on evenly spaced marks it is
    ``SECONDS_PER_YEAR / interval``. ``risk_free_annual`` is a simple annual rate (0.04 is 4%),
    charged per return as ``risk_free_annual / periods_per_year``.
    """
    notes: dict[str, str] = {}
    equity = curve.equity
    first, last = float(equity[0]), float(equity[-1])
    elapsed_s = int(curve.ts_ns[-1] - curve.ts_ns[0]) / _NS_PER_S
    annualised, why = _annualised_return(first, last, elapsed_s)
    if annualised is None:
        notes["annualised_return"] = why

    returns = period_returns(equity)
    sharpe: float | None = None
    sortino: float | None = None
    if returns is None:
        ruin = "equity reached zero or below: bar returns after that are undefined"
        notes["sharpe"] = notes["sortino"] = ruin
    elif returns.size < 2:
        notes["sharpe"] = "fewer than two bar returns: no standard deviation"
        notes["sortino"] = "fewer than two bar returns: no downside deviation"
    else:
        periods_per_year = returns.size * SECONDS_PER_YEAR / elapsed_s
        risk_free_per_period = risk_free_annual / periods_per_year
        sharpe, why = _sharpe(returns, periods_per_year, risk_free_per_period)
        if sharpe is None:
            notes["sharpe"] = why
        sortino, why = _sortino(returns, periods_per_year, risk_free_per_period)
        if sortino is None:
            notes["sortino"] = why

    drawdown = max_drawdown(curve)
    win_rate, profit_factor, trade_notes = _trade_statistics(trades)
    notes.update(trade_notes)
    average_equity = float(np.mean(equity))
    turnover: float | None = None
    if average_equity > 0:
        turnover = float(traded_notional) / average_equity
    else:
        notes["turnover"] = "average equity is not positive: turnover is undefined"

    annual = {"annualised_return": annualised, "sharpe": sharpe, "sortino": sortino}
    return Metrics(
        total_return=last / first - 1.0,
        annualised_return=annualised,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown_frac=drawdown.max_drawdown_frac,
        max_drawdown_duration_s=drawdown.duration_s,
        max_drawdown_recovered=drawdown.recovered,
        win_rate=win_rate,
        profit_factor=profit_factor,
        turnover=turnover,
        total_fees=total_fees,
        number_of_trades=len(trades),
        fills_count=fills_count,
        bars=len(curve),
        elapsed_s=elapsed_s,
        notes=notes,
        warnings=_short_sample_warnings(annual, elapsed_s),
    )


def metrics_of(result: BacktestResult, *, risk_free_annual: float = 0.0) -> Metrics:
    """Return every metric of one backtest run."""
    return compute_metrics(
        result.equity,
        result.trades,
        traded_notional=result.traded_notional,
        total_fees=result.fees_total,
        fills_count=result.fills_count,
        risk_free_annual=risk_free_annual,
    )
