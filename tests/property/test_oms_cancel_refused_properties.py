"""Any mix of refused cancels, passes and restarts: asked once per pass, cancelled in the end.

A resting order is cancelled; each time the OMS asks the venue, the venue answers by a scripted
fate: it takes the cancel, times out, refuses it in the acknowledgement (rate limited, or the
order unknown to its matching engine yet), or acknowledges it and then reports it refused
(CANCEL_REJECTED, the order working again). Between passes the process may restart (the
reports streamed to the dead process are lost) or the operator may cancel again. Whatever the
order of these: the venue is asked at most once per order per operation (no hot loop), the
cancel is never forgotten (once the venue takes cancels, the order ends CANCELED here and
there), and a replay of the log gives the state the live OMS holds.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock
from aiswarm.execution import OrderManager
from aiswarm.types import OrderStatus, OrderType
from kit.builders import T0, order_spec
from kit.oms import ListJournal, ScriptedCancelVenue, approve, oms

SPEC = order_spec(order_type=OrderType.LIMIT, limit_price=Decimal("40000"))  # rests at 50,000
FATES = st.lists(
    st.sampled_from(("taken", "timeout", "refused", "unknown", "rejected_report")), max_size=6
)
OPS = st.lists(st.sampled_from(("pass", "restart", "cancel")), max_size=10)


async def _restart(
    journal: ListJournal, venue: ScriptedCancelVenue, clock: SimulatedClock
) -> OrderManager:
    venue.drain_reports()  # what the venue streamed to the dead process is lost
    manager, _ = oms(venue, clock, journal=journal)
    manager.restore(list(journal.events))
    await manager.reconcile()
    return manager


async def _run(
    fates: list[str], ops: list[str]
) -> tuple[OrderManager, ScriptedCancelVenue, ListJournal, int]:
    clock = SimulatedClock(T0)
    venue = ScriptedCancelVenue(clock, fates)
    manager, journal = oms(venue, clock)
    await manager.submit(approve(SPEC, clock, ttl_s=3600))
    await manager.cancel(SPEC.client_order_id, "operator cancel")
    most_asked = venue.asked
    for op in ops:
        before = venue.asked
        clock.advance(60)
        if op == "pass":
            await manager.process_reports()
        elif op == "cancel":
            await manager.cancel(SPEC.client_order_id, "operator cancel")
        else:
            manager = await _restart(journal, venue, clock)
        most_asked = max(most_asked, venue.asked - before)
    venue.fates.clear()  # the venue takes cancels from now on
    for _ in range(2):
        clock.advance(60)
        await manager.process_reports()
    return manager, venue, journal, most_asked


@given(fates=FATES, ops=OPS)
def test_cancel_when_venue_refuses_it_any_way_then_asked_once_per_pass_until_cancelled(
    fates: list[str], ops: list[str]
) -> None:
    # Act
    manager, venue, journal, most_asked = asyncio.run(_run(fates, ops))

    # Assert: never more than one ask per operation; never forgotten
    assert most_asked <= 1
    cid = SPEC.client_order_id
    assert manager.orders[cid].status is OrderStatus.CANCELED
    theirs = asyncio.run(venue.query(cid))
    assert theirs is not None
    assert theirs.status is OrderStatus.CANCELED
    rebuilt, _ = oms(venue, SimulatedClock(T0))
    rebuilt.restore(list(journal.events))
    assert rebuilt.orders[cid].status is OrderStatus.CANCELED
