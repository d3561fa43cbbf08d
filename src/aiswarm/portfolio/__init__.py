"""Keep each account's books exactly: positions, cash, PnL, fees, funding, NAV, drawdown.

``Portfolio`` is fed fills (deduplicated by venue trade id), funding, deposits and withdrawals
and marks, and hands out frozen ``Position`` and ``PortfolioSnapshot`` values; risk reads it
through its own read-only ``PortfolioView`` protocol. ``replay`` rebuilds a portfolio from
logged events after a crash. Every amount is an exact ``Decimal``; an unmarked open position
makes NAV unknown (``MissingMarkError``), never guessed, and a fill or funding payment the
books cannot take is held aside as an ``AccountingBreak`` or ``FundingBreak``, never booked as
a guess. ``size`` (the allocator) turns an arbitration decision into the order that moves a
position to its Kelly or fixed target. No I/O.
"""

from __future__ import annotations

from aiswarm.portfolio.allocator import (
    AllocationMode,
    AllocatorConfig,
    NoOrder,
    NoOrderReason,
    full_kelly,
    size,
)
from aiswarm.portfolio.errors import (
    AccountingBreak,
    AccountingError,
    FundingBreak,
    MissingMarkError,
)
from aiswarm.portfolio.ledger import Portfolio
from aiswarm.portfolio.replay import Deposit, Funding, LedgerEvent, MarkPrice, replay

__all__ = [
    "AccountingBreak",
    "AccountingError",
    "AllocationMode",
    "AllocatorConfig",
    "Deposit",
    "Funding",
    "FundingBreak",
    "LedgerEvent",
    "MarkPrice",
    "MissingMarkError",
    "NoOrder",
    "NoOrderReason",
    "Portfolio",
    "full_kelly",
    "replay",
    "size",
]
