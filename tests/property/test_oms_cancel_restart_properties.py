"""Any interleaving of lost submits, cancels, restarts and bars never sends a cancelled order.

A resting order's submits each meet a scripted fate: answered, answer lost (the venue has the
order), or dropped (the venue never got it). Between them the operator may cancel, the process
may restart (the venue outlives it; its report stream to the dead process is lost), and bars may
trade. Whatever the order of these: the venue receives the order at most once, never after a
cancel of it was asked; once the venue answers again, a cancelled order is over here and not
working there, an order nobody cancelled is working at both, and a replay of the log gives the
state the live OMS holds.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock
from aiswarm.errors import TransientVenueError
from aiswarm.execution import OrderManager
from aiswarm.types import OrderSpec, OrderStatus, OrderType
from aiswarm.venues import PaperVenue
from kit.builders import SYMBOL, T0, VENUE, instrument, order_spec
from kit.oms import approve, bar, oms
from kit.schedule import Log

SPEC = order_spec(order_type=OrderType.LIMIT, limit_price=Decimal("40000"))  # rests at 50,000
FATES = st.lists(st.sampled_from(("answered", "answer_lost", "dropped")), max_size=4)
OPS = st.lists(st.sampled_from(("pass", "bar", "cancel", "restart")), max_size=12)


class _ScriptedVenue(PaperVenue):
    """Each submit meets the next scripted fate (answered once the script runs out)."""

    def __init__(self, clock: SimulatedClock, fates: list[str]) -> None:
        super().__init__(VENUE, {SYMBOL: instrument()}, clock)
        self.fates = fates
        self.cancel_asked = False
        self.received: list[bool] = []  # per submit that reached us: was a cancel asked by then

    async def submit(self, spec: OrderSpec) -> Any:
        fate = self.fates.pop(0) if self.fates else "answered"
        if fate == "dropped":
            raise TransientVenueError("submit timed out; the venue never got it")
        self.received.append(self.cancel_asked)
        ack = await super().submit(spec)
        if fate == "answer_lost":
            raise TransientVenueError("submit timed out; the venue has the order")
        return ack


async def _restart(log: Log, venue: _ScriptedVenue, clock: SimulatedClock) -> OrderManager:
    venue.drain_reports()  # what the venue streamed to the dead process is lost
    manager, _ = oms(venue, clock, journal=log)
    manager.restore(list(log.events))
    await manager.reconcile()
    return manager


async def _run(fates: list[str], ops: list[str]) -> tuple[OrderManager, _ScriptedVenue, Log]:
    clock = SimulatedClock(T0)
    log = Log()
    venue = _ScriptedVenue(clock, fates)
    manager, _ = oms(venue, clock, journal=log)
    await manager.submit(approve(SPEC, clock, ttl_s=3600))
    for op in ops:
        if op == "pass":
            await manager.process_reports()
        elif op == "bar":
            clock.advance(60)
            venue.on_bar(bar(clock))
            await manager.process_reports()
        elif op == "cancel":
            venue.cancel_asked |= await manager.cancel(SPEC.client_order_id, "operator cancel")
        else:
            manager = await _restart(log, venue, clock)
    venue.fates.clear()  # the venue answers from now on
    for _ in range(2):
        clock.advance(60)
        await manager.process_reports()
    return manager, venue, log


@given(fates=FATES, ops=OPS)
def test_cancel_when_interleaved_with_lost_submits_and_restarts_then_never_sent_after(
    fates: list[str], ops: list[str]
) -> None:
    # Act
    manager, venue, log = asyncio.run(_run(fates, ops))

    # Assert: at most once, never after the cancel
    assert len(venue.received) <= 1
    assert not any(venue.received)
    cid = SPEC.client_order_id
    ours = manager.orders[cid].status
    theirs = asyncio.run(venue.query(cid))
    if venue.cancel_asked:
        assert ours in (OrderStatus.CANCELED, OrderStatus.REJECTED)
        assert theirs is None or theirs.status is OrderStatus.CANCELED
    else:
        assert ours is OrderStatus.ACCEPTED
        assert theirs is not None
        assert theirs.status is OrderStatus.ACCEPTED
    rebuilt, _ = oms(venue, SimulatedClock(T0))
    rebuilt.restore(list(log.events))
    assert rebuilt.orders[cid].status is ours
    assert rebuilt.is_cancel_asked(cid) == manager.is_cancel_asked(cid)
