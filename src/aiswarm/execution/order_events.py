"""Name what can happen to an order, and hold one such happening as an event. No I/O.

An ``OrderEvent`` is what the OMS or a venue adapter tells the order kernel: we handed the order
to the venue, the venue acknowledged it, filled part of it, refused a cancel, and so on. Events
are validated once, when built, so ``apply`` (``order_state.py``) never sees a fill without a
price or with a negative quantity.

Two of the table's triggers are never carried by an event: ``PARTIAL_FILL`` and
``CANCEL_REJECT_PARTIAL``. A venue reports "a fill" or "your cancel was refused"; whether that
leaves the order partly or fully filled, or returns it to ACCEPTED or PARTIALLY_FILLED, follows
from the quantities, which only the order state knows. ``apply`` works that out and then looks
the refined trigger up in the table, so the table stays the only thing that decides a status.

Events are slotted frozen dataclasses rather than pydantic models: they sit on the hot path of
every venue update, and the checks they need are a handful of comparisons. Timestamps are
integer nanoseconds since the Unix epoch (UTC), as the clock's ``now_ns`` gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from aiswarm.types import TradeId, VenueOrderId

__all__ = ["EVENT_TRIGGERS", "OrderEvent", "Trigger"]


class Trigger(StrEnum):
    """Why an order moves: the second half of every key in the order state table."""

    SUBMIT = "submit"
    """The OMS handed the order to the venue (recorded before the request leaves)."""
    ACCEPT = "accept"
    """The venue acknowledged the order; it rests or is working."""
    REJECT = "reject"
    """The order was refused, by the venue or by our adapter before it was sent."""
    PARTIAL_FILL = "partial_fill"
    """A fill that leaves some quantity open (resolved by ``apply``, never sent in an event)."""
    FILL = "fill"
    """A fill that completes the order; in an event, any fill (``apply`` refines it)."""
    CANCEL_REQUEST = "cancel_request"
    """We asked the venue to cancel (or withdrew an order never sent)."""
    CANCEL_ACK = "cancel_ack"
    """The venue says the order is canceled, whether we asked or not."""
    CANCEL_REJECT = "cancel_reject"
    """The venue refused our cancel; the order is still working, with nothing filled."""
    CANCEL_REJECT_PARTIAL = "cancel_reject_partial"
    """The venue refused our cancel of a partly filled order (resolved by ``apply``)."""
    EXPIRE = "expire"
    """The venue ended the order by its time in force (GTD, day, an unmatched IOC)."""


EVENT_TRIGGERS: frozenset[Trigger] = frozenset(Trigger) - {
    Trigger.PARTIAL_FILL,
    Trigger.CANCEL_REJECT_PARTIAL,
}
"""The triggers an ``OrderEvent`` may carry; the other two are refinements ``apply`` makes."""

# Bound once: attribute access on an enum class costs more than the checks that use it.
_FILL = Trigger.FILL
_PARTIAL_FILL = Trigger.PARTIAL_FILL
_CANCEL_REJECT_PARTIAL = Trigger.CANCEL_REJECT_PARTIAL


def _check_positive(value: Decimal | None, name: str) -> Decimal:
    """Return ``value`` if it is a finite Decimal above 0, else say what was wrong."""
    if not isinstance(value, Decimal):
        raise TypeError(
            f"{name}={value!r} ({type(value).__name__}): a fill needs an exact Decimal, "
            "e.g. Decimal('0.01'); convert with aiswarm.types.to_decimal"
        )
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name}={value} is not a finite number above 0: a fill must be positive")
    return value


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One thing that happened to one order, as the kernel's ``apply`` consumes it.

    ``ts_ns`` is when it happened (the venue's time where the venue gives one), in nanoseconds
    since the Unix epoch. Fill events carry ``fill_quantity`` (base units, > 0), ``fill_price``
    (quote per base, > 0) and the venue's ``trade_id``, which deduplicates resent fills; other
    events must not carry them. ``venue_order_id`` is the venue's id for the order when the
    event tells us it; ``reason`` is the venue's or adapter's words for a reject, a cancel or a
    refused cancel. Build events with the named constructors (``OrderEvent.filled(...)``).
    """

    trigger: Trigger
    ts_ns: int
    fill_quantity: Decimal | None = None
    fill_price: Decimal | None = None
    trade_id: TradeId | None = None
    venue_order_id: VenueOrderId | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        """Refuse an event ``apply`` could not act on: a bad trigger, fill or timestamp."""
        trigger = self.trigger
        if trigger is _PARTIAL_FILL or trigger is _CANCEL_REJECT_PARTIAL:
            raise ValueError(
                f"trigger={self.trigger.name} is resolved by apply from the quantities, not sent "
                "in an event: send FILL for any fill and CANCEL_REJECT for any refused cancel"
            )
        if self.ts_ns < 0:
            raise ValueError(f"ts_ns={self.ts_ns} is negative: pass epoch nanoseconds (UTC)")
        if trigger is _FILL:
            _check_positive(self.fill_quantity, "fill_quantity")
            _check_positive(self.fill_price, "fill_price")
            if not self.trade_id:
                raise ValueError(
                    "a fill needs the venue's trade_id: it is how a resent fill is recognised "
                    "and not counted twice"
                )
        elif (
            self.fill_quantity is not None
            or self.fill_price is not None
            or self.trade_id is not None
        ):
            raise ValueError(
                f"trigger={self.trigger.name} carries fill_quantity={self.fill_quantity} "
                f"fill_price={self.fill_price} trade_id={self.trade_id!r}: only FILL events "
                "carry fill fields"
            )

    @classmethod
    def submitted(cls, ts_ns: int) -> OrderEvent:
        """Return the event for handing the order to the venue (record it before sending)."""
        return cls(Trigger.SUBMIT, ts_ns)

    @classmethod
    def accepted(cls, ts_ns: int, venue_order_id: VenueOrderId | None = None) -> OrderEvent:
        """Return the venue's acknowledgement, with its id for the order when it gave one."""
        return cls(Trigger.ACCEPT, ts_ns, venue_order_id=venue_order_id)

    @classmethod
    def rejected(cls, ts_ns: int, reason: str) -> OrderEvent:
        """Return a refusal of the order, with the venue's or adapter's reason."""
        return cls(Trigger.REJECT, ts_ns, reason=reason)

    @classmethod
    def filled(
        cls,
        ts_ns: int,
        quantity: Decimal,
        price: Decimal,
        trade_id: TradeId,
        venue_order_id: VenueOrderId | None = None,
    ) -> OrderEvent:
        """Return one fill of ``quantity`` at ``price``; ``apply`` decides partial or full."""
        return cls(
            Trigger.FILL,
            ts_ns,
            fill_quantity=quantity,
            fill_price=price,
            trade_id=trade_id,
            venue_order_id=venue_order_id,
        )

    @classmethod
    def cancel_requested(cls, ts_ns: int, reason: str | None = None) -> OrderEvent:
        """Return our request to cancel (e.g. reason ``"deadline"`` or ``"kill switch"``)."""
        return cls(Trigger.CANCEL_REQUEST, ts_ns, reason=reason)

    @classmethod
    def canceled(cls, ts_ns: int, reason: str | None = None) -> OrderEvent:
        """Return the venue's word that the order is canceled, asked for or not."""
        return cls(Trigger.CANCEL_ACK, ts_ns, reason=reason)

    @classmethod
    def cancel_rejected(cls, ts_ns: int, reason: str) -> OrderEvent:
        """Return the venue's refusal of our cancel, with its reason."""
        return cls(Trigger.CANCEL_REJECT, ts_ns, reason=reason)

    @classmethod
    def expired(cls, ts_ns: int, reason: str | None = None) -> OrderEvent:
        """Return the venue's word that the order ended by its time in force."""
        return cls(Trigger.EXPIRE, ts_ns, reason=reason)
