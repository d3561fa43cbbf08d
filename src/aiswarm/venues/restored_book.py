"""What a simulated venue takes back after a restart: the working orders the journal holds.

The paper and shadow venues live inside the trading process, so their books die with it. The
journal is the truth: the OMS rebuilds every order from it, and before the OMS reconciles, the
simulated venue is handed the orders it had acknowledged and not yet finished. Reconciliation
then finds each working order where it was, and the order goes on resting, filling or being
cancelled as if the process had never stopped. An order the venue never acknowledged is not
handed back: the OMS resends it (same client order id) or rejects it, as with a real venue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aiswarm.execution.venue import VenueAck
from aiswarm.types import OrderSpec, OrderStatus

__all__ = ["RestoredOrder"]


@dataclass(frozen=True, slots=True)
class RestoredOrder:
    """One working order to put back: its spec, the venue's ack, status and filled quantity."""

    spec: OrderSpec
    ack: VenueAck
    status: OrderStatus
    filled: Decimal
    ts_ns: int
