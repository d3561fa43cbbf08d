"""Frozen domain models: instruments, signals, orders, fills, positions, mandates, events.

Everything here is validated once when built and never changes. Money is ``Decimal`` and
refuses floats; timestamps are aware UTC. No I/O, and nothing of ours is imported: every other
room imports this one.
"""

from __future__ import annotations

from aiswarm.types.enums import (
    TERMINAL_ORDER_STATUSES,
    WORKING_ORDER_STATUSES,
    BarFileFormat,
    Direction,
    InstrumentKind,
    MandateStatus,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    TradingState,
)
from aiswarm.types.events import DomainEvent, EventRecord, EventType, to_payload
from aiswarm.types.fill import Fill
from aiswarm.types.ids import (
    AccountId,
    AgentId,
    ClientOrderId,
    MandateId,
    Symbol,
    TradeId,
    VenueId,
    VenueOrderId,
)
from aiswarm.types.instrument import Instrument, MinimumViolation
from aiswarm.types.mandate import Mandate
from aiswarm.types.market import Bar, FundingRate
from aiswarm.types.market_data import BookLevel, OpenInterest, OrderBookSnapshot, Trade
from aiswarm.types.market_frame import BarSeries, MarketFrame, SymbolFrame
from aiswarm.types.modes import TRADING_MODES, Mode
from aiswarm.types.money import Money, NonNegative, Price, Quantity, to_decimal
from aiswarm.types.orders import OrderIntent, OrderSpec
from aiswarm.types.portfolio import PortfolioSnapshot
from aiswarm.types.position import Position
from aiswarm.types.signal import Signal
from aiswarm.types.timestamps import UtcDatetime
from aiswarm.types.trading_window import TradingWindow

__all__ = [
    "TERMINAL_ORDER_STATUSES",
    "TRADING_MODES",
    "WORKING_ORDER_STATUSES",
    "AccountId",
    "AgentId",
    "Bar",
    "BarFileFormat",
    "BarSeries",
    "BookLevel",
    "ClientOrderId",
    "Direction",
    "DomainEvent",
    "EventRecord",
    "EventType",
    "Fill",
    "FundingRate",
    "Instrument",
    "InstrumentKind",
    "Mandate",
    "MandateId",
    "MandateStatus",
    "MarketFrame",
    "MinimumViolation",
    "Mode",
    "Money",
    "NonNegative",
    "OpenInterest",
    "OrderBookSnapshot",
    "OrderIntent",
    "OrderSpec",
    "OrderStatus",
    "OrderType",
    "PortfolioSnapshot",
    "Position",
    "Price",
    "Quantity",
    "Side",
    "Signal",
    "Symbol",
    "SymbolFrame",
    "TimeInForce",
    "Trade",
    "TradeId",
    "TradingState",
    "TradingWindow",
    "UtcDatetime",
    "VenueId",
    "VenueOrderId",
    "to_decimal",
    "to_payload",
]
