"""SimulatedBook: the order table, acks and refusals the paper and shadow venues share."""

from __future__ import annotations

from decimal import Decimal

from aiswarm.execution.venue import RejectCode, ReportKind, VenueAck
from aiswarm.types import ClientOrderId, OrderSpec, OrderStatus, VenueId, VenueOrderId
from aiswarm.venues.restored_book import RestoredOrder
from aiswarm.venues.simulated_book import BookOrder, Refusal, SimulatedBook
from kit.builders import VENUE, order_spec

NOW = 1_000


class _Venue:
    """Stands in for the venue composing the book: records what the book tells it."""

    def __init__(self, refusal: Refusal | None = None) -> None:
        self.accepted: list[BookOrder] = []
        self.cancels: list[tuple[BookOrder, int]] = []
        self.refusal = refusal
        self.book = SimulatedBook(
            VENUE,
            "v-",
            on_accept=self.accepted.append,
            on_cancel=lambda order, now: self.cancels.append((order, now)),
            refuse=lambda spec: self.refusal,
            delay_ns=7,
        )


def _spec(cid: str = "a", **overrides: object) -> OrderSpec:
    return order_spec(client_order_id=ClientOrderId(cid), **overrides)


def test_submit_when_accepted_then_numbered_ack_report_and_venue_told() -> None:
    # Arrange
    venue = _Venue()

    # Act
    first = venue.book.submit(_spec("a"), NOW)
    second = venue.book.submit(_spec("b"), NOW + 1)

    # Assert
    assert (first.accepted, first.venue_order_id) == (True, "v-1")
    assert second.venue_order_id == "v-2"
    assert [order.spec.client_order_id for order in venue.accepted] == ["a", "b"]
    assert venue.accepted[0].eligible_ns == NOW + 7
    reports = venue.book.drain()
    assert [(r.kind, r.client_order_id, r.venue_order_id) for r in reports] == [
        (ReportKind.ACCEPTED, "a", "v-1"),
        (ReportKind.ACCEPTED, "b", "v-2"),
    ]


def test_submit_when_same_spec_again_then_first_ack_and_nothing_created() -> None:
    # Arrange
    venue = _Venue()
    first = venue.book.submit(_spec(), NOW)
    venue.book.drain()

    # Act
    again = venue.book.submit(_spec(), NOW + 5)

    # Assert
    assert again is first
    assert venue.book.drain() == []
    assert len(venue.accepted) == 1
    assert venue.book.submit(_spec("b"), NOW).venue_order_id == "v-2"


def test_submit_when_used_id_with_other_spec_then_refused_without_report() -> None:
    # Arrange
    venue = _Venue()
    venue.book.submit(_spec(), NOW)
    venue.book.drain()

    # Act
    altered = venue.book.submit(_spec(quantity=Decimal("5")), NOW + 5)

    # Assert
    assert (altered.accepted, altered.code) == (False, RejectCode.DUPLICATE_CLIENT_ORDER_ID)
    assert altered.ts_ns == NOW + 5
    assert venue.book.drain() == []
    first = venue.book.query(ClientOrderId("a"))
    assert first is not None
    assert (first.spec.quantity, first.status) == (Decimal("0.01"), OrderStatus.ACCEPTED)


def test_submit_when_other_venue_then_refused_remembered_and_not_numbered() -> None:
    # Arrange: the venue's own rules are not asked about another venue's order.
    venue = _Venue(refusal=(RejectCode.UNKNOWN_SYMBOL, "never asked"))
    spec = _spec("x", venue=VenueId("elsewhere"))

    # Act
    ack = venue.book.submit(spec, NOW)
    again = venue.book.submit(spec, NOW + 5)
    reports = venue.book.drain()

    # Assert
    assert (ack.accepted, ack.code, ack.venue_order_id) == (False, RejectCode.WRONG_VENUE, None)
    assert again is ack
    assert [(r.kind, r.code) for r in reports] == [(ReportKind.REJECTED, RejectCode.WRONG_VENUE)]
    assert venue.accepted == []
    refused = venue.book.query(ClientOrderId("x"))
    assert refused is not None
    assert refused.status is OrderStatus.REJECTED
    assert venue.book.open_orders() == []
    venue.refusal = None
    assert venue.book.submit(_spec("y"), NOW).venue_order_id == "v-1"


def test_submit_when_venue_refuses_then_its_code_and_reason_are_passed_on() -> None:
    # Arrange
    venue = _Venue(refusal=(RejectCode.OFF_TICK, "limit off the tick"))

    # Act
    ack = venue.book.submit(_spec(), NOW)

    # Assert
    assert (ack.accepted, ack.code, ack.reason) == (
        False,
        RejectCode.OFF_TICK,
        "limit off the tick",
    )
    (report,) = venue.book.drain()
    assert (report.kind, report.code, report.reason) == (
        ReportKind.REJECTED,
        RejectCode.OFF_TICK,
        "limit off the tick",
    )


def test_cancel_when_id_unknown_or_never_accepted_then_unknown_order_and_no_report() -> None:
    # Arrange
    venue = _Venue()
    venue.book.submit(_spec("x", venue=VenueId("elsewhere")), NOW)
    venue.book.drain()

    # Act
    unknown = venue.book.cancel(ClientOrderId("nope"), NOW)
    rejected = venue.book.cancel(ClientOrderId("x"), NOW)

    # Assert
    for ack in (unknown, rejected):
        assert (ack.accepted, ack.code) == (False, RejectCode.UNKNOWN_ORDER)
    assert venue.cancels == []
    assert venue.book.drain() == []


def test_cancel_when_open_then_venue_told_and_acked() -> None:
    # Arrange
    venue = _Venue()
    venue.book.submit(_spec(), NOW)

    # Act
    ack = venue.book.cancel(ClientOrderId("a"), NOW + 3)

    # Assert
    assert ack == VenueAck(
        client_order_id=ClientOrderId("a"),
        accepted=True,
        ts_ns=NOW + 3,
        venue_order_id=VenueOrderId("v-1"),
    )
    assert [(order.spec.client_order_id, at) for order, at in venue.cancels] == [("a", NOW + 3)]


def test_cancel_when_closed_then_refused_and_only_a_filled_order_reported() -> None:
    # Arrange: one order canceled, one filled, as a venue would close them.
    venue = _Venue()
    venue.book.submit(_spec("c"), NOW)
    venue.book.submit(_spec("f"), NOW)
    canceled, filled = venue.accepted
    venue.book.close(canceled, OrderStatus.CANCELED, NOW + 1, None, "canceled")
    filled.status = OrderStatus.FILLED
    venue.book.drain()

    # Act
    again = venue.book.cancel(ClientOrderId("c"), NOW + 2)
    too_late = venue.book.cancel(ClientOrderId("f"), NOW + 2)
    reports = venue.book.drain()

    # Assert
    for ack in (again, too_late):
        assert (ack.accepted, ack.code) == (False, RejectCode.ORDER_CLOSED)
    assert again.reason == "order is canceled; nothing left to cancel"
    assert [(r.kind, r.client_order_id, r.code) for r in reports] == [
        (ReportKind.CANCEL_REJECTED, "f", RejectCode.ORDER_CLOSED)
    ]
    assert venue.cancels == []


def test_restore_when_orders_handed_back_then_queried_open_and_numbering_goes_on() -> None:
    # Arrange: ids v-1..v-5 were handed out before the restart; v-4 is still working.
    venue = _Venue()
    spec = _spec("r")
    ack = VenueAck(
        client_order_id=spec.client_order_id,
        accepted=True,
        ts_ns=NOW,
        venue_order_id=VenueOrderId("v-4"),
    )
    working = RestoredOrder(spec, ack, OrderStatus.PARTIALLY_FILLED, Decimal("0.004"), NOW + 9)

    # Act
    records = venue.book.restore([working], order_count=5)
    queried = venue.book.query(ClientOrderId("r"))
    repeat = venue.book.submit(spec, NOW + 20)
    fresh = venue.book.submit(_spec("n"), NOW + 20)

    # Assert
    assert [record.spec for record in records] == [spec]
    assert queried is not None
    assert (queried.venue_order_id, queried.status, queried.filled_quantity, queried.ts_ns) == (
        "v-4",
        OrderStatus.PARTIALLY_FILLED,
        Decimal("0.004"),
        NOW + 9,
    )
    assert repeat is ack
    assert fresh.venue_order_id == "v-6"
    assert [order.client_order_id for order in venue.book.open_orders()] == ["r", "n"]
    assert [order.spec.client_order_id for order in venue.accepted] == ["n"]
    assert [r.client_order_id for r in venue.book.drain()] == ["n"]


def test_drain_when_venue_holds_the_stream_then_emptied_in_place() -> None:
    # Arrange: a venue appends its own reports (fills) to the list it holds.
    venue = _Venue()
    held = venue.book.reports
    venue.book.submit(_spec(), NOW)

    # Act
    drained = venue.book.drain()
    held.append(drained[0])
    venue.book.submit(_spec("b"), NOW)
    later = venue.book.drain()

    # Assert
    assert [r.client_order_id for r in drained] == ["a"]
    assert [r.client_order_id for r in later] == ["a", "b"]
    assert held is venue.book.reports
    assert held == []
