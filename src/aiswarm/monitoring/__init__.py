"""Monitoring: Prometheus metrics, alert conditions, the Alertmanager notifier, logging setup,
and reconciliation with the venue (``aiswarm.monitoring.reconciliation``, imported by name).

This room imports only types and the clock: the runtime pushes observations in
(``runtime.monitor``) and wires it from config. See docs/metrics.md and docs/alerts.md.
"""

from aiswarm.monitoring.alerts import Alert, AlertInputs, alerts_for
from aiswarm.monitoring.event_metrics import count_event
from aiswarm.monitoring.metrics import BookObservation, Metrics
from aiswarm.monitoring.notifier import AlertNotifier, AlertPlan, NotifierError

__all__ = [
    "Alert",
    "AlertInputs",
    "AlertNotifier",
    "AlertPlan",
    "BookObservation",
    "Metrics",
    "NotifierError",
    "alerts_for",
    "count_event",
]
