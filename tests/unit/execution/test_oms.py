"""The OMS on its own: gates, idempotency, cancels, anomalies, shadow routing.

Journals here are an in-memory list that keeps appends in order: the store itself is tested
elsewhere, and these tests are about what the OMS records and refuses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiswarm.clock import SimulatedClock
from aiswarm.execution import OrderManager
from aiswarm.execution.venue import ExecutionReport, ReportKind
from aiswarm.types import (
    ClientOrderId,
    OrderStatus,
    OrderType,
    TradingState,
    VenueId,
    VenueOrderId,
)
from aiswarm.venues import PaperVenue, ShadowVenue
from kit.builders import SYMBOL, T0, VENUE, instrument, order_spec
from kit.oms import ListJournal, approve, bar, switch_in
from kit.oms import oms as build_oms


def _oms(
    venue: Any,
    clock: SimulatedClock,
    state: TradingState = TradingState.ACTIVE,
    on_fill: Any = None,
) -> tuple[OrderManager, ListJournal]:
    return build_oms(venue, clock, switch=switch_in(state), on_fill=on_fill)


_approve = approve
_bar = bar


async def test_submit_when_reducing_and_not_reduce_only_then_refused_and_recorded() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    oms, journal = _oms(venue, clock, TradingState.REDUCING)

    # Act
    result = await oms.submit(_approve(order_spec(), clock))

    # Assert
    assert result.code == "TRADING_REDUCING_ONLY"
    assert journal.types() == ["order.refused"]
    assert await venue.open_orders() == []


async def test_submit_when_spec_for_other_venue_then_refused() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = PaperVenue(VenueId("other"), {}, clock)
    oms, journal = _oms(venue, clock)

    # Act
    result = await oms.submit(_approve(order_spec(), clock))

    # Assert
    assert result.code == "WRONG_VENUE"
    assert journal.types() == ["order.refused"]


async def test_cancel_when_limit_rests_then_canceled_and_every_step_recorded() -> None:
    # Arrange: a buy limit far below the market rests
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    oms, journal = _oms(venue, clock)
    spec = order_spec(order_type=OrderType.LIMIT, limit_price=Decimal("40000"))
    await oms.submit(_approve(spec, clock))
    clock.advance(60)
    venue.on_bar(_bar(clock))
    await oms.process_reports()

    # Act
    asked = await oms.cancel(spec.client_order_id, "operator")

    # Assert
    assert asked
    assert oms.orders[spec.client_order_id].status is OrderStatus.CANCELED
    triggers = [p.get("trigger") for t, p in journal.events if t == "order.event"]
    assert triggers == ["accept", "cancel_request", "cancel_ack"]
    assert journal.types()[0] == "order.submitted"
    assert oms.activity.open_orders_count == 0


async def test_cancel_all_when_orders_rest_then_every_one_canceled() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    oms, _ = _oms(venue, clock)
    specs = [
        order_spec(
            client_order_id=ClientOrderId(f"c-{i}"),
            order_type=OrderType.LIMIT,
            limit_price=Decimal(40000 + i),
        )
        for i in range(3)
    ]
    for spec in specs:
        await oms.submit(_approve(spec, clock))
    await oms.process_reports()

    # Act
    asked = await oms.cancel_all("kill switch")

    # Assert
    assert asked == 3
    assert all(oms.orders[s.client_order_id].status is OrderStatus.CANCELED for s in specs)


class _UnsolicitedVenue(PaperVenue):
    """A paper venue that also reports a fill for an order we never sent."""

    def drain_reports(self) -> list[ExecutionReport]:
        stray = ExecutionReport(
            kind=ReportKind.CANCELED,
            venue=VENUE,
            ts_ns=0,
            client_order_id=ClientOrderId("not-ours"),
            venue_order_id=VenueOrderId("v-x"),
            symbol=SYMBOL,
        )
        return [*super().drain_reports(), stray]


async def test_reports_when_venue_reports_unknown_order_then_anomaly_recorded_not_applied() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = _UnsolicitedVenue(VENUE, {SYMBOL: instrument()}, clock)
    oms, journal = _oms(venue, clock)

    # Act
    await oms.process_reports()

    # Assert
    assert journal.types() == ["order.anomaly"]
    assert oms.orders == {}


async def test_submit_when_shadow_venue_then_recorded_accepted_never_filled() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = ShadowVenue(VENUE, clock)
    fills: list[object] = []
    oms, journal = _oms(venue, clock, on_fill=fills.append)
    spec = order_spec(order_type=OrderType.MARKET, limit_price=None)

    # Act
    result = await oms.submit(_approve(spec, clock))
    await oms.process_reports()

    # Assert
    assert result.accepted
    assert oms.orders[spec.client_order_id].status is OrderStatus.ACCEPTED
    assert [sent.spec for sent in venue.sent] == [spec]
    assert fills == []
    assert journal.types()[0] == "order.submitted"


async def test_deadline_when_resting_limit_outlives_ttl_then_cancelled_and_recorded() -> None:
    # Arrange: a buy limit far below the market, with a 5-minute time to live
    clock = SimulatedClock(T0)
    venue = PaperVenue(VENUE, {SYMBOL: instrument()}, clock)
    oms, journal = build_oms(venue, clock, order_ttl_s=300)
    spec = order_spec(order_type=OrderType.LIMIT, limit_price=Decimal("40000"))
    await oms.submit(_approve(spec, clock))

    # Act: four minutes -> still working; six minutes -> past its deadline
    clock.advance(240)
    venue.on_bar(_bar(clock))
    await oms.process_reports()
    working = oms.orders[spec.client_order_id].status
    clock.advance(120)
    venue.on_bar(_bar(clock))
    await oms.process_reports()

    # Assert
    assert working is OrderStatus.ACCEPTED
    assert oms.orders[spec.client_order_id].status is OrderStatus.CANCELED
    reasons = [p.get("reason") for t, p in journal.events if t == "order.event"]
    assert "deadline passed: order_ttl_s elapsed" in reasons
