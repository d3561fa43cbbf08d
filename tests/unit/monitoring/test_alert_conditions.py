"""Which alerts hold for an account: pure conditions over one observation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiswarm.monitoring import AlertInputs, BookObservation, alerts_for


def _book(**overrides: Any) -> BookObservation:
    values: dict[str, Any] = {
        "nav": Decimal(100_000),
        "realised_pnl": Decimal(0),
        "unrealised_pnl": Decimal(0),
        "daily_pnl": Decimal(0),
        "drawdown_frac": Decimal(0),
        "daily_loss_frac": Decimal(0),
        "gross_exposure_usd": Decimal(0),
        "net_exposure_usd": Decimal(0),
        "trading_state": "active",
        "kill_switch_latched": False,
        "circuit_breaker_open": False,
        "orders_by_state": {},
    }
    return BookObservation(**(values | overrides))


def _names(**inputs: Any) -> set[str]:
    book = inputs.pop("book", _book())
    chosen = AlertInputs(
        account="paper-1",
        book=book,
        max_drawdown_frac=Decimal("0.10"),
        max_daily_loss_frac=Decimal("0.03"),
        near_limit_frac=Decimal("0.8"),
        **inputs,
    )
    return {alert.name for alert in alerts_for(chosen)}


def test_alerts_when_all_is_well_then_none() -> None:
    assert _names() == set()


def test_alerts_when_latched_and_halted_then_kill_switch_and_state() -> None:
    book = _book(kill_switch_latched=True, trading_state="halted")
    assert _names(book=book) == {"KillSwitchTripped", "TradingNotActive"}


def test_alerts_when_reducing_then_state_warning_only() -> None:
    assert _names(book=_book(trading_state="reducing")) == {"TradingNotActive"}


def test_alerts_when_drawdown_just_below_near_level_then_quiet_and_at_it_then_fires() -> None:
    assert _names(book=_book(drawdown_frac=Decimal("0.0799"))) == set()
    assert _names(book=_book(drawdown_frac=Decimal("0.08"))) == {"DrawdownNearLimit"}


def test_alerts_when_daily_loss_at_near_level_then_fires() -> None:
    assert _names(book=_book(daily_loss_frac=Decimal("0.024"))) == {"DailyLossNearLimit"}


def test_alerts_when_venue_errors_and_drift_then_one_alert_each() -> None:
    names = _names(venue_errors={"coinbase": 2, "kraken": 0}, drift={"positions": 1, "orders": 0})
    assert names == {"VenueErrors", "ReconciliationDrift"}


def test_alerts_when_circuit_breaker_open_then_fires() -> None:
    assert _names(book=_book(circuit_breaker_open=True)) == {"CircuitBreakerOpen"}
