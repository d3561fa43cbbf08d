"""Specs for backtest metrics, checked against values worked out by hand."""

from __future__ import annotations

import itertools
import json
import math
import statistics
from decimal import Decimal

import numpy as np
import pytest

from aiswarm.backtest.metrics import (
    SECONDS_PER_YEAR,
    Metrics,
    compute_metrics,
    max_drawdown,
    metrics_of,
    period_returns,
)
from aiswarm.backtest.results import BacktestResult, EquityCurve, TradeRecord
from aiswarm.types import Side, Symbol, VenueId

DAY_S = 86_400
NS = 1_000_000_000


def _curve(equity: list[float], interval_s: int = DAY_S) -> EquityCurve:
    ts = np.arange(len(equity), dtype=np.int64) * interval_s * NS
    return EquityCurve(ts, np.array(equity, dtype=np.float64))


def _trade(pnl: str) -> TradeRecord:
    return TradeRecord(
        venue=VenueId("binance"),
        symbol=Symbol("BTC/USDT"),
        side=Side.BUY,
        quantity=Decimal("1"),
        entry_ts_ns=0,
        exit_ts_ns=1,
        entry_price=Decimal("100"),
        exit_price=Decimal("100") + Decimal(pnl),
        fees=Decimal("0"),
        pnl=Decimal(pnl),
        fills=2,
    )


def _metrics(
    equity: list[float],
    trades: tuple[TradeRecord, ...] = (),
    *,
    interval_s: int = DAY_S,
    traded_notional: str = "0",
    risk_free_annual: float = 0.0,
) -> Metrics:
    return compute_metrics(
        _curve(equity, interval_s),
        trades,
        traded_notional=Decimal(traded_notional),
        total_fees=Decimal("1.5"),
        fills_count=2 * len(trades),
        risk_free_annual=risk_free_annual,
    )


def test_metrics_when_equity_rises_dips_and_recovers_then_hand_computed_values() -> None:
    # Arrange: 100 -> 110 -> 99 -> 121, one mark a day.
    equity = [100.0, 110.0, 99.0, 121.0]

    # Act
    metrics = _metrics(equity)

    # Assert
    assert metrics.total_return == pytest.approx(0.21)
    assert metrics.max_drawdown_frac == pytest.approx(0.10)
    assert metrics.max_drawdown_duration_s == 2 * DAY_S  # peak on day 1, back above on day 3
    assert metrics.max_drawdown_recovered is True
    assert metrics.elapsed_s == 3 * DAY_S
    assert metrics.bars == 4
    assert metrics.annualised_return == pytest.approx(1.21 ** (365 / 3) - 1)


def test_metrics_when_equity_never_recovers_then_duration_runs_to_last_mark() -> None:
    # Arrange: peak 120 on day 1, never regained.
    equity = [100.0, 120.0, 90.0, 100.0]

    # Act
    drawdown = max_drawdown(_curve(equity))

    # Assert
    assert drawdown.max_drawdown_frac == pytest.approx(0.25)
    assert drawdown.duration_s == 2 * DAY_S
    assert drawdown.recovered is False


def test_max_drawdown_when_longest_spell_is_not_deepest_then_duration_is_longest() -> None:
    # Arrange: a shallow 4-day spell, then a deep 1-day one that recovers.
    equity = [100.0, 99.0, 99.0, 99.0, 100.0, 101.0, 50.0, 102.0]

    # Act
    drawdown = max_drawdown(_curve(equity))

    # Assert
    assert drawdown.max_drawdown_frac == pytest.approx(1 - 50 / 101)
    assert drawdown.duration_s == 4 * DAY_S
    assert drawdown.recovered is True


def test_annualised_return_when_two_years_double_ten_percent_then_ten_percent() -> None:
    # Arrange: 100 -> 121 over 730 days.
    equity = [100.0, 121.0]

    # Act
    metrics = _metrics(equity, interval_s=730 * DAY_S)

    # Assert
    assert metrics.annualised_return == pytest.approx(0.10)


def test_sharpe_and_sortino_when_computed_then_match_direct_formula() -> None:
    # Arrange
    equity = [100.0, 103.0, 101.0, 104.0, 102.0, 108.0, 107.0]
    returns = [b / a - 1 for a, b in itertools.pairwise(equity)]
    periods_per_year = SECONDS_PER_YEAR / 3600
    risk_free_annual = 0.05
    excess = statistics.fmean(returns) - risk_free_annual / periods_per_year
    expected_sharpe = excess / statistics.stdev(returns) * math.sqrt(periods_per_year)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    expected_sortino = excess / downside * math.sqrt(periods_per_year)

    # Act
    metrics = _metrics(equity, interval_s=3600, risk_free_annual=risk_free_annual)

    # Assert
    assert metrics.sharpe == pytest.approx(expected_sharpe, rel=1e-12)
    assert metrics.sortino == pytest.approx(expected_sortino, rel=1e-12)


def _gappy_result(equity: list[float], days: list[int]) -> BacktestResult:
    """Return a daily run whose marks fall on ``days`` (missing days are gaps in the data)."""
    return BacktestResult(
        equity=EquityCurve(np.array(days, dtype=np.int64) * DAY_S * NS, np.array(equity)),
        fills=(),
        orders=(),
        starting_cash=Decimal(str(equity[0])),
        final_cash=Decimal(str(equity[-1])),
        final_positions={},
        params={},
        interval_s=DAY_S,
    )


def test_sharpe_and_sortino_when_marks_have_gaps_then_annualised_by_calendar_time() -> None:
    # Arrange: daily bars with a 30-day hole: 6 returns over 40 days, not 6 returns in 6 days.
    equity = [100.0, 103.0, 101.0, 104.0, 102.0, 108.0, 107.0]
    days = [0, 1, 2, 3, 34, 35, 40]
    returns = [b / a - 1 for a, b in itertools.pairwise(equity)]
    returns_per_year = len(returns) / (40 * DAY_S / SECONDS_PER_YEAR)
    mean = statistics.fmean(returns)
    expected_sharpe = mean / statistics.stdev(returns) * math.sqrt(returns_per_year)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    expected_sortino = mean / downside * math.sqrt(returns_per_year)

    # Act
    metrics = metrics_of(_gappy_result(equity, days))

    # Assert
    assert metrics.sharpe == pytest.approx(expected_sharpe, rel=1e-12)
    assert metrics.sortino == pytest.approx(expected_sortino, rel=1e-12)
    assert metrics.annualised_return == pytest.approx(1.07 ** (365 / 40) - 1)


def test_warnings_when_run_shorter_than_a_year_then_each_annualised_figure_flagged() -> None:
    # Act
    metrics = metrics_of(_gappy_result([100.0, 103.0, 101.0, 104.0], [0, 1, 2, 300]))

    # Assert
    assert set(metrics.warnings) == {"annualised_return", "sharpe", "sortino"}
    assert "300 days of data, less than a year" in metrics.warnings["sharpe"]
    assert metrics.to_dict()["warnings"] == dict(metrics.warnings)


def test_warnings_when_run_spans_a_year_then_none() -> None:
    # Act
    metrics = metrics_of(_gappy_result([100.0, 103.0, 101.0, 104.0], [0, 1, 2, 365]))

    # Assert
    assert metrics.warnings == {}


def test_warnings_when_figure_undefined_then_only_its_note_not_a_warning() -> None:
    # Act: one return only, so no Sharpe or Sortino; the annualised return is defined
    metrics = metrics_of(_gappy_result([100.0, 103.0], [0, 1]))

    # Assert
    assert set(metrics.warnings) == {"annualised_return"}
    assert metrics.sharpe is None
    assert "sharpe" in metrics.notes


def test_trade_statistics_when_mixed_trades_then_win_rate_and_profit_factor() -> None:
    # Arrange
    trades = tuple(_trade(p) for p in ("30", "-10", "5", "-5", "0"))

    # Act
    metrics = _metrics([100.0, 120.0], trades)

    # Assert: a break-even trade is not a win; profit factor is 35 / 15.
    assert metrics.win_rate == pytest.approx(2 / 5)
    assert metrics.profit_factor == pytest.approx(35 / 15)
    assert metrics.number_of_trades == 5


def test_profit_factor_when_no_losing_trade_then_none_with_reason() -> None:
    # Act
    metrics = _metrics([100.0, 120.0], (_trade("5"), _trade("7")))

    # Assert
    assert metrics.win_rate == 1.0
    assert metrics.profit_factor is None
    assert "no losing trade" in metrics.notes["profit_factor"]


def test_profit_factor_when_only_losses_then_zero() -> None:
    # Act
    metrics = _metrics([100.0, 90.0], (_trade("-5"),))

    # Assert
    assert metrics.profit_factor == 0.0
    assert metrics.win_rate == 0.0


def test_turnover_when_notional_traded_then_over_average_equity() -> None:
    # Act: average equity is 100.
    metrics = _metrics([90.0, 110.0], traded_notional="250")

    # Assert
    assert metrics.turnover == pytest.approx(2.5)


def test_metrics_when_one_bar_then_undefined_metrics_are_none_with_reasons() -> None:
    # Act
    metrics = _metrics([100.0])

    # Assert
    assert metrics.total_return == 0.0
    assert metrics.max_drawdown_frac == 0.0
    assert metrics.max_drawdown_duration_s == 0.0
    assert metrics.max_drawdown_recovered is True
    for name in ("annualised_return", "sharpe", "sortino", "win_rate", "profit_factor"):
        assert getattr(metrics, name) is None
        assert metrics.notes[name]


def test_metrics_when_equity_flat_then_ratios_none_and_never_nan() -> None:
    # Act
    metrics = _metrics([100.0, 100.0, 100.0])

    # Assert
    assert metrics.sharpe is None
    assert "zero standard deviation" in metrics.notes["sharpe"]
    assert metrics.sortino is None
    assert metrics.annualised_return == 0.0
    json.dumps(metrics.to_dict(), allow_nan=False)


def test_metrics_when_no_bar_lost_then_sortino_none() -> None:
    # Act
    metrics = _metrics([100.0, 101.0, 103.0])

    # Assert
    assert metrics.sharpe is not None
    assert metrics.sortino is None
    assert "no bar lost money" in metrics.notes["sortino"]


def test_metrics_when_equity_hits_zero_then_ratios_none_and_drawdown_total() -> None:
    # Act
    metrics = _metrics([100.0, 0.0, 0.0])

    # Assert
    assert period_returns(np.array([100.0, 0.0, 0.0])) is None
    assert metrics.sharpe is None
    assert "zero or below" in metrics.notes["sharpe"]
    assert metrics.annualised_return is None
    assert metrics.max_drawdown_frac == 1.0
    assert metrics.total_return == -1.0


def test_annualised_return_when_run_too_short_then_none_not_overflow() -> None:
    # Act: +21% in three seconds would be e^(10^6) a year.
    metrics = _metrics([100.0, 110.0, 99.0, 121.0], interval_s=1)

    # Assert
    assert metrics.annualised_return is None
    assert "too short" in metrics.notes["annualised_return"]


def test_to_dict_when_serialised_then_plain_json_with_fees_as_string() -> None:
    # Arrange
    metrics = _metrics([100.0, 110.0, 99.0, 121.0], (_trade("5"), _trade("-1")))

    # Act
    data = json.loads(json.dumps(metrics.to_dict(), allow_nan=False))

    # Assert
    assert data["total_fees"] == "1.5"
    assert data["max_drawdown_frac"] == pytest.approx(0.1)
    assert data["number_of_trades"] == 2


def test_metrics_of_when_given_result_then_uses_its_fills_and_interval() -> None:
    # Arrange
    result = BacktestResult(
        equity=_curve([100.0, 110.0], interval_s=60),
        fills=(),
        orders=(),
        starting_cash=Decimal("100"),
        final_cash=Decimal("110"),
        final_positions={},
        params={},
        interval_s=60,
    )

    # Act
    metrics = metrics_of(result)

    # Assert
    assert metrics.total_return == pytest.approx(0.1)
    assert metrics.total_fees == Decimal(0)
    assert metrics.turnover == 0.0
    assert metrics.elapsed_s == 60
