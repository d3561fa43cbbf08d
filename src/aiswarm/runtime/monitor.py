"""Feed the monitoring room from the running engines: metrics, alert conditions, the notifier.

``monitoring/`` may import only types, so the runtime pushes observations in. One ``Monitor``
per host (per process) holds the metrics registry and, when ``alerts.alertmanager_url`` is set,
the Alertmanager notifier. It is fed from four places, all wired in ``Host.start``:

* the event store tells it of every committed record (``committed``): approvals, refusals,
  fills, fees, agent failures and kill-switch trips are counted from the log, and every
  append's latency is timed;
* the coordinator times each agent's ``propose`` (``agent_took``), and the OMS's venue calls go
  through ``TimedVenue`` (``venue_call``);
* after each step the host calls ``after_step``: cycle count, duration and lag, the book (NAV,
  PnL, drawdown, exposure, leverage), orders by state, the kill switch and trading state; then
  the alert conditions are evaluated and the notifier told what started and what cleared;
* reconciliation reports its drift through ``report_drift``.

Durations are measured on a wall clock, never on the decision clock (which is simulated in a
replay). Crash-only: an alert that starts or clears is recorded (``alert.changed``) before
Alertmanager is told, and ``restore`` reads those records back at start, so a condition that
cleared while the process was down is resolved at the first step; an acknowledgement is
recorded (``alert.acknowledged``) with the silence Alertmanager created. The circuit breaker's
state comes back from the recorded kill-switch changes.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aiswarm.clock import Clock
from aiswarm.config import AppConfig
from aiswarm.monitoring import (
    Alert,
    AlertInputs,
    AlertNotifier,
    BookObservation,
    Metrics,
    NotifierError,
    alerts_for,
    count_event,
)
from aiswarm.monitoring.logs import new_trace_id, trace
from aiswarm.monitoring.reconciliation_report import MismatchKind, ReconciliationReport
from aiswarm.runtime.engine import StepReport, TradingEngine
from aiswarm.store import EventStore, StoredEvent
from aiswarm.types import EventType, OrderStatus, TradingState

__all__ = ["Monitor", "request_trace"]

_log = logging.getLogger(__name__)
_NS = 1_000_000_000
_KILL = EventType.KILL_SWITCH_CHANGED.value
_ALERT = EventType.ALERT_CHANGED.value
_COUNTED = frozenset(
    {
        EventType.ORDER_EVENT.value,
        EventType.RISK_DECISION.value,
        EventType.ORDER_REFUSED.value,
        EventType.AGENT_FAILED.value,
        _KILL,
    }
)
_CIRCUIT_BREAKER = "circuit_breaker"


def _alert_payload(alert: Alert, status: str) -> dict[str, Any]:
    return {
        "alertname": alert.name,
        "status": status,
        "severity": alert.severity,
        "labels": dict(alert.labels),
        "summary": alert.summary,
        "description": alert.description,
    }


def _alert_from(payload: Mapping[str, Any]) -> Alert:
    return Alert(
        payload["alertname"],
        payload["severity"],
        dict(payload["labels"]),
        payload["summary"],
        payload["description"],
    )


class Monitor:
    """Metrics and alerts of one host; see the module docstring."""

    def __init__(self, config: AppConfig, wall: Clock) -> None:
        self.metrics = Metrics(
            tuple(state.value for state in TradingState),
            tuple(status.value for status in OrderStatus),
        )
        self._wall = wall
        alerts = config.alerts
        self._near_limit_frac = alerts.near_limit_frac
        self.notifier: AlertNotifier | None = None
        if alerts.alertmanager_url is not None:
            self.notifier = AlertNotifier(
                alerts.alertmanager_url,
                wall,
                hold_s=alerts.hold_s,
                resend_s=alerts.resend_s,
                timeout_s=alerts.timeout_s,
                attempts=alerts.attempts,
                generator_url=f"http://{config.api.host}:{config.api.port}/alerts",
            )
        self._venue_errors: dict[str, int] = {}
        self._drift: dict[str, dict[str, int]] = {}
        self._trip_cause: dict[str, str | None] = {}

    # ------------------------------------------------------------------ wiring

    async def attach(self, store: EventStore, engine: TradingEngine) -> None:
        """Start observing ``store`` and ``engine``; take back what the log says."""
        account = engine.account
        firing: list[Alert] = []
        async for event in store.replay(types=(_KILL, _ALERT), account=account):
            self._note_kill_switch(account, event.type, event.payload)
            if event.type == _ALERT:
                alert = _alert_from(event.payload)
                firing = [a for a in firing if a.key != alert.key]
                if event.payload["status"] == "firing":
                    firing.append(alert)
        store.observe(self)
        engine.coordinator.use_stopwatch(self)
        limits = engine.limits
        self.metrics.limits(account, limits.max_drawdown_frac, limits.max_daily_loss_frac)
        notifier = self.notifier
        if notifier is None:
            _log.info("alert notifier off: alerts.alertmanager_url is not set")
            return
        notifier.restore(firing)
        notifier.start()
        _log.info("alert notifier on", extra={"alertmanager_url": notifier.url})

    async def close(self) -> None:
        """Send what is queued and stop the notifier."""
        if self.notifier is not None:
            await self.notifier.close()

    # ------------------------------------------------------------------ observers

    def monotonic_ns(self) -> int:
        """Return the wall clock's monotonic counter (for every duration measured here)."""
        return self._wall.monotonic_ns()

    def committed(self, event: StoredEvent, latency_ns: int) -> None:
        """Time one committed append and count what it records (see ``event_metrics``)."""
        self.metrics.append_latency.observe(latency_ns / _NS)
        kind = event.type
        if kind in _COUNTED:
            payload = event.payload
            count_event(self.metrics, event.account, kind, payload)
            self._note_kill_switch(event.account, kind, payload)

    def _note_kill_switch(self, account: str, kind: str, payload: Mapping[str, Any]) -> None:
        if kind != _KILL:
            return
        if payload.get("trigger") == "trip":
            self._trip_cause[account] = payload.get("cause")
        elif not payload.get("latched"):
            self._trip_cause[account] = None

    def agent_took(self, agent_id: str, duration_ns: int) -> None:
        """Record how long one agent's ``propose`` ran."""
        self.metrics.agent_latency.labels(agent_id).observe(duration_ns / _NS)

    def venue_call(self, venue: str, operation: str, duration_ns: int, failed: bool) -> None:
        """Record one venue call; a failed one counts towards the next step's alert."""
        self.metrics.venue_call(venue, operation, duration_ns / _NS, failed)
        if failed:
            self._venue_errors[venue] = self._venue_errors.get(venue, 0) + 1

    def take_reconciliation(self, report: ReconciliationReport) -> None:
        """Take a reconciliation report: its mismatch counts by kind (zero when clean)."""
        counts = Counter(m.kind.value for m in report.mismatches)
        self.report_drift(report.account, {kind.value: counts[kind.value] for kind in MismatchKind})

    def report_drift(self, account: str, drift: Mapping[str, int]) -> None:
        """Take the mismatch counts (by kind) of ``account``'s last reconciliation.

        The gauge moves at once; the alert is judged at the next step with everything else.
        """
        self._drift[account] = dict(drift)
        self.metrics.reconciliation_drift(account, drift)

    # ------------------------------------------------------------------ after each step

    async def after_step(
        self, engine: TradingEngine, report: StepReport, duration_ns: int, lag_ns: int
    ) -> None:
        """Export the step and the book; evaluate the alert conditions and notify."""
        account = engine.account
        metrics = self.metrics
        metrics.cycle(
            account, duration_ns / _NS, lag_ns / _NS, report.signals, self._wall.now_ns() / _NS
        )
        book = self._observe_book(engine)
        if book is None:
            return  # a position without a price yet: nothing honest to export
        metrics.book(account, book)
        errors, self._venue_errors = self._venue_errors, {}
        notifier = self.notifier
        if notifier is None:
            return
        limits = engine.limits
        active = alerts_for(
            AlertInputs(
                account=account,
                book=book,
                max_drawdown_frac=limits.max_drawdown_frac,
                max_daily_loss_frac=limits.max_daily_loss_frac,
                near_limit_frac=self._near_limit_frac,
                venue_errors=errors,
                drift=self._drift.get(account, {}),
            )
        )
        plan = notifier.plan(active)
        changes = [(alert, "firing") for alert in plan.started]
        changes += [(alert, "resolved") for alert in plan.cleared]
        if changes:
            await engine.journal.append_many(
                (EventType.ALERT_CHANGED, _alert_payload(alert, status))
                for alert, status in changes
            )
            for alert, status in changes:
                _log.warning(
                    "alert %s", status, extra={"alertname": alert.name, "summary": alert.summary}
                )
        notifier.send(plan)

    def _observe_book(self, engine: TradingEngine) -> BookObservation | None:
        spine = engine.spine
        portfolio = spine.portfolio
        if portfolio.marked_nav() is None:
            return None
        snapshot = portfolio.snapshot(engine.clock.now())
        day_open = snapshot.nav - snapshot.daily_pnl
        loss = -snapshot.daily_pnl / day_open if day_open > 0 and snapshot.daily_pnl < 0 else 0
        by_state: dict[str, int] = {}
        for order in spine.oms.orders.values():
            by_state[order.status.value] = by_state.get(order.status.value, 0) + 1
        switch = spine.kill_switch.switch
        latched = switch.is_latched()
        return BookObservation(
            nav=snapshot.nav,
            realised_pnl=sum((p.realised_pnl for p in snapshot.positions), Decimal(0)),
            unrealised_pnl=sum(
                (portfolio.unrealised_pnl(p.venue, p.symbol) for p in snapshot.positions),
                Decimal(0),
            ),
            daily_pnl=snapshot.daily_pnl,
            drawdown_frac=snapshot.drawdown_frac,
            daily_loss_frac=Decimal(loss),
            gross_exposure_usd=snapshot.gross_exposure,
            net_exposure_usd=snapshot.net_exposure,
            trading_state=switch.state.value,
            kill_switch_latched=latched,
            circuit_breaker_open=self._breaker_open(engine, latched),
            orders_by_state=by_state,
        )

    def _breaker_open(self, engine: TradingEngine, latched: bool) -> bool:
        """Return whether venue rejections hold trading: the breaker or the switch they tripped.

        The breaker's rule is ``risk.guards_activity.check_circuit_breaker``'s: open from
        ``circuit_breaker_rejections`` rejections in a row until the cooldown has passed since
        the last one.
        """
        if latched and self._trip_cause.get(engine.account) == _CIRCUIT_BREAKER:
            return True
        activity = engine.spine.oms.activity
        limits = engine.limits
        if activity.consecutive_rejections < limits.circuit_breaker_rejections:
            return False
        last = activity.last_rejection_ns
        cooldown_ns = round(limits.circuit_breaker_cooldown_s * _NS)
        return last is None or engine.clock.now_ns() - last < cooldown_ns

    # ------------------------------------------------------------------ operators

    def firing(self) -> list[dict[str, Any]]:
        """Return the alerts firing now (empty when the notifier is off)."""
        if self.notifier is None:
            return []
        return [_alert_payload(alert, "firing") for alert in self.notifier.firing]

    async def acknowledge(
        self,
        engine: TradingEngine,
        alertname: str,
        operator_id: str,
        reason: str,
        duration_s: float,
    ) -> dict[str, Any]:
        """Silence ``alertname`` on ``engine``'s account in Alertmanager; record who did it.

        The silence is created first and then recorded with its id: the record is the fact
        that it exists. Raises ``NotifierError`` when the notifier is off or Alertmanager
        does not answer; nothing is recorded then.
        """
        notifier = self.notifier
        if notifier is None:
            raise NotifierError("no Alertmanager is configured (alerts.alertmanager_url)")
        matchers = {"alertname": alertname, "account": engine.account}
        comment = f"acknowledged by {operator_id}: {reason}"
        silence = await notifier.silence(matchers, duration_s, operator_id, comment)
        payload = {
            "alertname": alertname,
            "operator_id": operator_id,
            "reason": reason,
            "silence_id": silence["silence_id"],
            "starts_at": silence["starts_at"].isoformat(),
            "ends_at": silence["ends_at"].isoformat(),
        }
        await engine.journal.append(EventType.ALERT_ACKNOWLEDGED, payload)
        _log.info("alert acknowledged", extra=payload)
        return payload


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_trace(incoming: str | None) -> contextlib.AbstractContextManager[str]:
    """Bind one HTTP request's trace id: the caller's ``X-Request-ID`` if sane, else fresh.

    A caller's id is kept only when it is short and plain (it ends up in every log line of
    the request); anything else is replaced, not echoed.
    """
    chosen = incoming if incoming is not None and _REQUEST_ID.match(incoming) else None
    return trace(chosen or new_trace_id())
