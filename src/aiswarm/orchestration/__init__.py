"""Orchestration: the paths that combine agents, portfolio, risk and execution."""

from aiswarm.orchestration.kill_switch_control import (
    KILL_SWITCH_CHANGED,
    FlattenInputs,
    KillSwitchControl,
)
from aiswarm.orchestration.order_pipeline import (
    RISK_DECISION,
    OrderPipeline,
    Placement,
    client_order_id_for,
)

__all__ = [
    "KILL_SWITCH_CHANGED",
    "RISK_DECISION",
    "FlattenInputs",
    "KillSwitchControl",
    "OrderPipeline",
    "Placement",
    "client_order_id_for",
]
