"""A funding payment the books cannot take is held aside, halts trading once, and survives restarts.

The venue reports funding on a symbol booked as spot (a misconfigured instrument kind). The
payment is journaled, then held aside as a ``FundingBreak``: the rest of the venue's batch is
still applied, trading halts naming the payment, ``portfolio.break`` is recorded once, and a
restart holds it aside again without reporting it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.execution.venue import ExecutionReport, ReportKind
from aiswarm.portfolio import FundingBreak
from aiswarm.risk import TripCause
from aiswarm.runtime.spine import account_records
from aiswarm.store import EventStore
from aiswarm.types import EventType, OrderStatus, OrderType
from aiswarm.venues import PaperVenue
from aiswarm.venues.fill_models import FeeModel
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument
from kit.spine import START, open_desk

pytestmark = pytest.mark.integration


class _FundingFirstVenue(PaperVenue):
    """A paper venue that reports ``funding`` ahead of its own reports on the next drain."""

    def __init__(self, clock: SimulatedClock) -> None:
        super().__init__(
            VENUE,
            {SYMBOL: instrument()},
            clock,
            fee_model=FeeModel(maker_fee_frac=Decimal("0"), taker_fee_frac=Decimal("0")),
            max_participation_frac=Decimal("1"),
        )
        self.funding: list[ExecutionReport] = []

    def drain_reports(self) -> list[ExecutionReport]:
        funding, self.funding = self.funding, []
        return funding + super().drain_reports()


async def _records(store: EventStore, kind: str) -> list[Mapping[str, Any]]:
    return [payload for t, payload in await account_records(store, ACCOUNT) if t == kind]


async def test_funding_when_symbol_booked_as_spot_then_held_aside_halted_once_and_batch_kept(
    tmp_path: Path,
) -> None:
    # Arrange: 0.1 BTC held spot, and a limit buy resting below the market
    clock = SimulatedClock(START)
    venue = _FundingFirstVenue(clock)
    desk = await open_desk(tmp_path / "a.db", venue=venue, clock=clock)
    assert (await desk.place(desk.intent("0.1"))).is_live
    await desk.next_bar()
    cash = desk.spine.portfolio.cash
    rest = await desk.place(
        desk.intent("0.1", order_type=OrderType.LIMIT, limit_price=Decimal("49900"))
    )
    assert rest.is_live

    # Act: one batch: the venue's funding report, then the fill of the resting buy
    venue.funding = [
        ExecutionReport(
            kind=ReportKind.FUNDING,
            venue=VENUE,
            ts_ns=clock.now_ns(),
            account=ACCOUNT,
            symbol=SYMBOL,
            amount=Decimal("1.5"),
        )
    ]
    await desk.next_bar(Decimal("49800"))
    halted = await desk.spine.halt_on_breaks()

    # Assert: the fill after it was applied; the payment held aside, unbooked; halted naming it
    bought = desk.spine.oms.orders[rest.spec.client_order_id]
    assert bought.status is OrderStatus.FILLED
    assert desk.held() == Decimal("0.2")
    assert desk.spine.portfolio.cash == cash - bought.filled_notional  # no fee, no funding
    [held] = desk.spine.portfolio.breaks
    assert isinstance(held, FundingBreak)
    assert held.amount == Decimal("1.5")
    assert halted == 1
    assert desk.spine.kill_switch.switch.is_latched()
    trip = (await _records(desk.store, EventType.KILL_SWITCH_CHANGED))[-1]
    assert trip["cause"] == TripCause.ACCOUNTING_BREAK
    assert "funding payment amount=1.5 for BTC/USDT" in trip["reason"]
    [alert] = await _records(desk.store, EventType.PORTFOLIO_BREAK)
    assert alert["funding_payment"]["amount"] == "1.5"
    assert "spot" in alert["reason"]
    assert await desk.spine.halt_on_breaks() == 0
    await desk.store.close()

    # Act: restart over the same store
    again = await open_desk(tmp_path / "a.db", venue=venue, clock=clock, fresh=False)

    # Assert: held aside again, still halted, reported once only
    assert again.spine.portfolio.breaks == (held,)
    assert again.spine.portfolio.cash == desk.spine.portfolio.cash
    assert again.spine.kill_switch.switch.is_latched()
    assert len(await _records(again.store, EventType.PORTFOLIO_BREAK)) == 1
    assert await again.spine.halt_on_breaks() == 0
    await again.store.close()
