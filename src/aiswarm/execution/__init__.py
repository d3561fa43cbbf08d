"""Execution: the order kernel, the OMS, and the venues behind one adapter interface."""

from aiswarm.execution.oms import OrderManager
from aiswarm.execution.oms_contracts import EventJournal, OmsRefusal, SubmitResult
from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.execution.order_state import TRANSITIONS, OrderState, apply, new_order
from aiswarm.execution.paper_venue import PaperVenue
from aiswarm.execution.shadow_venue import ShadowVenue
from aiswarm.execution.trading_gate import TradingGate
from aiswarm.execution.venue import ExecutionReport, ReportKind, Venue

__all__ = [
    "TRANSITIONS",
    "EventJournal",
    "ExecutionReport",
    "OmsRefusal",
    "OrderEvent",
    "OrderManager",
    "OrderState",
    "PaperVenue",
    "ReportKind",
    "ShadowVenue",
    "SubmitResult",
    "TradingGate",
    "Trigger",
    "Venue",
    "apply",
    "new_order",
]
