"""Write the order schedule's records, and fold an account's journal back into its timers.

``order_schedule.OrderSchedule`` records every step before it acts; this module holds what
those records say and ``recover``, which rebuilds from them the slices owed and the timers a
running schedule held when it stopped. No I/O, no clock: a restart and a test fold the same
records into the same state.

Records (each appended before the step it names takes effect):

* ``allocation.slice``, ``action: place``: a slice is about to go to the guard chain, with its
  client order id. The first slice of a TWAP also carries the parent order, every slice
  quantity, the interval and when slice 2 is due, which is all the plan there is.
* ``allocation.slice``, ``action: cancel``: a new decision dropped the symbol's slices.
* ``allocation.watch``: a limit order about to be placed will be re-quoted: its client order
  id, the period and the instant its heartbeat counts from.
* ``allocation.requote``, ``action: cancel`` (with the instant), ``place`` (the replacement and
  its client order id) and ``not_replaced``: the steps of one re-quote.

How a step that was under way when the process stopped is told apart from one that was done:
an order counts as placed when its ``order.submitted`` is in the log (the OMS records that
before the venue sees anything), and as spent when the guard chain (``risk.decision`` refused)
or the OMS (``order.refused``) turned it down, as a running schedule moves on after a refusal.
A slice or replacement recorded but neither placed nor refused never reached the OMS, so it is
owed again, due at once, under a new decision time (hence a new client order id); the one that
was recorded cannot be placed twice because it was never placed once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiswarm.execution.timers import Deadline, Heartbeat, Interval, Timer
from aiswarm.orchestration.order_pipeline import client_order_id_for
from aiswarm.types import ClientOrderId, EventType, OrderIntent, Symbol

__all__ = [
    "REQUOTE",
    "SLICE",
    "WATCH",
    "OwedSlices",
    "Recovered",
    "recover",
    "requote_cancel_payload",
    "requote_place_payload",
    "slice_payload",
    "watch_payload",
]

_log = logging.getLogger(__name__)

SLICE = EventType.ALLOCATION_SLICE
REQUOTE = EventType.ALLOCATION_REQUOTE
WATCH = EventType.ALLOCATION_WATCH


@dataclass(frozen=True, slots=True)
class OwedSlices:
    """What is left of one symbol's TWAP: the parent intent and the slices still owed."""

    parent: OrderIntent
    owed: tuple[Decimal, ...]
    total: int

    @property
    def next_number(self) -> int:
        """Return the number (1-based) of the next slice."""
        return self.total - len(self.owed) + 1


@dataclass(frozen=True, slots=True)
class Recovered:
    """A schedule as rebuilt from its records: owed slices, timers, cancels to ask again.

    ``cancels`` names the orders under a re-quote whose cancel was recorded by the schedule but
    may never have reached the OMS; the schedule asks for it again if the order still works.
    """

    slices: Mapping[Symbol, OwedSlices]
    timers: Mapping[str, Timer]
    cancels: frozenset[ClientOrderId]


def slice_payload(intent: OrderIntent, number: int, total: int) -> dict[str, Any]:
    """Return the ``allocation.slice`` record of slice ``number`` of ``total``, before placing."""
    return {
        "action": "place",
        "symbol": intent.symbol,
        "slice": number,
        "slices": total,
        "client_order_id": client_order_id_for(intent),
        "order": intent.model_dump(mode="json"),
    }


def watch_payload(
    client_order_id: ClientOrderId, symbol: Symbol, every_ns: int, since_ns: int
) -> dict[str, Any]:
    """Return the ``allocation.watch`` record: re-quote an order every ``every_ns`` from then."""
    return {
        "client_order_id": client_order_id,
        "symbol": symbol,
        "every_ns": every_ns,
        "since_ns": since_ns,
    }


def requote_cancel_payload(
    client_order_id: ClientOrderId,
    symbol: Symbol,
    limit_price: Decimal | None,
    new_limit_price: Decimal,
    remaining_quantity: Decimal,
    at_ns: int,
) -> dict[str, Any]:
    """Return the ``allocation.requote`` record of a cancel asked to re-quote an order."""
    return {
        "action": "cancel",
        "client_order_id": client_order_id,
        "symbol": symbol,
        "limit_price": str(limit_price),
        "new_limit_price": str(new_limit_price),
        "remaining_quantity": str(remaining_quantity),
        "at_ns": at_ns,
    }


def requote_place_payload(replaces: ClientOrderId, intent: OrderIntent) -> dict[str, Any]:
    """Return the ``allocation.requote`` record of the order about to replace ``replaces``."""
    return {
        "action": "place",
        "replaces": replaces,
        "symbol": intent.symbol,
        "client_order_id": client_order_id_for(intent),
        "order": intent.model_dump(mode="json"),
    }


@dataclass(slots=True)
class _Plan:
    """A TWAP as its records tell it: the plan, and the last slice recorded."""

    parent: OrderIntent
    quantities: tuple[Decimal, ...]
    interval_ns: int
    start_ns: int
    last: int
    last_id: ClientOrderId


@dataclass(slots=True)
class _Requote:
    """A re-quote under way: when its cancel was recorded, and its replacement once recorded."""

    at_ns: int
    replacement: ClientOrderId | None = None


def recover(records: Iterable[tuple[str, Mapping[str, Any]]]) -> Recovered:
    """Fold an account's journal (``(type, payload)``, oldest first) into a schedule's state.

    TWAP: the slices owed start at the last slice recorded, or the one after it when that one
    was placed or refused; the next is due on the plan's own grid (start + (k - 1) x interval),
    so one already late comes due at once. Re-quotes: a cancel recorded without its outcome, or
    a replacement recorded but not placed, comes back as the deadline a running schedule holds
    until the cancel is done. Watches: each watched order that was submitted and not since
    re-quoted gets its heartbeat back on its grid (the caller drops finished orders). Periods
    come from the records, not from today's config: a plan resumes as it was made.
    """
    plans: dict[Symbol, _Plan] = {}
    watches: dict[ClientOrderId, Heartbeat] = {}
    requotes: dict[ClientOrderId, _Requote] = {}
    placed: set[str] = set()
    refused: set[str] = set()
    for event_type, payload in records:
        if event_type == EventType.ORDER_SUBMITTED:
            placed.add(payload["spec"]["client_order_id"])
        elif event_type == EventType.ORDER_REFUSED:
            refused.add(payload["client_order_id"])
        elif event_type == EventType.RISK_DECISION:
            if not payload["approved"]:
                refused.add(payload["spec"]["client_order_id"])
        elif event_type == SLICE:
            _fold_slice(plans, payload)
        elif event_type == WATCH:
            client_order_id = ClientOrderId(payload["client_order_id"])
            every_ns, since_ns = int(payload["every_ns"]), int(payload["since_ns"])
            watches[client_order_id] = Heartbeat(client_order_id, every_ns, since_ns)
        elif event_type == REQUOTE:
            _fold_requote(watches, requotes, payload)
    settled = placed | refused

    slices: dict[Symbol, OwedSlices] = {}
    timers: dict[str, Timer] = {}
    for symbol, plan in plans.items():
        first = plan.last + 1 if plan.last_id in settled else plan.last
        total = len(plan.quantities)
        if first > total:
            continue
        slices[symbol] = OwedSlices(plan.parent, plan.quantities[first - 1 :], total)
        due_ns = plan.start_ns + (first - 1) * plan.interval_ns
        timers[symbol] = Interval(symbol, plan.interval_ns, due_ns, total - first + 1)
    cancels: set[ClientOrderId] = set()
    for client_order_id, requote in requotes.items():
        if requote.replacement is not None and requote.replacement in settled:
            continue
        timers[client_order_id] = Deadline(client_order_id, requote.at_ns)
        cancels.add(client_order_id)
    for client_order_id, heartbeat in watches.items():
        if client_order_id in placed:
            timers[client_order_id] = heartbeat
    return Recovered(slices, timers, frozenset(cancels))


def _fold_slice(plans: dict[Symbol, _Plan], payload: Mapping[str, Any]) -> None:
    symbol = Symbol(payload["symbol"])
    if payload["action"] != "place":
        plans.pop(symbol, None)  # a new decision dropped the rest
        return
    number = int(payload["slice"])
    if "quantities" in payload:  # the plan, recorded with its first slice
        if "parent" not in payload:
            _log.warning(
                "a TWAP on %s was recorded before plans were (no parent order): its remaining "
                "slices are not resumed",
                symbol,
            )
            plans.pop(symbol, None)
            return
        interval_ns = int(payload["interval_ns"])
        plans[symbol] = _Plan(
            parent=OrderIntent.model_validate(payload["parent"]),
            quantities=tuple(Decimal(quantity) for quantity in payload["quantities"]),
            interval_ns=interval_ns,
            start_ns=int(payload["next_ns"]) - interval_ns,
            last=1,
            last_id=_client_order_id(payload),
        )
        return
    plan = plans.get(symbol)
    if plan is not None:
        plan.last, plan.last_id = number, _client_order_id(payload)


def _fold_requote(
    watches: dict[ClientOrderId, Heartbeat],
    requotes: dict[ClientOrderId, _Requote],
    payload: Mapping[str, Any],
) -> None:
    action = payload["action"]
    if action == "cancel":
        client_order_id = ClientOrderId(payload["client_order_id"])
        watches.pop(client_order_id, None)  # its deadline replaces its heartbeat
        # Recorded without its instant before restarts were planned for: due at once anyway.
        requotes[client_order_id] = _Requote(int(payload.get("at_ns", 0)))
    elif action == "place":
        requote = requotes.get(ClientOrderId(payload["replaces"]))
        if requote is not None:
            requote.replacement = _client_order_id(payload)
    else:  # not_replaced: the re-quote ended without a replacement
        client_order_id = ClientOrderId(payload["client_order_id"])
        requotes.pop(client_order_id, None)
        watches.pop(client_order_id, None)


def _client_order_id(payload: Mapping[str, Any]) -> ClientOrderId:
    """Return the client order id a place record names (derived, for records that lack it)."""
    recorded = payload.get("client_order_id")
    if recorded is not None:
        return ClientOrderId(recorded)
    return client_order_id_for(OrderIntent.model_validate(payload["order"]))
