"""Decide which alerts hold for one account from what the runtime observed. Pure; no I/O.

The same conditions as the Prometheus rules in prometheus/alerts.yml, evaluated by the runtime
itself after every step, so an alert reaches Alertmanager even where no Prometheus scrapes us
(a laptop paper run). The notifier (``notifier.py``) posts the ones that start to hold and
resolves the ones that stop holding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from aiswarm.monitoring.metrics import BookObservation

__all__ = ["Alert", "AlertInputs", "alerts_for"]

_HALTED = "halted"
_REDUCING = "reducing"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as Alertmanager sees it: its identity is ``name`` plus ``labels``."""

    name: str
    severity: str
    labels: Mapping[str, str]
    summary: str
    description: str

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Return what identifies this alert across updates (name and sorted labels)."""
        return self.name, tuple(sorted(self.labels.items()))

    def all_labels(self) -> dict[str, str]:
        """Return the labels Alertmanager routes and groups on (name and severity included)."""
        return {"alertname": self.name, "severity": self.severity, **self.labels}


@dataclass(frozen=True, slots=True)
class AlertInputs:
    """What the conditions read, for one account after one step."""

    account: str
    book: BookObservation
    max_drawdown_frac: Decimal
    max_daily_loss_frac: Decimal
    near_limit_frac: Decimal
    venue_errors: Mapping[str, int] = field(default_factory=dict)
    """Venue errors since the previous step, by venue."""
    drift: Mapping[str, int] = field(default_factory=dict)
    """Mismatches at the last reconciliation, by kind."""


def alerts_for(inputs: AlertInputs) -> list[Alert]:
    """Return every alert that holds now; an empty list means all clear."""
    account = inputs.account
    book = inputs.book
    labels = {"account": account}
    found: list[Alert] = []
    if book.kill_switch_latched:
        found.append(
            Alert(
                "KillSwitchTripped",
                "critical",
                labels,
                f"kill switch tripped on {account}",
                "Trading is halted and latched until an authorised operator resets it.",
            )
        )
    if book.circuit_breaker_open:
        found.append(
            Alert(
                "CircuitBreakerOpen",
                "critical",
                labels,
                f"venue-rejection circuit breaker open on {account}",
                "Too many consecutive venue rejections tripped the kill switch.",
            )
        )
    if book.trading_state in (_HALTED, _REDUCING):
        found.append(
            Alert(
                "TradingNotActive",
                "warning",  # the latch has its own critical alert (KillSwitchTripped)
                {**labels, "state": book.trading_state},
                f"trading state of {account} is {book.trading_state.upper()}",
                "New exposure is refused until trading is enabled again.",
            )
        )
    found += _near_limits(inputs, labels)
    for venue, errors in sorted(inputs.venue_errors.items()):
        if errors > 0:
            found.append(
                Alert(
                    "VenueErrors",
                    "warning",
                    {**labels, "venue": venue},
                    f"{errors} venue error(s) at {venue} in the last cycle",
                    "Calls to the venue raised; the OMS retries and reconciles.",
                )
            )
    drifted = {kind: count for kind, count in inputs.drift.items() if count > 0}
    if drifted:
        text = ", ".join(f"{kind}={count}" for kind, count in sorted(drifted.items()))
        found.append(
            Alert(
                "ReconciliationDrift",
                "critical",
                labels,
                f"books of {account} differ from the venue's: {text}",
                "Reconciliation found mismatches; see the reconciliation report.",
            )
        )
    return found


def _near_limits(inputs: AlertInputs, labels: Mapping[str, str]) -> list[Alert]:
    """Return the drawdown and daily-loss alerts whose measure is near its trip level."""
    book = inputs.book
    found: list[Alert] = []
    checks = (
        ("DrawdownNearLimit", "drawdown", book.drawdown_frac, inputs.max_drawdown_frac),
        ("DailyLossNearLimit", "daily loss", book.daily_loss_frac, inputs.max_daily_loss_frac),
    )
    for name, what, value, limit in checks:
        if limit > 0 and value >= limit * inputs.near_limit_frac:
            found.append(
                Alert(
                    name,
                    "warning",
                    dict(labels),
                    f"{what} of {inputs.account} is {value:.4f}, limit {limit}",
                    f"At {inputs.near_limit_frac} of its limit; the kill switch trips at it.",
                )
            )
    return found
