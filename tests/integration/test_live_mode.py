"""Live mode: the same engine on the ccxt venue, and the refusals when a precondition fails.

The host starts exactly as ``aiswarm run --mode live`` starts it, against the fake Binance on
127.0.0.1 through the real ccxt client, on a simulated clock so steps need no waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.runtime import Host
from aiswarm.runtime.live import LiveRefused, ccxt_settings
from aiswarm.types import ClientOrderId, EventType, OrderStatus
from aiswarm.venues import ShadowVenue
from aiswarm.venues.ccxt_venue import CcxtVenue
from fakes.binance_fake import FakeBinance, Fault
from kit.binance_venue import BINANCE_OPTIONS, CREDENTIALS_PREFIX, fake_settings
from kit.builders import order_spec
from kit.host import FIXED_NOTIONAL, SECRET, paper_config, run_steps
from kit.mandates import write_mandate

pytestmark = pytest.mark.integration

START = datetime(2021, 10, 12, 1, 0, 1, tzinfo=UTC)
MINUTE_MS = 60_000
SUBMITTED = OrderStatus.SUBMITTED
AGENTS = """
agents:
  - name: ema_cross
    id: ema-fast
    weight: 1.0
    symbols: [BTC/USDT]
    params: {fast: 2, slow: 5, atr_filter: false}
"""


def _venue(fake: FakeBinance, *, linear: bool = False, **more: Any) -> dict[str, Any]:
    options = BINANCE_OPTIONS | ({"fetchMarkets": {"types": ["linear"]}} if linear else {})
    return {
        "exchange": "binance",
        "base_url": fake.base_url,
        "options": options,
        "credentials_env": CREDENTIALS_PREFIX,
        "timeout_ms": 400,
        "retry_base_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
    } | more


def _live_config(
    tmp_path: Path,
    fake: FakeBinance,
    mode: str = "live",
    *,
    approval: bool = False,
    **live: Any,
) -> Any:
    agents = tmp_path / "agents.yaml"
    agents.write_text(AGENTS, encoding="utf-8")
    section = {
        "enabled": True,
        "venues": {"binance": _venue(fake)},
        "routes": [{"symbol": "BTC/USDT", "venue": "binance"}],
        "warmup_bars": 20,
    } | live
    mandates = tmp_path / "mandates"
    symbols = [route["symbol"] for route in section["routes"]]
    write_mandate(
        mandates,
        venues=["binance"],
        symbols=symbols,
        description="live at binance",
        live_requires_approval=approval,
    )
    return paper_config(
        tmp_path,
        mode=mode,
        live=section,
        trading={
            "agents_file": str(agents),
            "mandates_dir": str(mandates),
            "allocator": FIXED_NOTIONAL | {"fixed_notional_usd": "1000"},
        },
    )


def _publish_dip_then_rally(fake: FakeBinance) -> None:
    """Twenty falling minutes before the start, then a rally: the fast EMA crosses up."""
    start_ms = to_ns(START) // 1_000_000 // MINUTE_MS * MINUTE_MS - 20 * MINUTE_MS
    closes = [str(57_000 - 50 * i) for i in range(20)] + [str(56_100 + 150 * i) for i in range(10)]
    fake.set_klines("BTCUSDT", start_ms, closes, MINUTE_MS)


async def _start(config: Any) -> Host:
    clock = SimulatedClock(START)
    host = await Host.start(config, SECRET, clock_at=lambda _: clock)
    await host.begin("test")
    return host


async def test_live_mode_steps_send_an_approved_order_to_the_venue(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    _publish_dip_then_rally(fake_binance)
    host = await _start(_live_config(tmp_path, fake_binance))
    try:
        reports = await run_steps(host, 6)
        engine = host.engine
        sent = [
            event.payload async for event in host.store.replay(types=[EventType.ORDER_SUBMITTED])
        ]
    finally:
        await host.stop("test done")

    assert sum(report.orders for report in reports) >= 1
    assert sent, "an approved order was recorded before it was sent"
    placed = [o for o in fake_binance.orders.values() if o.client_order_id.startswith("ais-")]
    assert [o.client_order_id for o in placed] == [p["spec"]["client_order_id"] for p in sent]
    order = engine.spine.oms.orders[ClientOrderId(placed[0].client_order_id)]
    assert order.venue_order_id == str(placed[0].order_id)
    assert engine.venue.venue_id == "binance"
    assert isinstance(engine.venue, CcxtVenue)


async def test_live_mode_refused_when_not_enabled_naming_the_switch(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    with pytest.raises(LiveRefused) as refused:
        await _start(_live_config(tmp_path, fake_binance, enabled=False))

    [line] = refused.value.failures
    assert "live.enabled" in line
    assert fake_binance.requests == []  # refused before any connection


async def test_live_mode_refused_without_credentials_naming_the_variables(
    tmp_path: Path, fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(f"{CREDENTIALS_PREFIX}_API_SECRET")

    with pytest.raises(LiveRefused) as refused:
        await _start(_live_config(tmp_path, fake_binance))

    [line] = refused.value.failures
    assert f"{CREDENTIALS_PREFIX}_API_SECRET" in line
    assert f"{CREDENTIALS_PREFIX}_API_KEY" not in line
    assert fake_binance.requests == []


async def test_live_mode_refused_when_a_mandate_requires_live_approval_naming_file_and_field(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    # Arrange: the account's mandate asks for an approval no workflow can give yet
    config = _live_config(tmp_path, fake_binance, approval=True)

    # Act
    with pytest.raises(LiveRefused) as refused:
        await _start(config)

    # Assert
    [line] = refused.value.failures
    assert "live_requires_approval: true" in line
    assert str(tmp_path / "mandates" / "paper.yaml") in line
    assert "live_requires_approval: false" in line
    assert fake_binance.requests == []  # refused before any connection


async def test_live_mode_refused_with_every_failure_listed(
    tmp_path: Path, fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(f"{CREDENTIALS_PREFIX}_API_KEY")

    with pytest.raises(LiveRefused) as refused:
        await _start(_live_config(tmp_path, fake_binance, enabled=False))

    assert len(refused.value.failures) == 2
    assert len(str(refused.value).splitlines()) == 3  # a heading, then one line each


async def test_live_mode_refused_when_reconciliation_finds_a_foreign_order(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    _publish_dip_then_rally(fake_binance)
    stranger = CcxtVenue(fake_settings(fake_binance), SimulatedClock(START))
    await stranger.connect()
    try:
        await stranger.submit(order_spec(client_order_id=ClientOrderId("manual-1")))
    finally:
        await stranger.close()

    with pytest.raises(LiveRefused) as refused:
        await _start(_live_config(tmp_path, fake_binance))

    [line] = refused.value.failures
    assert "reconciliation at start is not clean" in line
    assert "manual-1" in line
    assert not any(o.client_order_id.startswith("ais-") for o in fake_binance.orders.values())


async def test_shadow_on_venue_data_steps_on_real_bars_and_sends_nothing(
    tmp_path: Path, fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(f"{CREDENTIALS_PREFIX}_API_KEY")
    monkeypatch.delenv(f"{CREDENTIALS_PREFIX}_API_SECRET")
    _publish_dip_then_rally(fake_binance)
    config = _live_config(
        tmp_path, fake_binance, mode="shadow", enabled=False, shadow_on_venue_data=True
    )
    host = await _start(config)
    try:
        reports = await run_steps(host, 6)
        venue = host.engine.venue
        assert isinstance(venue, ShadowVenue)
        sent = list(venue.sent)
    finally:
        await host.stop("test done")  # cancels the resting order: recorded, not sent either

    assert sum(report.orders for report in reports) >= 1
    assert [request.kind for request in sent] == ["submit"]
    assert sent[0].reference_price is not None
    assert ("GET", "/api/v3/klines") in fake_binance.requests
    signed = {"/api/v3/order", "/api/v3/account", "/api/v3/openOrders", "/api/v3/myTrades"}
    assert not [path for _, path in fake_binance.requests if path in signed]


async def test_live_restart_resumes_the_account_and_reconciles_clean(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    _publish_dip_then_rally(fake_binance)
    config = _live_config(tmp_path, fake_binance)
    first = await _start(config)
    try:
        await run_steps(first, 6)
        placed = [o.client_order_id for o in fake_binance.orders.values()]
    finally:
        await first.stop("restart")

    later = SimulatedClock(START + timedelta(minutes=10))
    second = await Host.start(config, SECRET, clock_at=lambda _: later)
    try:
        await second.begin("test")
        await run_steps(second, 2)
        orders = second.engine.spine.oms.orders
    finally:
        await second.stop("test done")

    assert not second.opened
    assert placed
    assert [o.client_order_id for o in fake_binance.orders.values()] == placed  # none resent
    assert all(orders[ClientOrderId(cid)].status is OrderStatus.FILLED for cid in placed)


async def test_live_mode_refused_when_a_perpetual_position_is_not_in_the_log(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    fake_binance.usdm.positions["BTCUSDT"] = Decimal("0.5")
    fake_binance.usdm.last_price["BTCUSDT"] = Decimal("40000")
    config = _live_config(
        tmp_path,
        fake_binance,
        venues={"binance": _venue(fake_binance, market_type="swap", linear=True)},
        routes=[{"symbol": "BTC/USDT:USDT", "venue": "binance"}],
    )

    with pytest.raises(LiveRefused) as refused:
        await _start(config)

    [line] = refused.value.failures
    assert "BTC/USDT:USDT position at binance is 0.5" in line
    assert "log's fills add up to 0" in line


async def test_a_bar_the_venue_publishes_late_is_stepped_at_the_next_step(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    start_ms = to_ns(START) // 1_000_000 // MINUTE_MS * MINUTE_MS - 20 * MINUTE_MS
    closes = [str(57_000 - 10 * i) for i in range(20)]
    fake_binance.set_klines("BTCUSDT", start_ms, closes, MINUTE_MS)  # up to START's minute
    host = await _start(_live_config(tmp_path, fake_binance))
    try:
        [late] = await run_steps(host, 1)  # the minute closed; the venue has no bar for it yet
        fake_binance.set_klines("BTCUSDT", start_ms, [*closes, "56900", "56910"], MINUTE_MS)
        [caught_up] = await run_steps(host, 1)
    finally:
        await host.stop("test done")

    assert late.bars == 0
    assert caught_up.bars == 2  # the late bar and the next one, none skipped
    assert caught_up.now_ns > late.now_ns


async def test_live_restart_when_mandate_paused_by_file_then_unanswered_order_not_resent(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    # Arrange: the venue never answers the submits, so an approved order stays unanswered
    _publish_dip_then_rally(fake_binance)
    fake_binance.fault("POST", "/api/v3/order", *[Fault("5xx")] * 200)
    config = _live_config(tmp_path, fake_binance)
    first = await _start(config)
    unanswered: list[str] = []
    for _ in range(8):
        await run_steps(first, 1)
        oms = first.engine.spine.oms
        unanswered = [
            o.client_order_id for o in oms.open_orders() if o.status is OrderStatus.SUBMITTED
        ]
        if unanswered:
            break
    assert unanswered, "the replay must decide an order"
    # A crash (no stop, so no cancel), the venue answering again, the mandate paused by file
    await first.driver.venue.close()
    await first.store.close()
    fake_binance.faults.clear()
    write_mandate(
        tmp_path / "mandates",
        venues=["binance"],
        symbols=["BTC/USDT"],
        description="live at binance",
        live_requires_approval=False,
        status="paused",
    )

    # Act: the restart, at the same moment, so the orders' approvals are still valid
    second = await Host.start(config, SECRET, clock_at=lambda _: SimulatedClock(START))
    try:
        order = second.engine.spine.oms.orders[ClientOrderId(unanswered[0])]
        records = [
            (event.type, event.payload)
            async for event in second.store.replay(
                types=[EventType.MANDATE_CHANGED, EventType.ORDER_EVENT]
            )
        ]
    finally:
        await second.stop("test done")

    # Assert: nothing of ours reached the venue; the pause was recorded before the refusal
    assert not [o for o in fake_binance.orders.values() if o.client_order_id.startswith("ais-")]
    assert order.status is OrderStatus.REJECTED
    kinds = [kind for kind, _ in records]
    reasons = [payload.get("reason") for _, payload in records]
    rejected = reasons.index("not sent: mandate=paper status=paused")
    assert records[rejected][1]["client_order_id"] == unanswered[0]
    assert kinds.index(EventType.MANDATE_CHANGED, 1) < rejected  # the pause was recorded first


async def _crash_with_an_unanswered_order(config: Any, fake: FakeBinance) -> ClientOrderId:
    """Run until an order is recorded that the venue never took, then stop without a stop."""
    fake.fault("POST", "/api/v3/order", *[Fault("5xx")] * 200)
    first = await _start(config)
    unanswered: list[ClientOrderId] = []
    for _ in range(8):
        await run_steps(first, 1)
        oms = first.engine.spine.oms
        unanswered = [o.client_order_id for o in oms.open_orders() if o.status is SUBMITTED]
        if unanswered:
            break
    await first.driver.venue.close()  # a crash: no runtime.stopped, no cancel on stop
    await first.monitor.close()
    await first.store.close()
    fake.faults.clear()
    assert unanswered, "no order was left unanswered"
    return unanswered[0]


async def test_refused_live_start_sends_no_order_it_would_resend(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    _publish_dip_then_rally(fake_binance)
    config = _live_config(tmp_path, fake_binance)
    unanswered = await _crash_with_an_unanswered_order(config, fake_binance)
    stranger = CcxtVenue(fake_settings(fake_binance), SimulatedClock(START))
    await stranger.connect()
    try:
        await stranger.submit(order_spec(client_order_id=ClientOrderId("manual-1")))
    finally:
        await stranger.close()

    with pytest.raises(LiveRefused) as refused:
        await Host.start(config, SECRET, clock_at=lambda _: SimulatedClock(START))

    [line] = refused.value.failures
    assert "manual-1" in line
    assert fake_binance.by_client_id(unanswered) == []  # held back: the start was refused


async def test_clean_live_start_sends_the_held_order_once_after_its_checks(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    _publish_dip_then_rally(fake_binance)
    config = _live_config(tmp_path, fake_binance)
    unanswered = await _crash_with_an_unanswered_order(config, fake_binance)

    second = await Host.start(config, SECRET, clock_at=lambda _: SimulatedClock(START))
    try:
        order = second.engine.spine.oms.orders[unanswered]
    finally:
        await second.stop("test done")

    assert len(fake_binance.by_client_id(unanswered)) == 1
    assert order.status is not SUBMITTED


def test_the_request_window_of_the_config_reaches_the_adapter(
    tmp_path: Path, fake_binance: FakeBinance
) -> None:
    venues = {"binance": _venue(fake_binance, request_window_ms=3000)}
    config = _live_config(tmp_path, fake_binance, venues=venues)

    assert ccxt_settings(config, "binance").request_window_ms == 3000
