"""Reconciliation of a paper engine with injected venue drift: each shows; thresholds halt.

The engine, its store (a SQLite file) and its paper venue are real; the drift is injected at
the edge, in what the venue's holdings answer (``DriftedHoldings``, a test fake): a missing
order, a position off by one step size, and a query that fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.config.operations import ReconciliationConfig
from aiswarm.execution.venue import VenueOrder
from aiswarm.monitoring.reconciliation import UNKNOWN, Action, MismatchKind, SectionStatus
from aiswarm.runtime import Host
from aiswarm.runtime.reconciler import Reconciler
from aiswarm.runtime.venue_holdings import VenueHoldings, holdings_for
from aiswarm.types import EventType, Symbol, TradingState
from kit.host import FIXED_NOTIONAL, paper_config, run_steps, start

pytestmark = pytest.mark.integration


class DriftedHoldings:
    """The paper venue's holdings with one injected drift (a fake at the venue's edge)."""

    def __init__(
        self,
        real: VenueHoldings,
        *,
        drop_orders: bool = False,
        position_shift: tuple[Symbol, Decimal] | None = None,
        fail_positions: bool = False,
    ) -> None:
        self._real = real
        self._drop_orders = drop_orders
        self._shift = position_shift
        self._fail = fail_positions

    async def open_orders(self) -> list[VenueOrder]:
        orders = await self._real.open_orders()
        return [] if self._drop_orders else orders

    async def positions(self) -> Mapping[Symbol, Decimal] | None:
        if self._fail:
            raise ConnectionError("venue unreachable")
        held = dict(await self._real.positions() or {})
        if self._shift is not None:
            symbol, step = self._shift
            held[symbol] = held.get(symbol, Decimal(0)) + step
        return held

    async def balances(self) -> Mapping[str, Decimal] | None:
        return await self._real.balances()


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[Host]:
    started = await start(paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL}))
    yield started
    await started.stop("test over")


async def _step_until(host: Host, condition: str) -> None:
    engine = host.engine
    for _ in range(600):
        await run_steps(host, 1)
        if condition == "open order" and engine.spine.oms.open_orders():
            return
        if condition == "position" and engine.spine.portfolio.has_open_positions():
            return
    raise AssertionError(f"no {condition} within 600 steps")


def _reconciler(host: Host, holdings: VenueHoldings, **config: object) -> Reconciler:
    return Reconciler(host.engine, holdings, ReconciliationConfig.model_validate(config))


async def test_reconcile_when_order_missing_at_venue_then_reported_and_stored(host: Host) -> None:
    # Arrange
    await _step_until(host, "open order")
    [order] = host.engine.spine.oms.open_orders()[:1]
    drifted = DriftedHoldings(holdings_for(host.engine), drop_orders=True)

    # Act
    report = await _reconciler(host, drifted, halt_at_mismatches=None).reconcile()

    # Assert
    missing = [m for m in report.mismatches if m.kind is MismatchKind.ORDER_MISSING_AT_VENUE]
    assert order.client_order_id in {m.key for m in missing}
    assert all(m.venue == "absent" for m in missing)
    assert report.action is Action.ALERT
    stored = [e.payload async for e in host.store.replay(types=[EventType.RECONCILIATION_REPORT])]
    assert stored[-1]["report_id"] == report.report_id
    assert host.engine.spine.kill_switch.switch.state is TradingState.ACTIVE  # alert only


async def test_reconcile_when_position_off_by_one_step_then_reported(host: Host) -> None:
    # Arrange
    await _step_until(host, "position")
    engine = host.engine
    (venue_id, symbol), *_ = engine.spine.portfolio.open_markets()
    step = engine.instruments[symbol].step_size
    held = engine.spine.portfolio.position(venue_id, symbol)
    assert held is not None
    drifted = DriftedHoldings(holdings_for(engine), position_shift=(symbol, step))

    # Act
    report = await _reconciler(host, drifted).reconcile()

    # Assert
    [mismatch] = [m for m in report.mismatches if m.kind is MismatchKind.POSITION_DIFFERS]
    assert mismatch.key == symbol
    assert Decimal(mismatch.engine) == held.quantity
    assert Decimal(mismatch.venue) == held.quantity + step
    assert "(1 steps of" in mismatch.detail


async def test_reconcile_when_position_query_fails_then_unknown_not_flat(host: Host) -> None:
    # Arrange
    await _step_until(host, "position")
    drifted = DriftedHoldings(holdings_for(host.engine), fail_positions=True)

    # Act
    report = await _reconciler(host, drifted, halt_at_unknown_rounds=None).reconcile()

    # Assert
    positions = next(s for s in report.sections if s.section == "positions")
    assert positions.status is SectionStatus.UNKNOWN
    assert positions.venue_entries is None
    assert "ConnectionError: venue unreachable" in (positions.error or "")
    [failed] = report.mismatches
    assert failed.kind is MismatchKind.VENUE_QUERY_FAILED
    assert failed.venue == UNKNOWN
    # Flat would have been a position mismatch with venue "0": there is none.
    assert not [m for m in report.mismatches if m.kind is MismatchKind.POSITION_DIFFERS]


async def test_reconcile_when_unknown_rounds_reach_threshold_then_kill_switch_halts(
    host: Host,
) -> None:
    # Arrange
    await _step_until(host, "position")
    drifted = DriftedHoldings(holdings_for(host.engine), fail_positions=True)
    reconciler = _reconciler(host, drifted, halt_at_unknown_rounds=2)

    # Act
    first = await reconciler.reconcile()
    second = await reconciler.reconcile()

    # Assert
    assert (first.action, second.action) == (Action.ALERT, Action.HALT)
    switch = host.engine.spine.kill_switch.switch
    assert switch.state is TradingState.HALTED
    assert switch.is_latched()
    changes = [e.payload async for e in host.store.replay(types=[EventType.KILL_SWITCH_CHANGED])]
    assert changes[-1]["cause"] == "reconciliation"
    assert second.report_id in changes[-1]["reason"]


async def test_reconcile_when_mismatches_reach_threshold_then_halts_and_alert_hook_called(
    host: Host,
) -> None:
    # Arrange
    await _step_until(host, "open order")
    drifted = DriftedHoldings(holdings_for(host.engine), drop_orders=True)
    reconciler = _reconciler(host, drifted, halt_at_mismatches=1)
    alerted: list[str] = []
    reconciler.alert_hooks.append(lambda report: alerted.append(report.report_id))

    # Act
    report = await reconciler.reconcile()

    # Assert
    assert report.action is Action.HALT
    assert alerted == [report.report_id]  # alert first, then halt
    assert host.engine.spine.kill_switch.switch.state is TradingState.HALTED


async def test_reconciler_when_restarted_then_reports_come_back_and_start_reconciles(
    tmp_path: Path,
) -> None:
    # Arrange
    config = paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL})
    first = await start(config)
    await run_steps(first, 10)
    drifted = DriftedHoldings(holdings_for(first.engine), fail_positions=True)
    failed = await _reconciler(first, drifted, halt_at_unknown_rounds=None).reconcile()
    await first.stop("restart")

    # Act
    second = await start(config)
    try:
        restored = Reconciler(second.engine, drifted, ReconciliationConfig())
        await restored.restore(second.store)
        stored = [
            e.payload async for e in second.store.replay(types=[EventType.RECONCILIATION_REPORT])
        ]
    finally:
        await second.stop("test over")

    # Assert: the failed round is kept; the restart reconciled at once, and the venue answered
    assert failed.report_id in {report["report_id"] for report in stored}
    assert restored.last == second.reconciler.last
    assert second.reconciler.last is not None
    assert second.reconciler.last.unknown_rounds == 0
    assert len({report["report_id"] for report in stored}) == len(stored)  # ids never repeat


async def test_paper_session_when_nothing_injected_then_every_scheduled_report_matches(
    host: Host,
) -> None:
    # Arrange: reconcile every 5 minutes of decision time (the default) over 4 hours of bars
    await run_steps(host, 240)

    # Act
    reports = [e.payload async for e in host.store.replay(types=[EventType.RECONCILIATION_REPORT])]

    # Assert: the start report and one per 5 minutes, none with drift (no false alarms)
    assert len(reports) >= 240 // 5
    assert all(report["mismatches"] == [] for report in reports)
    assert {report["action"] for report in reports} == {"none"}
    orders = [s for r in reports for s in r["sections"] if s["section"] == "orders"]
    assert any(section["engine_entries"] > 0 for section in orders)  # orders were compared
