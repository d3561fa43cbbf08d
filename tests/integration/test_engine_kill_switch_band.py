"""The engine's shortcuts around kill-switch valuation never change a verdict.

While the account holds a position and nothing but prices moved, the engine values the book and
runs the full evaluation only when NAV leaves the band where the last verdict must stand (above
the trip levels, not above the peak). A backtest with tight limits must trip at the same instant,
for the same cause, and place the same orders as one that evaluates in full on every bar.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from aiswarm.backtest.runner import BacktestRun, run_backtest
from aiswarm.bench.backtest import benchmark_setup, synthetic_arrays
from aiswarm.runtime import TradingEngine

pytestmark = pytest.mark.integration


async def _run(limits: dict[str, str]) -> BacktestRun:
    setup = benchmark_setup(synthetic_arrays(20_000))
    tight = setup.limits.model_copy(update={k: Decimal(v) for k, v in limits.items()})
    return await run_backtest(
        type(setup)(**{**setup.__dict__, "limits": tight})  # a frozen dataclass: copy it
    )


def _trips(run: BacktestRun) -> list[tuple[int, Any]]:
    return [
        (event.ts_ns, event.payload["cause"])
        for event in run.journal.events(("kill_switch.changed",))
        if event.payload["trigger"] == "trip"
    ]


@pytest.mark.parametrize(
    "limits",
    [
        {"max_drawdown_frac": "0.004"},
        {"max_daily_loss_frac": "0.0002"},
        {"max_drawdown_frac": "0.006", "max_daily_loss_frac": "0.0004"},
    ],
    ids=["drawdown", "daily-loss", "wider"],
)
async def test_band_when_holding_then_same_trips_and_orders_as_full_evaluation(
    monkeypatch: pytest.MonkeyPatch, limits: dict[str, str]
) -> None:
    # Arrange + Act: with the band, then with every bar evaluated in full
    banded = await _run(limits)
    monkeypatch.setattr(TradingEngine, "_band", lambda self, snapshot: None)
    full = await _run(limits)

    # Assert
    assert _trips(full), "the limits must trip on this data"
    assert _trips(banded) == _trips(full)
    assert [spec.client_order_id for spec in banded.specs] == [
        spec.client_order_id for spec in full.specs
    ]
