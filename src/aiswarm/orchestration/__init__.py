"""Orchestration: the paths that combine agents, portfolio, risk and execution."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiswarm.lazy_exports import lazy_exports

# Names load on first use (aiswarm/lazy_exports.py): the config needs only
# ``ArbitrationConfig``, and `aiswarm events list` should not load the rest.
if TYPE_CHECKING:
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
else:
    __getattr__ = lazy_exports(__name__, __file__)

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
