"""A held position without a price never silences the kill switch or crashes the step.

Defect guarded against: ``_evaluate_kill_switch`` returned early when an open position had no
price (NAV unknown), so the circuit breaker (a run of venue rejections) never tripped and a
flatten never ran; and building the step's trading context raised ``MissingMarkError`` out of
``step``. An unknown NAV means no new decisions (fail closed), but the checks that need no NAV
still run.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import to_ns
from aiswarm.types import AccountId, ClientOrderId, Symbol, TradingState
from kit.builders import fill, instrument
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

UNFED = Symbol("SOL/USD")


async def _hold_unfed_position(tmp_path: Path) -> object:
    host = await start(paper_config(tmp_path))
    engine = host.engine
    venue = next(iter(engine.market)).venue
    sol = instrument(venue=venue, symbol=UNFED, base="SOL", quote="USD")
    engine.spine.portfolio.apply_fill(
        fill(
            venue=venue,
            account=AccountId(engine.account),
            symbol=UNFED,
            client_order_id=ClientOrderId("ais-unfed"),
            quantity=Decimal("1"),
            price=Decimal("20"),
            fee=Decimal("0"),
            fee_currency="USD",
            ts_event=engine.clock.now(),
            ts_init=engine.clock.now(),
        ),
        sol,
    )
    return host


async def test_step_when_position_unpriced_then_no_crash_and_no_nav(tmp_path: Path) -> None:
    # Arrange
    host = await _hold_unfed_position(tmp_path)

    # Act
    reports = await run_steps(host, 30)

    # Assert
    assert len(reports) == 30
    assert all(report.nav is None for report in reports)
    assert all(report.orders == 0 for report in reports)
    await host.stop("test over")


async def test_rejection_streak_when_position_unpriced_then_trips(tmp_path: Path) -> None:
    # Arrange
    host = await _hold_unfed_position(tmp_path)
    engine = host.engine
    activity = engine.spine.oms.activity
    for _ in range(engine.limits.kill_switch_rejections):
        activity.record_rejected(engine.clock.now_ns())

    # Act
    report = await engine.step(to_ns(engine.clock.now() + timedelta(minutes=1)))

    # Assert
    assert report.tripped
    assert engine.spine.kill_switch.switch.state is TradingState.HALTED
    assert engine.spine.kill_switch.switch.is_latched()
    await host.stop("test over")
