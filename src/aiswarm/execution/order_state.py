"""Move an order through its lifecycle by one explicit table, and refuse every other move. No I/O.

``TRANSITIONS`` has one row per legal (status, trigger) pair. ``apply`` is the only code that
gives an order a new status, and it takes that status from the table: a pair that is not in the
table raises ``InvalidTransition("FILLED -> CANCEL_REQUEST ...")`` and nothing is applied. The
caller (OMS, executor) logs and records the refusal; this module never logs.

Venues do not report events in textbook order, so the table accepts what they really send:
a fill before the acknowledgement, a fill racing our cancel request, an acknowledgement
arriving after a fill, a refused cancel, a cancel or expiry the venue decided on its own. The
unusual rows say why they exist.

Decisions worth knowing:

* A fill whose ``trade_id`` was already applied is ignored, and ``apply`` returns the state it
  was given (the same object). Venues resend fills after a reconnect; counting one twice would
  double a position. This check runs first, so a resent fill of a finished order is ignored too.
* A terminal status (FILLED, CANCELED, REJECTED, EXPIRED) never changes. Three terminal rows map
  a status to itself, for late or resent messages that are routine at real venues: an
  acknowledgement after the fill that completed the order, a refused cancel that lost the race
  to the last fill, a cancel acknowledgement sent twice. Anything else on a terminal order is
  refused.
* A cancel needs the venue's acknowledgement first: (SUBMITTED, CANCEL_REQUEST) is not a row.
  Until the venue has acknowledged, a refused cancel could not tell us whether the order is
  working; the executor waits for the acknowledgement (or queries the venue) before cancelling.
  An order that was never sent (PENDING) is withdrawn at once: nothing at the venue to cancel.
* A fill that would take the filled quantity above the order quantity raises ``OverfillError``
  (an ``InvalidTransition``): the venue and we disagree about the order, so reconcile.
* An event naming a different ``venue_order_id`` from the one recorded is refused: it belongs
  to another order, and applying it would corrupt this one.

``OrderState`` is a slotted frozen dataclass rather than a pydantic model because ``apply`` runs
on every venue update (the hot path): one dict lookup and a few Decimal operations. Fill sums
use an exact Decimal context that raises rather than round; the average fill price is their
quotient, rounded to 28 significant digits (half even).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from types import MappingProxyType

from aiswarm.errors import InvalidTransition
from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.types import ClientOrderId, OrderSpec, OrderStatus, TradeId, VenueOrderId

__all__ = [
    "TRANSITIONS",
    "OrderState",
    "OverfillError",
    "apply",
    "new_order",
    "next_status",
]

_S = OrderStatus
_T = Trigger

_ROWS: dict[tuple[OrderStatus, Trigger], OrderStatus] = {
    # PENDING: built and approved, not yet sent.
    (_S.PENDING, _T.SUBMIT): _S.SUBMITTED,
    # Refused before it left us (adapter validation, a definitive refusal of the request).
    (_S.PENDING, _T.REJECT): _S.REJECTED,
    # Withdrawn before it was sent (kill switch, deadline): nothing at the venue to cancel.
    (_S.PENDING, _T.CANCEL_REQUEST): _S.CANCELED,
    # SUBMITTED: sent, not yet acknowledged.
    (_S.SUBMITTED, _T.ACCEPT): _S.ACCEPTED,
    (_S.SUBMITTED, _T.REJECT): _S.REJECTED,
    # Fill before the ack: a marketable order can match, and its fill reach us on the trade
    # stream, before the acknowledgement does.
    (_S.SUBMITTED, _T.PARTIAL_FILL): _S.PARTIALLY_FILLED,
    (_S.SUBMITTED, _T.FILL): _S.FILLED,
    # An IOC/FOK that found no liquidity: some venues answer the request with EXPIRED and
    # never send an ack.
    (_S.SUBMITTED, _T.EXPIRE): _S.EXPIRED,
    # ACCEPTED: working at the venue, nothing filled.
    # The REST answer and the order stream both report the ack: the second is a duplicate.
    (_S.ACCEPTED, _T.ACCEPT): _S.ACCEPTED,
    (_S.ACCEPTED, _T.PARTIAL_FILL): _S.PARTIALLY_FILLED,
    (_S.ACCEPTED, _T.FILL): _S.FILLED,
    (_S.ACCEPTED, _T.CANCEL_REQUEST): _S.PENDING_CANCEL,
    # Canceled without our asking: self-trade prevention, a post-only order that would
    # cross, venue maintenance.
    (_S.ACCEPTED, _T.CANCEL_ACK): _S.CANCELED,
    (_S.ACCEPTED, _T.EXPIRE): _S.EXPIRED,
    # PARTIALLY_FILLED: working, some quantity filled.
    # A late ack: it was overtaken by a fill (fill before the ack, above).
    (_S.PARTIALLY_FILLED, _T.ACCEPT): _S.PARTIALLY_FILLED,
    (_S.PARTIALLY_FILLED, _T.PARTIAL_FILL): _S.PARTIALLY_FILLED,
    (_S.PARTIALLY_FILLED, _T.FILL): _S.FILLED,
    (_S.PARTIALLY_FILLED, _T.CANCEL_REQUEST): _S.PENDING_CANCEL,
    # Canceled without our asking, the filled part kept: an IOC's unmatched remainder,
    # self-trade prevention.
    (_S.PARTIALLY_FILLED, _T.CANCEL_ACK): _S.CANCELED,
    # The time in force ran out with part filled (GTD, day order); the filled part is kept.
    (_S.PARTIALLY_FILLED, _T.EXPIRE): _S.EXPIRED,
    # PENDING_CANCEL: we asked to cancel; the venue has not answered.
    # A cancel acknowledged, for a partly filled order too: the filled part is kept.
    (_S.PENDING_CANCEL, _T.CANCEL_ACK): _S.CANCELED,
    # The venue refused the cancel (too late, unknown to the matching engine yet): the order
    # is back to working, with nothing filled ...
    (_S.PENDING_CANCEL, _T.CANCEL_REJECT): _S.ACCEPTED,
    # ... or with part filled.
    (_S.PENDING_CANCEL, _T.CANCEL_REJECT_PARTIAL): _S.PARTIALLY_FILLED,
    # A fill after the cancel request: the order matched while our cancel was in flight.
    # Part filled, the cancel is still pending ...
    (_S.PENDING_CANCEL, _T.PARTIAL_FILL): _S.PENDING_CANCEL,
    # ... or the rest filled, and the cancel has nothing left to cancel.
    (_S.PENDING_CANCEL, _T.FILL): _S.FILLED,
    # The time in force ran out before the venue processed our cancel.
    (_S.PENDING_CANCEL, _T.EXPIRE): _S.EXPIRED,
    # The ack, resent or late, arrives after our cancel request went out.
    (_S.PENDING_CANCEL, _T.ACCEPT): _S.PENDING_CANCEL,
    # A cancel retried after the first request timed out.
    (_S.PENDING_CANCEL, _T.CANCEL_REQUEST): _S.PENDING_CANCEL,
    # Terminal: only these late or resent messages are accepted, and they change nothing.
    # The ack arrives after the fill that completed the order (fill before the ack).
    (_S.FILLED, _T.ACCEPT): _S.FILLED,
    # Our cancel lost the race to the last fill; the venue refuses it as the order is done.
    (_S.FILLED, _T.CANCEL_REJECT): _S.FILLED,
    # The cancel ack, resent (the REST answer and the order stream both report it).
    (_S.CANCELED, _T.CANCEL_ACK): _S.CANCELED,
}

TRANSITIONS: Mapping[tuple[OrderStatus, Trigger], OrderStatus] = MappingProxyType(_ROWS)
"""Every legal move of an order: (status, trigger) -> next status. Nothing else moves an order."""

# Sums of fills must be exact: trap rounding instead of silently losing a digit.
_EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])
# The average is a quotient (1/3 has no end), so it is rounded, the same way every time.
_AVERAGE = Context(prec=28)
_ZERO = Decimal(0)
# Bound once: attribute access on an enum class costs more than the dict lookup itself.
_FILL = Trigger.FILL
_PARTIAL_FILL = Trigger.PARTIAL_FILL
_CANCEL_REJECT = Trigger.CANCEL_REJECT
_CANCEL_REJECT_PARTIAL = Trigger.CANCEL_REJECT_PARTIAL
_REJECTED = OrderStatus.REJECTED


class OverfillError(InvalidTransition):
    """A fill would take an order's filled quantity above its quantity; it is not applied."""


def next_status(status: OrderStatus, trigger: Trigger) -> OrderStatus:
    """Return the status ``trigger`` moves an order in ``status`` to, from ``TRANSITIONS``.

    Raises InvalidTransition, whose message starts ``"STATUS -> TRIGGER"``, for a pair the table
    does not have.
    """
    target = _ROWS.get((status, trigger))
    if target is None:
        raise InvalidTransition(
            f"{status.name} -> {trigger.name}: the order state table has no such move; "
            "the event was refused, not applied (reconcile with the venue if it keeps coming)"
        )
    return target


@dataclass(frozen=True, slots=True)
class OrderState:
    """One order as the kernel knows it; ``apply`` returns a new one for every event.

    ``filled_quantity`` is in base units and ``filled_notional`` (the exact sum of quantity x
    price over the fills) in quote units; ``average_fill_price`` is their quotient, None until
    the first fill. ``trade_ids`` holds every fill applied, so a resent fill is recognised.
    ``last_ts_ns`` is the latest event time seen (epoch ns): events arrive out of order, so it
    never goes back. ``reject_reason`` says why a REJECTED order was refused. Build one with
    ``new_order`` and move it only with ``apply``.
    """

    spec: OrderSpec
    status: OrderStatus
    filled_quantity: Decimal
    filled_notional: Decimal
    average_fill_price: Decimal | None
    venue_order_id: VenueOrderId | None
    trade_ids: frozenset[TradeId]
    last_ts_ns: int
    reject_reason: str | None

    @property
    def client_order_id(self) -> ClientOrderId:
        """Return our id for the order (the spec's)."""
        return self.spec.client_order_id

    @property
    def remaining_quantity(self) -> Decimal:
        """Return the quantity not yet filled, in base units (0 when filled)."""
        return self.spec.quantity - self.filled_quantity

    @property
    def is_terminal(self) -> bool:
        """Return whether the order is finished: no event can change its status."""
        return self.status.is_terminal


def new_order(spec: OrderSpec, ts_ns: int) -> OrderState:
    """Return ``spec`` as a PENDING order with nothing filled, created at ``ts_ns`` (epoch ns)."""
    return OrderState(spec, OrderStatus.PENDING, _ZERO, _ZERO, None, None, frozenset(), ts_ns, None)


def _venue_order_id(state: OrderState, event: OrderEvent) -> VenueOrderId | None:
    """Return the venue order id to keep, refusing an event that names a different one."""
    known = state.venue_order_id
    told = event.venue_order_id
    if told is None or told == known:
        return known
    if known is None:
        return told
    raise InvalidTransition(
        f"{state.status.name} -> {event.trigger.name}: order {state.client_order_id} has "
        f"venue_order_id={known!r} but the event names {told!r}; the event belongs to another "
        "order and was refused"
    )


def apply(state: OrderState, event: OrderEvent) -> OrderState:
    """Return the order after ``event``, with the status ``TRANSITIONS`` gives.

    A fill whose trade id was already applied returns ``state`` itself, unchanged. A fill is
    classed PARTIAL_FILL or FILL by whether it completes the order, and a refused cancel
    CANCEL_REJECT or CANCEL_REJECT_PARTIAL by whether part is filled; then the table decides.

    Raises:
        InvalidTransition: the table has no row for (status, trigger), or the event names a
            different venue order id. ``state`` is unchanged.
        OverfillError: the fill would take the filled quantity above the order quantity.
    """
    trigger = event.trigger
    if trigger is _FILL:
        return _apply_fill(state, event)
    filled = state.filled_quantity
    if trigger is _CANCEL_REJECT and filled and filled < state.spec.quantity:
        trigger = _CANCEL_REJECT_PARTIAL
    status = next_status(state.status, trigger)
    last_ts_ns = state.last_ts_ns
    return OrderState(
        state.spec,
        status,
        filled,
        state.filled_notional,
        state.average_fill_price,
        state.venue_order_id if event.venue_order_id is None else _venue_order_id(state, event),
        state.trade_ids,
        event.ts_ns if event.ts_ns > last_ts_ns else last_ts_ns,
        event.reason if status is _REJECTED else state.reject_reason,
    )


def _apply_fill(state: OrderState, event: OrderEvent) -> OrderState:
    """Return the order after one fill event (``apply`` for trigger FILL)."""
    trade_id = event.trade_id
    quantity = event.fill_quantity
    price = event.fill_price
    # OrderEvent guarantees all three for a fill; the checks narrow the types for mypy.
    if trade_id is None or quantity is None or price is None:
        raise InvalidTransition(f"fill event without trade_id, quantity or price: {event!r}")
    if trade_id in state.trade_ids:
        return state
    filled = _EXACT.add(state.filled_quantity, quantity)
    ordered = state.spec.quantity
    status = next_status(state.status, _FILL if filled >= ordered else _PARTIAL_FILL)
    if filled > ordered:
        raise OverfillError(
            f"{state.status.name} -> FILL: trade {trade_id} of {quantity} would take order "
            f"{state.client_order_id} to filled={filled}, above its quantity={ordered} "
            f"(filled before={state.filled_quantity}); refused, reconcile with the venue"
        )
    notional = _EXACT.add(state.filled_notional, _EXACT.multiply(quantity, price))
    last_ts_ns = state.last_ts_ns
    return OrderState(
        state.spec,
        status,
        filled,
        notional,
        _AVERAGE.divide(notional, filled),
        state.venue_order_id if event.venue_order_id is None else _venue_order_id(state, event),
        state.trade_ids | {trade_id},
        event.ts_ns if event.ts_ns > last_ts_ns else last_ts_ns,
        state.reject_reason,
    )
