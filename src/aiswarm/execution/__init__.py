"""Execution: the order kernel, the OMS, and the venue interface the venues room implements."""

from aiswarm.execution.oms import OrderManager
from aiswarm.execution.oms_contracts import EventJournal, OmsRefusal, SubmitResult
from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.execution.order_state import TRANSITIONS, OrderState, apply, new_order
from aiswarm.execution.trading_gate import SessionPause, TradingGate
from aiswarm.execution.venue import ExecutionReport, ReportKind, Venue

__all__ = [
    "TRANSITIONS",
    "EventJournal",
    "ExecutionReport",
    "OmsRefusal",
    "OrderEvent",
    "OrderManager",
    "OrderState",
    "ReportKind",
    "SessionPause",
    "SubmitResult",
    "TradingGate",
    "Trigger",
    "Venue",
    "apply",
    "new_order",
]
