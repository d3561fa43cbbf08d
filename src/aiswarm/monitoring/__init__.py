"""Watch the platform: reconciliation with the venue (and, beside it, metrics and alerts).

Modules are imported by their own names (``aiswarm.monitoring.reconciliation``); this room
imports only ``types`` and ``clock``, and does no I/O of its own.
"""
