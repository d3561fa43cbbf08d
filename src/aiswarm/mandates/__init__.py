"""Mandates: what each strategy may trade, where, how much and until when.

The mandate files (top-level ``mandates/``, one YAML file per mandate) are read and validated
here (``load_mandate_files``), agents are bound to them (``bind_agents``), their lifecycle is
one table (``mandate_state``), and ``mandate_log`` records them in the event store and takes
them back after a crash. Imports only types, agents and errors; the guard chain in ``risk/``
enforces each mandate's limits on every order. See docs/mandates.md.
"""

from aiswarm.mandates.mandate_files import MandateFile, load_mandate_files
from aiswarm.mandates.mandate_log import (
    MANDATE_CHANGED,
    change_payload,
    reconcile,
    recorded_mandates,
)
from aiswarm.mandates.mandate_state import MandateTrigger, expire
from aiswarm.mandates.registry import MandateBindings, bind_agents

__all__ = [
    "MANDATE_CHANGED",
    "MandateBindings",
    "MandateFile",
    "MandateTrigger",
    "bind_agents",
    "change_payload",
    "expire",
    "load_mandate_files",
    "reconcile",
    "recorded_mandates",
]
