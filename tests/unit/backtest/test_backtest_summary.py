"""Specs for the backtest summary: exposure, the buy-and-hold line and the table's text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from aiswarm.backtest.metrics import metrics_of
from aiswarm.backtest.results import BacktestResult, EquityCurve
from aiswarm.backtest.summary import exposure_frac, summarize, summary_rows, warning_lines
from aiswarm.clock import to_ns
from aiswarm.types import Fill, Side, Symbol, TradeId
from kit.builders import T0, fill

MINUTE_NS = 60 * 1_000_000_000


def _fill(minute: int, side: Side, quantity: str, symbol: str = "BTC/USDT") -> Fill:
    moment = T0 + timedelta(minutes=minute)
    return fill(
        side=side,
        quantity=Decimal(quantity),
        price=Decimal("100"),
        fee=Decimal("0.1"),
        symbol=Symbol(symbol),
        trade_id=TradeId(f"t-{minute}-{symbol}"),
        ts_event=moment,
        ts_init=moment,
    )


def _result(fills: tuple[Fill, ...], equity: list[float]) -> BacktestResult:
    ts = to_ns(T0) + np.arange(len(equity), dtype=np.int64) * MINUTE_NS
    return BacktestResult(
        equity=EquityCurve(ts, np.array(equity)),
        fills=fills,
        orders=(),
        starting_cash=Decimal(str(equity[0])),
        final_cash=Decimal(str(equity[-1])),
        final_positions={},
        params={},
        interval_s=60,
    )


def test_exposure_when_round_trip_then_position_still_open_then_counts_to_the_end() -> None:
    # Arrange: long from minute 10 to 30, then from 80 to the end at 100.
    fills = [_fill(10, Side.BUY, "1"), _fill(30, Side.SELL, "1"), _fill(80, Side.BUY, "2")]
    start, end = to_ns(T0), to_ns(T0) + 100 * MINUTE_NS

    # Act
    exposure = exposure_frac(fills, start, end)

    # Assert
    assert exposure == pytest.approx((20 + 20) / 100)


def test_exposure_when_position_reverses_or_two_markets_overlap_then_time_counted_once() -> None:
    # Arrange: long 10..20, reversed short 20..40; ETH held 30..50 overlaps the short.
    fills = [
        _fill(10, Side.BUY, "1"),
        _fill(20, Side.SELL, "3"),
        _fill(40, Side.BUY, "2"),
        _fill(30, Side.BUY, "1", "ETH/USDT"),
        _fill(50, Side.SELL, "1", "ETH/USDT"),
    ]

    # Act
    exposure = exposure_frac(fills, to_ns(T0), to_ns(T0) + 100 * MINUTE_NS)

    # Assert: in the market from 10 to 50
    assert exposure == pytest.approx(0.40)


def test_exposure_when_span_empty_then_none() -> None:
    assert exposure_frac([], to_ns(T0), to_ns(T0)) is None


def test_summarize_when_run_then_strategy_line_from_metrics_and_buy_and_hold_from_closes() -> None:
    # Arrange
    result = _result(
        (_fill(1, Side.BUY, "1"), _fill(3, Side.SELL, "1")), [1000.0, 1010.0, 990, 1020.0]
    )
    metrics = metrics_of(result)
    close = np.array([50.0, 55.0, 45.0, 60.0])

    # Act
    summary = summarize(result, metrics, close, money_decimals=2)

    # Assert
    strategy, held = summary.strategy, summary.buy_and_hold
    assert (strategy.trades, strategy.win_rate, strategy.sharpe) == (1, 0.0, metrics.sharpe)
    assert strategy.exposure_frac == pytest.approx(2 / 3)
    assert strategy.fees == Decimal("0.2")
    assert held.total_return == pytest.approx(0.2)
    assert held.max_drawdown_frac == pytest.approx(10 / 55)
    assert (held.trades, held.exposure_frac, held.fees) == (None, 1.0, Decimal(0))
    assert summary.warnings == metrics.warnings


def test_summarize_when_closes_do_not_match_marks_then_refused() -> None:
    # Arrange
    result = _result((), [1000.0, 1000.0])

    # Act / Assert
    with pytest.raises(ValueError, match="close has 3 prices but the equity curve 2 marks"):
        summarize(result, metrics_of(result), np.array([1.0, 2.0, 3.0]), money_decimals=2)


def test_summary_rows_when_shown_then_percentages_ratios_money_and_na() -> None:
    # Arrange
    result = _result(
        (_fill(1, Side.BUY, "1"), _fill(3, Side.SELL, "1")), [1000.0, 1010.0, 990, 1020.0]
    )
    summary = summarize(
        result, metrics_of(result), np.array([50.0, 55.0, 45.0, 60.0]), money_decimals=2
    )

    # Act
    rows = {label: (mine, held) for label, mine, held in summary_rows(summary.to_dict())}

    # Assert
    assert rows["trades (round trips)"] == ("1", "n/a")
    assert rows["total return"] == ("2.00%", "20.00%")
    assert rows["exposure time"] == ("66.67%", "100.00%")
    assert rows["fees (quote units)"] == ("0.20", "0.00")
    assert rows["profit factor"] == ("0.00", "n/a")  # one losing trade (fees): nothing won


def test_warning_lines_when_same_reason_then_one_line_naming_each_figure() -> None:
    # Act
    lines = warning_lines({"sharpe": "short", "sortino": "short", "other": "why"})

    # Assert
    assert lines == ["Sharpe (annualised), Sortino (annualised): short", "other: why"]
