"""A funding report the books cannot take crashes the OMS pass and every restart.

Defect: fills that break accounting are held aside (``Portfolio.take_fill``), but funding is
not. ``OrderManager._drain`` appends the ``funding`` record, then calls ``on_funding``
(``Portfolio.apply_funding_payment``), which raises ``AccountingError`` for a spot book (a venue
reporting funding for a symbol configured as spot: a misconfigured instrument kind, the same
class as the fee-currency and unknown-instrument breaks). The pass raises after the record is
journaled (reports drained with it in the same batch are lost to the OMS), and on restart
``OrderRecovery.restore`` replays the record into the same call and raises again: the account
cannot be reopened.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.execution.venue import ExecutionReport, ReportKind
from aiswarm.risk import KillSwitch
from aiswarm.runtime.spine import assemble_spine
from aiswarm.types import Side
from aiswarm.venues import PaperVenue
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument
from kit.spine import OPERATOR, SECRET, START, limits, memory_desk

pytestmark = pytest.mark.integration


class _FundingVenue(PaperVenue):
    """A paper venue that can be told to report one funding payment on the next drain."""

    extra: list[ExecutionReport]

    def drain_reports(self) -> list[ExecutionReport]:
        extra = getattr(self, "extra", [])
        self.extra = []
        return super().drain_reports() + extra


async def test_funding_the_books_cannot_take_neither_crashes_the_pass_nor_the_restart() -> None:
    # Arrange: hold 0.1 BTC spot
    clock = SimulatedClock(START)
    venue = _funding_venue(clock)
    desk, journal = await memory_desk(venue=venue, clock=clock)
    placement = await desk.place(desk.intent("0.1", Side.BUY))
    assert placement.is_live
    await desk.next_bar()
    assert desk.held() == Decimal("0.1")

    # Act: the venue reports a funding payment on the symbol
    venue.extra = [
        ExecutionReport(
            kind=ReportKind.FUNDING,
            venue=VENUE,
            ts_ns=clock.now_ns(),
            account=ACCOUNT,
            symbol=SYMBOL,
            amount=Decimal("1.5"),
        )
    ]
    crashed: Exception | None = None
    try:
        await desk.spine.oms.process_reports()
    except Exception as exc:
        crashed = exc

    # ... and the process restarts over the same journal
    records = [(event.type, event.payload) for event in journal.events()]  # type: ignore[attr-defined]
    assert "funding" in [t for t, _ in records]
    restarted = assemble_spine(
        journal=journal,
        venue=_funding_venue(clock),
        clock=clock,
        account=ACCOUNT,
        instruments={SYMBOL: instrument()},
        approval_secret=SECRET,
        limits=limits(),
        switch=KillSwitch((OPERATOR,)),
    )
    restart_error: Exception | None = None
    try:
        restarted.oms.restore(records)
    except Exception as exc:
        restart_error = exc

    # Assert
    assert (crashed, restart_error) == (None, None), (
        f"the OMS pass raised {crashed!r}; the restart's replay raised {restart_error!r}"
    )


def _funding_venue(clock: SimulatedClock) -> _FundingVenue:
    from aiswarm.venues.fill_models import FeeModel

    return _FundingVenue(
        VENUE,
        {SYMBOL: instrument()},
        clock,
        fee_model=FeeModel(maker_fee_frac=Decimal("0.0005"), taker_fee_frac=Decimal("0.001")),
        max_participation_frac=Decimal("1"),
    )
