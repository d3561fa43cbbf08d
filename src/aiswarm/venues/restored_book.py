"""What a simulated venue takes back after a restart: the working orders the journal holds.

The paper and shadow venues live inside the trading process, so their books die with it. The
journal is the truth: the OMS rebuilds every order from it, and before the OMS reconciles, the
simulated venue is handed the orders it had acknowledged and not yet finished. Reconciliation
then finds each working order where it was, and the order goes on resting, filling or being
cancelled as if the process had never stopped. An order the venue never acknowledged is not
handed back: the OMS resends it (same client order id) or rejects it, as with a real venue.

The journal records fills, not a stop order's trigger: a stop-limit that triggered without
reaching its limit would wait to trigger again. ``judge_trigger`` shows such an order the bars
the venue matched before the restart, by the venue's own rule, so it rests as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from aiswarm.execution.venue import VenueAck
from aiswarm.types import Bar, OrderSpec, OrderStatus
from aiswarm.venues.paper_matching import match_bar

__all__ = ["RestoredOrder", "judge_trigger"]


@dataclass(frozen=True, slots=True)
class RestoredOrder:
    """One working order to put back: its spec, the venue's ack, status and filled quantity.

    ``triggered``: a stop order's stop was reached before the restart (see ``judge_trigger``).
    """

    spec: OrderSpec
    ack: VenueAck
    status: OrderStatus
    filled: Decimal
    ts_ns: int
    triggered: bool = False


def judge_trigger(order: RestoredOrder, matched: Iterable[Bar]) -> RestoredOrder:
    """Return ``order`` marked triggered if it is a stop whose stop one of ``matched`` reached.

    ``matched`` are the bars the venue matched the order against before the restart, in time
    order. An order that has filled had triggered already; other order types are returned as
    they are.
    """
    if not order.spec.order_type.needs_stop_price or order.filled or order.triggered:
        return order
    for bar in matched:
        triggered, _ = match_bar(order.spec, bar, triggered=False)
        if triggered:
            return replace(order, triggered=True)
    return order
