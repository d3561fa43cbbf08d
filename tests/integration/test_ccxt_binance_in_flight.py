"""An unanswered submit through the real ccxt client at the fake Binance: "outcome unknown".

A timed-out order request may still be in flight at the venue. Until the request window
(``recvWindow``) plus a margin has passed since the send and a lookup after that still finds
nothing, the order is neither sent again nor given up, by the adapter or by the OMS. The
window is timed by an injected monotonic clock, moved by hand here; the fake venue enforces
``recvWindow`` against its own wall clock, as Binance does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.errors import TransientVenueError, VenueOutcomeUnknown
from aiswarm.execution.venue import RejectCode
from aiswarm.types import ClientOrderId, OrderSpec, OrderStatus, OrderType
from aiswarm.venues.ccxt_venue import CcxtVenue
from fakes.binance_book import BinanceError
from fakes.binance_fake import FakeBinance, Fault
from kit.binance_venue import fake_settings
from kit.builders import T0, order_spec
from kit.oms import approve, oms

pytestmark = pytest.mark.integration

ORDER = ("POST", "/api/v3/order")
LOOKUP = ("GET", "/api/v3/order")
WINDOW_MS, MARGIN_MS = 5_000, 1_000


class Monotonic:
    """A monotonic clock moved by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def past_window(self) -> None:
        self.now += (WINDOW_MS + MARGIN_MS) / 1000 + 0.001


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
async def venue(fake_binance: FakeBinance, monotonic: Monotonic) -> AsyncIterator[CcxtVenue]:
    adapter = CcxtVenue(fake_settings(fake_binance), SimulatedClock(T0), monotonic)
    await adapter.connect()
    try:
        yield adapter
    finally:
        await adapter.close()


def _market(cid: str) -> OrderSpec:
    return order_spec(
        client_order_id=ClientOrderId(cid), order_type=OrderType.MARKET, limit_price=None
    )


async def _until_the_venue_holds(fake: FakeBinance, cid: str) -> None:
    """Wait (bounded) until the late request has been processed at the venue."""
    for _ in range(200):
        if fake.by_client_id(cid):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the venue never processed {cid}")


async def test_timed_out_submit_still_in_flight_is_not_sent_twice(
    venue: CcxtVenue, fake_binance: FakeBinance, monotonic: Monotonic
) -> None:
    # The gateway holds the request past the client's timeout, then processes it.
    fake_binance.fault(*ORDER, Fault("late", delay_s=0.6))
    spec = _market("ais-inflight-1")

    with pytest.raises(VenueOutcomeUnknown):
        await venue.submit(spec)
    with pytest.raises(VenueOutcomeUnknown):  # the OMS's next pass, still within the window
        await venue.submit(spec)
    with pytest.raises(VenueOutcomeUnknown):  # and its query: not "unknown" yet either
        await venue.query(spec.client_order_id)
    await _until_the_venue_holds(fake_binance, "ais-inflight-1")
    monotonic.past_window()
    ack = await venue.submit(spec)

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-inflight-1")) == 1
    assert fake_binance.requests.count(ORDER) == 1


async def test_request_arriving_after_its_window_is_refused_then_sent_again_once(
    fake_binance: FakeBinance, monotonic: Monotonic
) -> None:
    # A window shorter than the gateway's delay: the venue refuses the late request itself.
    settings = fake_settings(fake_binance, request_window_ms=200, in_flight_margin_ms=0)
    adapter = CcxtVenue(settings, SimulatedClock(T0), monotonic)
    await adapter.connect()
    try:
        fake_binance.fault(*ORDER, Fault("late", delay_s=0.5))
        spec = _market("ais-late-1")
        with pytest.raises(VenueOutcomeUnknown):
            await adapter.submit(spec)
        monotonic.now += 0.3  # past this adapter's window
        await asyncio.sleep(0.5)  # let the late request reach the venue and be refused
        ack = await adapter.submit(spec)
    finally:
        await adapter.close()

    assert ack.accepted
    assert len(fake_binance.by_client_id("ais-late-1")) == 1
    assert fake_binance.requests.count(ORDER) == 2


async def test_a_5xx_is_answered_so_the_next_attempt_may_send_after_a_lookup(
    venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    fake_binance.fault(*ORDER, Fault("5xx"))

    ack = await venue.submit(_market("ais-5xx-2"))

    assert ack.accepted
    assert fake_binance.requests.count(ORDER) == 2


async def test_oms_neither_resends_nor_gives_up_an_order_in_flight(
    venue: CcxtVenue, fake_binance: FakeBinance, monotonic: Monotonic
) -> None:
    clock = SimulatedClock(T0)
    manager, _ = oms(venue, clock)
    fake_binance.fault(*ORDER, Fault("late", delay_s=0.6))
    spec = _market("ais-oms-inflight-1")

    result = await manager.submit(approve(spec, clock, ttl_s=1))
    clock.advance(2)  # the approval has expired: a "never arrived" would reject it now
    await manager.process_reports()
    order = manager.orders[spec.client_order_id]
    assert result.accepted
    assert order.status is OrderStatus.SUBMITTED  # neither resent nor rejected
    assert fake_binance.requests.count(ORDER) == 1

    await _until_the_venue_holds(fake_binance, "ais-oms-inflight-1")
    monotonic.past_window()
    await manager.process_reports()

    assert manager.orders[spec.client_order_id].status is OrderStatus.FILLED
    assert len(fake_binance.by_client_id("ais-oms-inflight-1")) == 1
    assert fake_binance.requests.count(ORDER) == 1


async def test_cancel_answered_unknown_while_the_order_works_is_not_closed(
    venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    spec = order_spec(client_order_id=ClientOrderId("ais-c-1"), limit_price=Decimal("50000"))
    assert (await venue.submit(spec)).accepted
    venue.drain_reports()
    answer = fake_binance.handle
    lagging = {"left": 1}

    def matching_engine_lags(method: str, path: str, params: dict[str, str]) -> object:
        if (method, path) == ("DELETE", "/api/v3/order") and lagging["left"]:
            lagging["left"] -= 1
            raise BinanceError(400, -2011, "Unknown order sent.")
        return answer(method, path, params)

    fake_binance.handle = matching_engine_lags  # type: ignore[method-assign]

    first = await venue.cancel(spec.client_order_id)
    second = await venue.cancel(spec.client_order_id)

    assert first.code is RejectCode.UNKNOWN_ORDER  # still working: ask again, not "closed"
    assert second.accepted
    assert [o.status for o in fake_binance.by_client_id("ais-c-1")] == ["CANCELED"]


async def test_cancel_of_an_order_that_ended_meanwhile_is_closed(
    venue: CcxtVenue, fake_binance: FakeBinance
) -> None:
    spec = order_spec(client_order_id=ClientOrderId("ais-c-2"), limit_price=Decimal("50000"))
    assert (await venue.submit(spec)).accepted
    fake_binance.fill("ais-c-2", "0.01")
    answer = fake_binance.handle

    def unknown_once_filled(method: str, path: str, params: dict[str, str]) -> object:
        if (method, path) == ("DELETE", "/api/v3/order"):
            raise BinanceError(400, -2011, "Unknown order sent.")
        return answer(method, path, params)

    fake_binance.handle = unknown_once_filled  # type: ignore[method-assign]

    ack = await venue.cancel(spec.client_order_id)

    assert ack.code is RejectCode.ORDER_CLOSED


async def test_error_text_never_holds_the_query_string(
    venue: CcxtVenue, fake_binance: FakeBinance, caplog: pytest.LogCaptureFixture
) -> None:
    spec = order_spec(client_order_id=ClientOrderId("ais-q-1"), limit_price=Decimal("50000"))
    assert (await venue.submit(spec)).accepted
    # The lookup is a signed GET: a timeout's text names its URL with the query string.
    fake_binance.fault(*LOOKUP, *[Fault("lost", delay_s=0.5)] * 4)

    with pytest.raises(TransientVenueError) as raised:
        await venue.query(spec.client_order_id)

    assert "/api/v3/order" in str(raised.value)
    assert "signature" not in str(raised.value)
    assert "signature" not in caplog.text
    assert "timestamp=" not in caplog.text
