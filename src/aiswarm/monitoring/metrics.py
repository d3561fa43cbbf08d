"""Prometheus metrics of one process: a registry of its own, fed by the runtime.

Why a registry per process (per ``Metrics``) and not prometheus-client's global default: two
hosts in one test process, or a host started twice, must not collide on metric names, and a
scrape must show exactly what this process measured. Nothing here reads the engine: the runtime
pushes plain observations in (``runtime.monitor``), so this room imports only types.

Names, types and labels are listed in docs/metrics.md; a test parses that list and checks
every metric is exposed and moves during a paper session. Money is exported as float (a gauge
is a float); the exact values stay in the event store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = ["BookObservation", "Metrics"]

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Buckets (seconds) for calls that should take milliseconds: agents, venues, store appends."""
_CYCLE = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True, slots=True)
class BookObservation:
    """One account's book and state after a step, as the runtime read it (exact money)."""

    nav: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    daily_pnl: Decimal
    drawdown_frac: Decimal
    daily_loss_frac: Decimal
    gross_exposure_usd: Decimal
    net_exposure_usd: Decimal
    trading_state: str
    kill_switch_latched: bool
    circuit_breaker_open: bool
    orders_by_state: Mapping[str, int]


class Metrics:
    """Every metric the platform exports, in one registry; see the module docstring."""

    def __init__(self, trading_states: tuple[str, ...], order_states: tuple[str, ...]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._trading_states = trading_states
        self._order_states = order_states
        r = self.registry
        self.cycles = Counter("aiswarm_cycles", "Cycles completed.", ["account"], registry=r)
        self.cycle_duration = Histogram(
            "aiswarm_cycle_duration_seconds",
            "Wall time of one engine step.",
            ["account"],
            buckets=_CYCLE,
            registry=r,
        )
        self.cycle_lag = Gauge(
            "aiswarm_cycle_lag_seconds",
            "How far (clock seconds) the last step started behind its due time.",
            ["account"],
            registry=r,
        )
        self.last_cycle = Gauge(
            "aiswarm_last_cycle_timestamp_seconds",
            "Wall time (Unix seconds) the last step completed: a stalled loop stops moving it.",
            ["account"],
            registry=r,
        )
        self.agent_latency = Histogram(
            "aiswarm_agent_latency_seconds",
            "Wall time one agent took to propose.",
            ["agent"],
            buckets=_FAST,
            registry=r,
        )
        self.agent_errors = Counter(
            "aiswarm_agent_errors", "Agent failures (raised or timed out).", ["agent"], registry=r
        )
        self.signals = Counter("aiswarm_signals", "Signals agents gave.", ["account"], registry=r)
        self.orders = Gauge(
            "aiswarm_orders", "Orders known to the OMS, by state.", ["account", "state"], registry=r
        )
        self.approvals_issued = Counter(
            "aiswarm_approvals_issued", "Signed risk approvals.", ["account"], registry=r
        )
        self.approvals_refused = Counter(
            "aiswarm_approvals_refused",
            "Risk refusals, by guard reason.",
            ["account", "reason"],
            registry=r,
        )
        self.oms_refusals = Counter(
            "aiswarm_oms_refusals",
            "Orders the OMS refused, by reason.",
            ["account", "reason"],
            registry=r,
        )
        self.fills = Counter(
            "aiswarm_fills", "Fills booked.", ["account", "symbol", "side"], registry=r
        )
        self.fees = Counter(
            "aiswarm_fees", "Fees paid, in fee currency.", ["account", "currency"], registry=r
        )
        self.kill_switch_trips = Counter(
            "aiswarm_kill_switch_trips",
            "Kill-switch trips, by cause.",
            ["account", "cause"],
            registry=r,
        )
        gauges = {
            "realised_pnl": "Realised PnL (quote currency).",
            "unrealised_pnl": "Unrealised PnL at the latest marks (quote currency).",
            "daily_pnl": "PnL since the UTC day's opening NAV (quote currency).",
            "nav": "Net asset value (quote currency).",
            "drawdown_frac": "Drawdown from peak NAV, a fraction (0.05 = 5%).",
            "daily_loss_frac": "Loss since the day's opening NAV, a fraction (0 when up).",
            "gross_exposure_usd": "Sum of absolute position notionals.",
            "net_exposure_usd": "Signed sum of position notionals.",
            "leverage": "Gross exposure over NAV.",
            "kill_switch_latched": "1 while the kill switch is latched (tripped, not reset).",
            "circuit_breaker_open": "1 while venue rejections hold trading (breaker or its trip).",
            "max_drawdown_frac": "The drawdown limit the kill switch trips at.",
            "max_daily_loss_frac": "The daily-loss limit the kill switch trips at.",
        }
        self._book = {
            name: Gauge(f"aiswarm_{name}", text, ["account"], registry=r)
            for name, text in gauges.items()
        }
        self.trading_state = Gauge(
            "aiswarm_trading_state",
            "1 for the account's trading state (active, reducing, halted), 0 for the others.",
            ["account", "state"],
            registry=r,
        )
        self.drift = Gauge(
            "aiswarm_reconciliation_drift",
            "Mismatches between our books and the venue's at the last reconciliation, by kind.",
            ["account", "kind"],
            registry=r,
        )
        self.append_latency = Histogram(
            "aiswarm_event_store_append_seconds",
            "Wall time from an append being queued to its commit.",
            buckets=_FAST,
            registry=r,
        )
        self.venue_latency = Histogram(
            "aiswarm_venue_latency_seconds",
            "Wall time of one venue call.",
            ["venue", "operation"],
            buckets=_FAST,
            registry=r,
        )
        self.venue_errors = Counter(
            "aiswarm_venue_errors",
            "Venue calls that raised, by venue and operation.",
            ["venue", "operation"],
            registry=r,
        )

    def exposition(self) -> tuple[bytes, str]:
        """Return the scrape body and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def limits(
        self, account: str, max_drawdown_frac: Decimal, max_daily_loss_frac: Decimal
    ) -> None:
        """Export the limits the kill switch trips at, for the near-limit alert rules."""
        self._book["max_drawdown_frac"].labels(account).set(float(max_drawdown_frac))
        self._book["max_daily_loss_frac"].labels(account).set(float(max_daily_loss_frac))

    def cycle(
        self, account: str, duration_s: float, lag_s: float, signals: int, wall_s: float
    ) -> None:
        """Record one completed step."""
        self.cycles.labels(account).inc()
        self.cycle_duration.labels(account).observe(duration_s)
        self.cycle_lag.labels(account).set(lag_s)
        self.last_cycle.labels(account).set(wall_s)
        if signals:
            self.signals.labels(account).inc(signals)

    def book(self, account: str, seen: BookObservation) -> None:
        """Set the book and state gauges from one observation."""
        values = {
            "realised_pnl": seen.realised_pnl,
            "unrealised_pnl": seen.unrealised_pnl,
            "daily_pnl": seen.daily_pnl,
            "nav": seen.nav,
            "drawdown_frac": seen.drawdown_frac,
            "daily_loss_frac": seen.daily_loss_frac,
            "gross_exposure_usd": seen.gross_exposure_usd,
            "net_exposure_usd": seen.net_exposure_usd,
            "leverage": seen.gross_exposure_usd / seen.nav if seen.nav > 0 else Decimal(0),
            "kill_switch_latched": Decimal(seen.kill_switch_latched),
            "circuit_breaker_open": Decimal(seen.circuit_breaker_open),
        }
        for name, value in values.items():
            self._book[name].labels(account).set(float(value))
        for state in self._trading_states:
            self.trading_state.labels(account, state).set(int(state == seen.trading_state))
        for state in self._order_states:
            self.orders.labels(account, state).set(seen.orders_by_state.get(state, 0))

    def reconciliation_drift(self, account: str, drift: Mapping[str, int]) -> None:
        """Set the drift gauges of ``account`` from the last reconciliation (kind -> count)."""
        for kind, count in drift.items():
            self.drift.labels(account, kind).set(count)

    def venue_call(self, venue: str, operation: str, duration_s: float, failed: bool) -> None:
        """Record one venue call and whether it raised."""
        self.venue_latency.labels(venue, operation).observe(duration_s)
        if failed:
            self.venue_errors.labels(venue, operation).inc()
