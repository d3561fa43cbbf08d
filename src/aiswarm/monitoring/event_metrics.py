"""Count what the event store records: approvals, refusals, fills, fees, agent failures, trips.

Why from the log: every decision, refusal and fill is appended to the store before it takes
effect, so counting committed records counts exactly what happened, in every component, without
each component knowing metrics exist. The runtime hands each committed record here (see
``runtime.monitor``); a record of another type is ignored. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiswarm.monitoring.metrics import Metrics
from aiswarm.types import EventType

__all__ = ["count_event"]

_RISK = EventType.RISK_DECISION.value
_REFUSED = EventType.ORDER_REFUSED.value
_ORDER = EventType.ORDER_EVENT.value
_AGENT = EventType.AGENT_FAILED.value
_KILL = EventType.KILL_SWITCH_CHANGED.value


def count_event(
    metrics: Metrics, account: str, event_type: str, payload: Mapping[str, Any]
) -> None:
    """Move the counters a committed record of ``account`` stands for."""
    if event_type == _ORDER:
        fill = payload.get("fill")
        if fill is not None:
            metrics.fills.labels(account, fill["symbol"], fill["side"]).inc()
            fee = float(fill["fee"])
            metrics.fees.labels(account, fill["fee_currency"]).inc(max(fee, 0.0))
    elif event_type == _RISK:
        if payload.get("approved"):
            metrics.approvals_issued.labels(account).inc()
        else:
            for refusal in payload.get("refusals", ()):
                metrics.approvals_refused.labels(account, refusal["code"]).inc()
    elif event_type == _REFUSED:
        metrics.oms_refusals.labels(account, payload["code"]).inc()
    elif event_type == _AGENT:
        metrics.agent_errors.labels(payload["agent_id"]).inc()
    elif event_type == _KILL and payload.get("trigger") == "trip":
        metrics.kill_switch_trips.labels(account, payload.get("cause") or "manual").inc()
