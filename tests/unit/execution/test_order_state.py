"""The order state table: every row walked, every other pair refused, venue quirks by name."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest

from aiswarm.errors import InvalidTransition
from aiswarm.execution.order_events import EVENT_TRIGGERS, OrderEvent, Trigger
from aiswarm.execution.order_state import (
    TRANSITIONS,
    OrderState,
    OverfillError,
    apply,
    new_order,
    next_status,
)
from aiswarm.types import OrderStatus, TradeId, VenueOrderId
from kit.builders import order_spec

QUANTITY = Decimal("0.01")
PART = Decimal("0.0025")
PRICE = Decimal("50000")
VENUE_ID = VenueOrderId("v-1")

_ids = itertools.count(1)


def _trade_id() -> TradeId:
    """Return a trade id no other fill in this module uses."""
    return TradeId(f"t-{next(_ids)}")


def _fill(quantity: Decimal, price: Decimal = PRICE, trade_id: str | None = None) -> OrderEvent:
    """Return a fill event at ts 2 with a fresh trade id unless one is given."""
    return OrderEvent.filled(2, quantity, price, TradeId(trade_id) if trade_id else _trade_id())


def _run(*events: OrderEvent) -> OrderState:
    """Return a new 0.01 BTC order after applying ``events`` in turn."""
    state = new_order(order_spec(quantity=QUANTITY), 0)
    for event in events:
        state = apply(state, event)
    return state


# Event paths from PENDING to each status; "partial" variants carry one fill of PART.
_SUBMIT = OrderEvent.submitted(1)
_ACCEPT = OrderEvent.accepted(1, VENUE_ID)
_CANCEL = OrderEvent.cancel_requested(3, "test")


def _state(status: OrderStatus, filled: Decimal = Decimal(0)) -> OrderState:
    """Return an order reached by real events in ``status`` with ``filled`` quantity filled."""
    fills = [_fill(filled)] if filled else []
    paths: dict[OrderStatus, list[OrderEvent]] = {
        OrderStatus.PENDING: [],
        OrderStatus.SUBMITTED: [_SUBMIT],
        OrderStatus.ACCEPTED: [_SUBMIT, _ACCEPT],
        OrderStatus.PARTIALLY_FILLED: [_SUBMIT, _ACCEPT, *fills],
        OrderStatus.PENDING_CANCEL: [_SUBMIT, _ACCEPT, *fills, _CANCEL],
        OrderStatus.FILLED: [_SUBMIT, _ACCEPT, *fills],
        OrderStatus.CANCELED: [_SUBMIT, _ACCEPT, *fills, _CANCEL, OrderEvent.canceled(4)],
        OrderStatus.REJECTED: [_SUBMIT, OrderEvent.rejected(2, "insufficient balance")],
        OrderStatus.EXPIRED: [_SUBMIT, _ACCEPT, *fills, OrderEvent.expired(4)],
    }
    state = _run(*paths[status])
    assert state.status is status
    assert state.filled_quantity == filled
    return state


def _filled_for(status: OrderStatus, trigger: Trigger) -> Decimal:
    """Return how much must already be filled for ``trigger`` to arise in ``status``."""
    if status is OrderStatus.FILLED:
        return QUANTITY
    if status is OrderStatus.PARTIALLY_FILLED or trigger is Trigger.CANCEL_REJECT_PARTIAL:
        return PART
    return Decimal(0)


def _event_for(trigger: Trigger, state: OrderState) -> OrderEvent:
    """Return the event ``apply`` resolves to ``trigger`` for an order in ``state``."""
    events = {
        Trigger.SUBMIT: OrderEvent.submitted(5),
        Trigger.ACCEPT: OrderEvent.accepted(5, VENUE_ID),
        Trigger.REJECT: OrderEvent.rejected(5, "post-only would cross"),
        Trigger.PARTIAL_FILL: _fill(PART),
        Trigger.FILL: _fill(state.remaining_quantity or PART),
        Trigger.CANCEL_REQUEST: OrderEvent.cancel_requested(5),
        Trigger.CANCEL_ACK: OrderEvent.canceled(5),
        Trigger.CANCEL_REJECT: OrderEvent.cancel_rejected(5, "too late to cancel"),
        Trigger.CANCEL_REJECT_PARTIAL: OrderEvent.cancel_rejected(5, "too late to cancel"),
        Trigger.EXPIRE: OrderEvent.expired(5),
    }
    return events[trigger]


@pytest.mark.parametrize(
    ("status", "trigger", "target"),
    [(status, trigger, target) for (status, trigger), target in TRANSITIONS.items()],
    ids=[f"{status.name}-{trigger.name}" for status, trigger in TRANSITIONS],
)
def test_every_table_row_when_applied_then_reaches_its_target(
    status: OrderStatus, trigger: Trigger, target: OrderStatus
) -> None:
    # Arrange
    state = _state(status, _filled_for(status, trigger))
    event = _event_for(trigger, state)

    # Act
    result = apply(state, event)

    # Assert
    assert result.status is target
    assert result.filled_quantity >= state.filled_quantity


_MISSING = [
    (status, trigger)
    for status in OrderStatus
    for trigger in Trigger
    if (status, trigger) not in TRANSITIONS
]


@pytest.mark.parametrize(
    ("status", "trigger"),
    _MISSING,
    ids=[f"{status.name}-{trigger.name}" for status, trigger in _MISSING],
)
def test_every_pair_not_in_table_when_looked_up_then_invalid_transition_names_it(
    status: OrderStatus, trigger: Trigger
) -> None:
    # Act / Assert
    with pytest.raises(InvalidTransition, match=f"^{status.name} -> {trigger.name}:"):
        next_status(status, trigger)


# Every status the table can hold, with and without a partial fill where that can exist.
_VARIANTS = [
    (OrderStatus.PENDING, Decimal(0)),
    (OrderStatus.SUBMITTED, Decimal(0)),
    (OrderStatus.ACCEPTED, Decimal(0)),
    (OrderStatus.PARTIALLY_FILLED, PART),
    (OrderStatus.PENDING_CANCEL, Decimal(0)),
    (OrderStatus.PENDING_CANCEL, PART),
    (OrderStatus.FILLED, QUANTITY),
    (OrderStatus.CANCELED, Decimal(0)),
    (OrderStatus.CANCELED, PART),
    (OrderStatus.REJECTED, Decimal(0)),
    (OrderStatus.EXPIRED, Decimal(0)),
    (OrderStatus.EXPIRED, PART),
]
_EVENT_KINDS = [
    "submit",
    "accept",
    "reject",
    "fill_part",
    "fill_rest",
    "cancel",
    "cancel_ack",
    "cancel_reject",
    "expire",
]


def _expected_trigger(kind: str, state: OrderState) -> tuple[OrderEvent, Trigger]:
    """Return an event of ``kind`` and the trigger the spec says it is for ``state``."""
    if kind in ("fill_part", "fill_rest"):
        quantity = state.remaining_quantity if kind == "fill_rest" else PART
        quantity = quantity or PART
        completes = state.filled_quantity + quantity >= QUANTITY
        return _fill(quantity), Trigger.FILL if completes else Trigger.PARTIAL_FILL
    if kind == "cancel_reject":
        partly = Decimal(0) < state.filled_quantity < QUANTITY
        trigger = Trigger.CANCEL_REJECT_PARTIAL if partly else Trigger.CANCEL_REJECT
        return OrderEvent.cancel_rejected(5, "too late"), trigger
    simple = {
        "submit": (OrderEvent.submitted(5), Trigger.SUBMIT),
        "accept": (OrderEvent.accepted(5), Trigger.ACCEPT),
        "reject": (OrderEvent.rejected(5, "no"), Trigger.REJECT),
        "cancel": (OrderEvent.cancel_requested(5), Trigger.CANCEL_REQUEST),
        "cancel_ack": (OrderEvent.canceled(5), Trigger.CANCEL_ACK),
        "expire": (OrderEvent.expired(5), Trigger.EXPIRE),
    }
    return simple[kind]


@pytest.mark.parametrize(("status", "filled"), _VARIANTS, ids=lambda v: str(v))
@pytest.mark.parametrize("kind", _EVENT_KINDS)
def test_any_event_on_any_order_when_applied_then_table_decides_or_refused_unchanged(
    status: OrderStatus, filled: Decimal, kind: str
) -> None:
    # Arrange
    state = _state(status, filled)
    event, trigger = _expected_trigger(kind, state)
    target = TRANSITIONS.get((status, trigger))

    # Act / Assert
    if target is None:
        with pytest.raises(InvalidTransition, match=f"^{status.name} -> {trigger.name}:"):
            apply(state, event)
        assert state.status is status
        assert state.filled_quantity == filled
    else:
        assert apply(state, event).status is target


def test_terminal_statuses_when_table_read_then_only_rows_that_stay_put() -> None:
    # Act
    leaving = [
        (status, trigger, target)
        for (status, trigger), target in TRANSITIONS.items()
        if status.is_terminal and target is not status
    ]

    # Assert
    assert leaving == []


def test_event_triggers_when_listed_then_exclude_the_two_apply_resolves() -> None:
    # Assert
    assert set(Trigger) - EVENT_TRIGGERS == {Trigger.PARTIAL_FILL, Trigger.CANCEL_REJECT_PARTIAL}


def test_new_order_when_built_then_pending_with_nothing_filled() -> None:
    # Arrange
    spec = order_spec()

    # Act
    state = new_order(spec, 7)

    # Assert
    assert state.status is OrderStatus.PENDING
    assert state.filled_quantity == 0
    assert state.remaining_quantity == spec.quantity
    assert state.average_fill_price is None
    assert state.trade_ids == frozenset()
    assert state.last_ts_ns == 7
    assert state.client_order_id == spec.client_order_id
    assert not state.is_terminal


def test_filled_before_cancel_request_when_canceled_then_cancel_refused() -> None:
    # Arrange
    state = _state(OrderStatus.FILLED, QUANTITY)

    # Act / Assert
    with pytest.raises(InvalidTransition, match=r"^FILLED -> CANCEL_REQUEST:"):
        apply(state, OrderEvent.cancel_requested(9))


def test_fill_before_ack_when_venue_fills_submitted_order_then_partially_filled() -> None:
    # Act
    state = _run(_SUBMIT, _fill(PART))

    # Assert
    assert state.status is OrderStatus.PARTIALLY_FILLED
    assert state.filled_quantity == PART


def test_fill_before_ack_when_whole_order_fills_then_filled_and_late_ack_ignored() -> None:
    # Arrange
    state = _run(_SUBMIT, _fill(QUANTITY))

    # Act
    late = apply(state, OrderEvent.accepted(9, VENUE_ID))

    # Assert
    assert state.status is OrderStatus.FILLED
    assert late.status is OrderStatus.FILLED
    assert late.filled_quantity == QUANTITY
    assert late.venue_order_id == VENUE_ID


def test_late_ack_when_order_already_partly_filled_then_stays_partially_filled() -> None:
    # Act
    state = _run(_SUBMIT, _fill(PART), OrderEvent.accepted(9, VENUE_ID))

    # Assert
    assert state.status is OrderStatus.PARTIALLY_FILLED
    assert state.venue_order_id == VENUE_ID


def test_fill_after_cancel_request_when_partial_then_cancel_still_pending() -> None:
    # Act
    state = _run(_SUBMIT, _ACCEPT, _CANCEL, _fill(PART))

    # Assert
    assert state.status is OrderStatus.PENDING_CANCEL
    assert state.filled_quantity == PART


def test_fill_after_cancel_request_when_rest_fills_then_filled_and_cancel_reject_ignored() -> None:
    # Arrange
    state = _run(_SUBMIT, _ACCEPT, _CANCEL, _fill(QUANTITY))

    # Act
    after_reject = apply(state, OrderEvent.cancel_rejected(9, "order already filled"))

    # Assert
    assert state.status is OrderStatus.FILLED
    assert after_reject.status is OrderStatus.FILLED


def test_cancel_ack_when_order_partly_filled_then_canceled_with_filled_part_kept() -> None:
    # Act
    state = _run(_SUBMIT, _ACCEPT, _fill(PART), _CANCEL, OrderEvent.canceled(9))

    # Assert
    assert state.status is OrderStatus.CANCELED
    assert state.filled_quantity == PART
    assert state.average_fill_price == PRICE


def test_unsolicited_cancel_when_ioc_remainder_canceled_then_canceled() -> None:
    # Act
    state = _run(_SUBMIT, _fill(PART), OrderEvent.canceled(9, "ioc remainder"))

    # Assert
    assert state.status is OrderStatus.CANCELED
    assert state.filled_quantity == PART


def test_cancel_reject_when_nothing_filled_then_back_to_accepted() -> None:
    # Act
    state = _run(_SUBMIT, _ACCEPT, _CANCEL, OrderEvent.cancel_rejected(9, "unknown order"))

    # Assert
    assert state.status is OrderStatus.ACCEPTED


def test_cancel_reject_when_part_filled_then_back_to_partially_filled() -> None:
    # Act
    state = _run(_SUBMIT, _ACCEPT, _fill(PART), _CANCEL, OrderEvent.cancel_rejected(9, "busy"))

    # Assert
    assert state.status is OrderStatus.PARTIALLY_FILLED
    assert state.filled_quantity == PART


def test_duplicate_cancel_ack_when_order_canceled_then_ignored() -> None:
    # Act
    state = _run(_SUBMIT, _ACCEPT, _CANCEL, OrderEvent.canceled(8), OrderEvent.canceled(9))

    # Assert
    assert state.status is OrderStatus.CANCELED


@pytest.mark.parametrize("source", [OrderStatus.ACCEPTED, OrderStatus.PENDING_CANCEL])
def test_expire_when_order_working_then_expired(source: OrderStatus) -> None:
    # Arrange
    state = _state(source)

    # Act
    result = apply(state, OrderEvent.expired(9))

    # Assert
    assert result.status is OrderStatus.EXPIRED


def test_expire_when_part_filled_then_expired_with_filled_part_kept() -> None:
    # Act
    state = _run(_SUBMIT, _ACCEPT, _fill(PART), OrderEvent.expired(9))

    # Assert
    assert state.status is OrderStatus.EXPIRED
    assert state.filled_quantity == PART


@pytest.mark.parametrize("source", [OrderStatus.PENDING, OrderStatus.SUBMITTED])
def test_reject_when_not_yet_acknowledged_then_rejected_with_reason(source: OrderStatus) -> None:
    # Arrange
    state = _state(source)

    # Act
    result = apply(state, OrderEvent.rejected(9, "insufficient margin"))

    # Assert
    assert result.status is OrderStatus.REJECTED
    assert result.reject_reason == "insufficient margin"
    assert result.is_terminal


def test_cancel_when_never_sent_then_withdrawn_at_once() -> None:
    # Act
    state = _run(OrderEvent.cancel_requested(1, "kill switch"))

    # Assert
    assert state.status is OrderStatus.CANCELED


def test_cancel_when_not_yet_acknowledged_then_refused() -> None:
    # Arrange
    state = _state(OrderStatus.SUBMITTED)

    # Act / Assert
    with pytest.raises(InvalidTransition, match=r"^SUBMITTED -> CANCEL_REQUEST:"):
        apply(state, OrderEvent.cancel_requested(9))


def test_duplicate_trade_id_when_fill_resent_then_same_state_returned() -> None:
    # Arrange
    state = _run(_SUBMIT, _ACCEPT, _fill(PART, trade_id="t-dup"))

    # Act
    again = apply(state, _fill(PART, trade_id="t-dup"))

    # Assert
    assert again is state
    assert again.filled_quantity == PART


def test_duplicate_trade_id_when_order_already_filled_then_ignored_not_refused() -> None:
    # Arrange
    state = _run(_SUBMIT, _ACCEPT, _fill(QUANTITY, trade_id="t-last"))

    # Act
    again = apply(state, _fill(QUANTITY, trade_id="t-last"))

    # Assert
    assert again is state


def test_overfill_when_fill_exceeds_remaining_then_refused_naming_quantities() -> None:
    # Arrange
    state = _run(_SUBMIT, _ACCEPT, _fill(PART))

    # Act / Assert
    with pytest.raises(OverfillError, match=r"filled=0\.0125, above its quantity=0\.01"):
        apply(state, _fill(QUANTITY))


def test_overfill_error_when_caught_then_is_an_invalid_transition() -> None:
    # Assert
    assert issubclass(OverfillError, InvalidTransition)


def test_average_fill_price_when_several_fills_then_exact_quantity_weighted() -> None:
    # Act
    state = _run(
        _SUBMIT,
        _ACCEPT,
        _fill(Decimal("0.003"), Decimal("50000.10")),
        _fill(Decimal("0.007"), Decimal("49999.90")),
    )

    # Assert
    assert state.filled_notional == Decimal("0.003") * Decimal("50000.10") + Decimal(
        "0.007"
    ) * Decimal("49999.90")
    assert state.average_fill_price == Decimal("49999.96")
    assert state.status is OrderStatus.FILLED


def test_average_fill_price_when_quotient_repeats_then_rounded_to_28_digits() -> None:
    # Act
    state = _run(
        _SUBMIT, _fill(Decimal("0.001"), Decimal("1")), _fill(Decimal("0.002"), Decimal("2"))
    )

    # Assert
    assert state.average_fill_price == Decimal("1.666666666666666666666666667")


def test_venue_order_id_when_event_names_another_then_refused() -> None:
    # Arrange
    state = _state(OrderStatus.ACCEPTED)
    stray = OrderEvent.filled(9, PART, PRICE, _trade_id(), VenueOrderId("v-other"))

    # Act / Assert
    with pytest.raises(InvalidTransition, match="venue_order_id='v-1' but the event names"):
        apply(state, stray)


def test_last_ts_when_late_event_is_older_then_never_goes_back() -> None:
    # Arrange
    state = _run(_SUBMIT, OrderEvent.filled(50, PART, PRICE, _trade_id()))

    # Act
    late = apply(state, OrderEvent.accepted(10, VENUE_ID))

    # Assert
    assert late.last_ts_ns == 50


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: OrderEvent(Trigger.PARTIAL_FILL, 1), "resolved by apply"),
        (lambda: OrderEvent(Trigger.CANCEL_REJECT_PARTIAL, 1), "resolved by apply"),
        (lambda: OrderEvent.filled(1, Decimal(0), PRICE, TradeId("t")), "fill_quantity=0"),
        (lambda: OrderEvent.filled(1, PART, Decimal("-1"), TradeId("t")), "fill_price=-1"),
        (lambda: OrderEvent.filled(1, PART, PRICE, TradeId("")), "needs the venue's trade_id"),
        (lambda: OrderEvent.filled(1, Decimal("NaN"), PRICE, TradeId("t")), "not a finite"),
        (lambda: OrderEvent(Trigger.ACCEPT, 1, fill_quantity=PART), "only FILL events"),
        (lambda: OrderEvent.submitted(-1), "ts_ns=-1 is negative"),
    ],
)
def test_order_event_when_malformed_then_refused_with_reason(
    build: Callable[[], OrderEvent], message: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=message):
        build()


def test_order_event_when_fill_quantity_is_float_then_type_error() -> None:
    # Act / Assert
    with pytest.raises(TypeError, match="exact Decimal"):
        OrderEvent.filled(1, 0.01, PRICE, TradeId("t"))  # type: ignore[arg-type]
