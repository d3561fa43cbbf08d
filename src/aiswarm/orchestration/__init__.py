"""Orchestration: the paths that combine agents, portfolio, risk and execution."""

from aiswarm.orchestration.arbitration import (
    AgentWeights,
    ArbitrationConfig,
    ArbitrationDecision,
    arbitrate,
)
from aiswarm.orchestration.coordinator import Coordinator, CycleOutcome, TradingContext
from aiswarm.orchestration.flatten_duty import FlattenInputs
from aiswarm.orchestration.kill_switch_control import KILL_SWITCH_CHANGED, KillSwitchControl
from aiswarm.orchestration.order_pipeline import OrderPipeline, Placement, client_order_id_for

__all__ = [
    "KILL_SWITCH_CHANGED",
    "AgentWeights",
    "ArbitrationConfig",
    "ArbitrationDecision",
    "Coordinator",
    "CycleOutcome",
    "FlattenInputs",
    "KillSwitchControl",
    "OrderPipeline",
    "Placement",
    "TradingContext",
    "arbitrate",
    "client_order_id_for",
]
