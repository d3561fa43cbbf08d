"""A stop order that triggered without a fill rests as triggered after a restart.

The journal holds fills, not triggers. A stop-limit whose stop was reached while its limit was
not would, restored naively, wait for its stop again and miss fills the uninterrupted venue
makes. ``judge_trigger`` replays the bars already matched through the venue's own rule.
"""

from __future__ import annotations

from decimal import Decimal

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.execution.venue import ExecutionReport, ReportKind
from aiswarm.types import Bar, ClientOrderId, OrderSpec, OrderType
from aiswarm.venues.paper_venue import PaperVenue
from aiswarm.venues.restored_book import RestoredOrder, judge_trigger
from kit.builders import SYMBOL, T0, VENUE, instrument, order_spec

CID = ClientOrderId("cid-1")


def bar(index: int, open_: str, high: str, low: str, close: str) -> Bar:
    """Return the one-minute BTC/USDT bar number ``index`` after T0."""
    return Bar(
        venue=VENUE,
        symbol=SYMBOL,
        ts_ns=to_ns(T0) + index * 60_000_000_000,
        interval_s=60,
        open=Decimal(open_),
        high=Decimal(high),
        low=Decimal(low),
        close=Decimal(close),
        volume=Decimal(1000),
    )


def fills(reports: list[ExecutionReport]) -> list[ExecutionReport]:
    return [report for report in reports if report.kind is ReportKind.FILL]


def _venue() -> PaperVenue:
    return PaperVenue(
        VENUE, {SYMBOL: instrument()}, SimulatedClock(T0), max_participation_frac=Decimal(1)
    )


def _stop_limit() -> OrderSpec:
    """A buy that triggers at 50500 and then rests as a limit at 50400."""
    return order_spec(
        order_type=OrderType.STOP_LIMIT, stop_price=Decimal("50500"), limit_price=Decimal("50400")
    )


TRIGGER = bar(1, "50450", "50700", "50450", "50650")  # reaches the stop, not the limit
BELOW_STOP = bar(2, "50450", "50480", "50300", "50350")  # reaches the limit, not the stop


async def _restored_after(shown: list[Bar]) -> RestoredOrder:
    """Submit the stop-limit to a venue, show it ``shown``, and read it back as a restart would."""
    venue = _venue()
    ack = await venue.submit(_stop_limit())
    for each in shown:
        venue.on_bar(each)
    seen = await venue.query(CID)
    assert seen is not None
    return RestoredOrder(seen.spec, ack, seen.status, seen.filled_quantity, ack.ts_ns)


async def test_restore_when_stop_reached_before_restart_then_fills_like_uninterrupted() -> None:
    # Arrange: the uninterrupted venue, and one restarted after the trigger bar
    uninterrupted = _venue()
    await uninterrupted.submit(_stop_limit())
    uninterrupted.on_bar(TRIGGER)
    order = await _restored_after([TRIGGER])
    restarted = _venue()
    restarted.restore([judge_trigger(order, [TRIGGER])], {}, order_count=1, trade_count=0)
    uninterrupted.drain_reports()

    # Act
    uninterrupted.on_bar(BELOW_STOP)
    restarted.on_bar(BELOW_STOP)

    # Assert
    expected = [(fill.price, fill.quantity) for fill in fills(uninterrupted.drain_reports())]
    assert expected == [(Decimal("50400"), Decimal("0.01"))]
    assert [(fill.price, fill.quantity) for fill in fills(restarted.drain_reports())] == expected


async def test_restore_when_trigger_not_judged_then_waits_for_the_stop_again() -> None:
    # Arrange: the same order restored without the bars it was matched against
    order = await _restored_after([TRIGGER])
    restarted = _venue()
    restarted.restore([order], {}, order_count=1, trade_count=0)

    # Act
    restarted.on_bar(BELOW_STOP)

    # Assert
    assert fills(restarted.drain_reports()) == []


async def test_judge_trigger_when_no_bar_reached_the_stop_then_unchanged() -> None:
    # Arrange
    order = await _restored_after([BELOW_STOP])

    # Act
    judged = judge_trigger(order, [BELOW_STOP])

    # Assert
    assert judged.triggered is False
    assert judge_trigger(order, [BELOW_STOP, TRIGGER]).triggered is True


async def test_judge_trigger_when_not_a_stop_then_unchanged() -> None:
    # Arrange: a plain limit buy at 50000 never "triggers"
    venue = _venue()
    ack = await venue.submit(order_spec())
    seen = await venue.query(CID)
    assert seen is not None
    order = RestoredOrder(seen.spec, ack, seen.status, seen.filled_quantity, ack.ts_ns)

    # Act / Assert
    assert judge_trigger(order, [TRIGGER]) is order
