"""Faults through the real ccxt client against the fake Binance: timeouts, 5xx, 429, lost
answers, duplicate submits and trade history that arrives late or out of order."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.errors import TransientVenueError, VenueOutcomeUnknown, VenueRateLimited
from aiswarm.execution.venue import RejectCode, ReportKind
from aiswarm.execution.venue_retry import RetryPolicy, backoff_s
from aiswarm.types import ClientOrderId, OrderSpec, OrderStatus
from aiswarm.venues.ccxt_venue import CcxtVenue
from fakes.binance_fake import FakeBinance, Fault
from kit.binance_venue import fake_settings
from kit.builders import T0, order_spec

pytestmark = pytest.mark.integration

ORDER = ("POST", "/api/v3/order")
LOOKUP = ("GET", "/api/v3/order")


def _spec(cid: str) -> OrderSpec:
    return order_spec(client_order_id=ClientOrderId(cid), limit_price=Decimal("50000"))


async def test_submit_timeout_after_the_venue_took_it_leaves_exactly_one_order(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    fake_binance.fault(*ORDER, Fault("timeout", delay_s=1.0))

    ack = await binance_venue.submit(_spec("ais-to-1"))

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-to-1")) == 1
    assert fake_binance.requests.count(ORDER) == 1  # found by client order id, not resent
    assert [r.kind for r in binance_venue.drain_reports()] == [ReportKind.ACCEPTED]


async def test_submit_answer_lost_before_the_venue_saw_it_is_sent_again_once(
    fake_binance: FakeBinance,
) -> None:
    # Unanswered: not sent again within the request window (it may still be in flight);
    # after it, a lookup that finds nothing lets the next pass send it once more.
    passed = [0.0]
    settings = fake_settings(fake_binance, request_window_ms=200, in_flight_margin_ms=0)
    binance_venue = CcxtVenue(settings, SimulatedClock(T0), lambda: passed[0])
    await binance_venue.connect()
    fake_binance.fault(*ORDER, Fault("lost", delay_s=1.0))
    try:
        with pytest.raises(VenueOutcomeUnknown):
            await binance_venue.submit(_spec("ais-lost-1"))
        passed[0] = 0.2
        ack = await binance_venue.submit(_spec("ais-lost-1"))
    finally:
        await binance_venue.close()

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-lost-1")) == 1
    assert fake_binance.requests.count(ORDER) == 2
    assert fake_binance.requests.index(LOOKUP) < len(fake_binance.requests) - 1


async def test_duplicate_submit_after_a_timeout_leaves_exactly_one_order(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    # The order arrives but its answer is lost, and every lookup fails for a while: the
    # first submit gives up (the OMS will send it again); the second finds it.
    fake_binance.fault(*ORDER, Fault("timeout", delay_s=1.0))
    fake_binance.fault(*LOOKUP, *[Fault("5xx")] * 16)
    with pytest.raises(TransientVenueError):
        await binance_venue.submit(_spec("ais-dup-1"))
    fake_binance.faults.clear()

    ack = await binance_venue.submit(_spec("ais-dup-1"))

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-dup-1")) == 1
    assert fake_binance.requests.count(ORDER) == 1


async def test_venue_holding_the_id_answers_duplicate_then_its_order_is_taken(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    # A restart lost our memory of the order; the venue refuses the id as a duplicate.
    other = CcxtVenue(fake_settings(fake_binance), SimulatedClock(T0))
    await other.connect()
    try:
        await other.submit(_spec("ais-known-1"))
    finally:
        await other.close()

    ack = await binance_venue.submit(_spec("ais-known-1"))

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-known-1")) == 1


async def test_5xx_on_submit_is_retried_after_a_lookup(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    fake_binance.fault(*ORDER, Fault("5xx"))

    ack = await binance_venue.submit(_spec("ais-5xx-1"))

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-5xx-1")) == 1


async def test_5xx_on_a_query_is_retried(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_spec("ais-q-1"))
    fake_binance.fault(*LOOKUP, Fault("5xx"), Fault("5xx"))

    seen = await binance_venue.query(ClientOrderId("ais-q-1"))

    assert seen is not None
    assert seen.status is OrderStatus.ACCEPTED


async def test_429_with_retry_after_is_retried_and_places_one_order(
    fake_binance: FakeBinance,
) -> None:
    patient = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=2.0)
    venue = CcxtVenue(fake_settings(fake_binance, retry=patient), SimulatedClock(T0))
    await venue.connect()
    fake_binance.fault(*ORDER, Fault("429", retry_after_s=1))
    try:
        ack = await venue.submit(_spec("ais-429-1"))
    finally:
        await venue.close()

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-429-1")) == 1
    assert fake_binance.requests.count(ORDER) == 2


async def test_persistent_429_on_a_query_raises_rate_limited(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_spec("ais-429-2"))
    fake_binance.fault(*LOOKUP, *[Fault("429", retry_after_s=0)] * 4)

    with pytest.raises(VenueRateLimited):
        await binance_venue.query(ClientOrderId("ais-429-2"))


def test_backoff_waits_at_least_retry_after() -> None:
    policy = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)
    limited = VenueRateLimited("429", retry_after_s=2.0)

    waits = [backoff_s(policy, n, random.Random(1), limited) for n in (1, 2, 3)]
    plain = [backoff_s(policy, n, random.Random(1), None) for n in (1, 2, 3)]

    assert min(waits) >= 2.0
    assert all(0.005 <= wait <= 0.05 for wait in plain)


async def test_trades_listed_late_and_reversed_are_reported_once_in_trade_order(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    await binance_venue.submit(_spec("ais-ooo-1"))
    binance_venue.drain_reports()
    fake_binance.reverse_trades = True
    first = fake_binance.fill("ais-ooo-1", "0.003")
    second = fake_binance.fill("ais-ooo-1", "0.002")
    fake_binance.trades_hidden.add(second)  # the venue's trade history lags its order
    await binance_venue.cancel(ClientOrderId("ais-ooo-1"))
    early = binance_venue.drain_reports()

    fake_binance.trades_hidden.clear()
    await binance_venue.poll()
    late = binance_venue.drain_reports()
    await binance_venue.poll()

    assert [(r.kind, r.trade_id) for r in early] == [(ReportKind.FILL, f"binance-{first}")]
    assert [(r.kind, r.quantity, r.leaves_quantity) for r in late] == [
        (ReportKind.FILL, Decimal("0.002"), Decimal("0.005")),
        (ReportKind.CANCELED, None, None),
    ]
    assert binance_venue.drain_reports() == []


async def test_fake_refuses_a_bad_signature(
    fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIS_VENUE_FAKEBINANCE_API_SECRET", "not-the-secret-" + "x" * 40)
    venue = CcxtVenue(fake_settings(fake_binance), SimulatedClock(T0))
    await venue.connect()
    try:
        ack = await venue.submit(_spec("ais-sig-1"))
    finally:
        await venue.close()

    assert ack.code is RejectCode.VENUE_ERROR
    assert "Signature" in ack.reason
    assert fake_binance.by_client_id("ais-sig-1") == []


async def test_429_asking_longer_than_the_largest_backoff_gives_up_at_once(
    binance_venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    fake_binance.fault(*ORDER, Fault("429", retry_after_s=30))

    with pytest.raises(VenueRateLimited) as limited:
        await binance_venue.submit(_spec("ais-429-3"))

    assert limited.value.retry_after_s == 30
    assert fake_binance.requests.count(ORDER) == 1
    assert fake_binance.by_client_id("ais-429-3") == []
    ack = await binance_venue.submit(_spec("ais-429-3"))  # the OMS's next pass
    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-429-3")) == 1
