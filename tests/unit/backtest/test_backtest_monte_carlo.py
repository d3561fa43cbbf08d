"""Specs for Monte Carlo resampling of round-trip trades."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from aiswarm.backtest.monte_carlo import monte_carlo
from aiswarm.backtest.results import TradeRecord
from aiswarm.types import Side, Symbol, VenueId


def _trades(*pnls: str) -> list[TradeRecord]:
    return [
        TradeRecord(
            venue=VenueId("binance"),
            symbol=Symbol("BTC/USDT"),
            side=Side.BUY,
            quantity=Decimal("1"),
            entry_ts_ns=i,
            exit_ts_ns=i + 1,
            entry_price=Decimal("100"),
            exit_price=Decimal("100") + Decimal(pnl),
            fees=Decimal("0"),
            pnl=Decimal(pnl),
            fills=2,
        )
        for i, pnl in enumerate(pnls)
    ]


TRADES = _trades("12", "-7", "3", "-15", "20", "4", "-2", "9")


def test_monte_carlo_when_same_seed_then_identical_distributions() -> None:
    # Act
    first = monte_carlo(TRADES, Decimal("100"), n_simulations=2_500, seed=7)
    second = monte_carlo(TRADES, Decimal("100"), n_simulations=2_500, seed=7)

    # Assert
    assert np.array_equal(first.final_returns, second.final_returns)
    assert np.array_equal(first.max_drawdowns, second.max_drawdowns)
    assert first.to_dict() == second.to_dict()


def test_monte_carlo_when_seed_differs_then_distributions_differ() -> None:
    # Act
    first = monte_carlo(TRADES, Decimal("100"), n_simulations=500, seed=1)
    second = monte_carlo(TRADES, Decimal("100"), n_simulations=500, seed=2)

    # Assert
    assert not np.array_equal(first.final_returns, second.final_returns)


@pytest.mark.parametrize("method", ["bootstrap", "permutation"])
def test_monte_carlo_when_run_then_percentiles_ordered_and_in_range(method: str) -> None:
    # Act
    result = monte_carlo(
        TRADES,
        Decimal("100"),
        n_simulations=1_000,
        seed=3,
        method=method,
    )

    # Assert
    assert result.final_returns.shape == (1_000,)
    assert result.final_return.p5 <= result.final_return.p50 <= result.final_return.p95
    assert result.max_drawdown.p5 <= result.max_drawdown.p50 <= result.max_drawdown.p95
    assert ((result.max_drawdowns >= 0) & (result.max_drawdowns <= 1)).all()
    assert 0.0 <= result.probability_of_loss <= 1.0


def test_monte_carlo_when_permutation_then_final_return_is_always_the_total() -> None:
    # Act
    result = monte_carlo(TRADES, Decimal("100"), n_simulations=300, seed=5, method="permutation")

    # Assert: the trades sum to 24, so every ordering ends 24% up.
    assert result.final_returns == pytest.approx(np.full(300, 0.24))
    assert result.probability_of_loss == 0.0


def test_monte_carlo_when_one_losing_trade_then_hand_computed_outcome() -> None:
    # Act
    result = monte_carlo(_trades("-10"), Decimal("100"), n_simulations=50, seed=0)

    # Assert
    assert result.final_return.p50 == pytest.approx(-0.10)
    assert result.max_drawdown.p95 == pytest.approx(0.10)
    assert result.probability_of_loss == 1.0


def test_monte_carlo_when_loss_exceeds_equity_then_drawdown_capped_at_one() -> None:
    # Act
    result = monte_carlo(_trades("-150"), Decimal("100"), n_simulations=10, seed=0)

    # Assert
    assert result.max_drawdown.p50 == 1.0


def test_monte_carlo_when_more_simulations_than_a_chunk_then_count_exact() -> None:
    # Act
    result = monte_carlo(TRADES, Decimal("100"), n_simulations=2_345, seed=11)

    # Assert
    assert result.max_drawdowns.shape == (2_345,)
    assert result.to_dict()["n_simulations"] == 2_345


@pytest.mark.parametrize(
    ("trades", "starting", "n", "method", "message"),
    [
        ([], "100", 10, "bootstrap", "no closed trades"),
        (TRADES, "0", 10, "bootstrap", "starting_equity=0"),
        (TRADES, "100", 0, "bootstrap", "n_simulations=0"),
        (TRADES, "100", 10, "jackknife", "method='jackknife'"),
    ],
)
def test_monte_carlo_when_inputs_invalid_then_refused(
    trades: list[TradeRecord], starting: str, n: int, method: str, message: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=message):
        monte_carlo(trades, Decimal(starting), n_simulations=n, seed=0, method=method)
