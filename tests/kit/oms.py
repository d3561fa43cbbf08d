"""Builders for OMS tests: an in-memory journal, a kill switch in a state, approvals, bars, and a
paper venue whose cancels meet scripted fates."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from aiswarm.clock import SimulatedClock
from aiswarm.errors import TransientVenueError
from aiswarm.execution import OrderManager
from aiswarm.execution.venue import ExecutionReport, RejectCode, ReportKind, VenueAck
from aiswarm.risk import (
    ApprovalSigner,
    ApprovalVerifier,
    Approved,
    HmacKeyring,
    KillSwitch,
    KillTrigger,
    NonceLedger,
    TripCause,
)
from aiswarm.types import Bar, ClientOrderId, OrderSpec, TradingState
from aiswarm.venues import PaperVenue
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument

KEYRING = HmacKeyring({"k1": b"k" * 32}, "k1")
UNPRICED_NOTIONAL = Decimal("10000")
"""What a market order with no known price counts toward exposure (the default order cap)."""


class ListJournal:
    """Keeps (type, payload) in append order; optionally yields to the loop on each append."""

    def __init__(self, yield_each: bool = False) -> None:
        self.events: list[tuple[str, Mapping[str, Any]]] = []
        self._yield = yield_each

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> None:
        self.events.append((event_type, payload))
        if self._yield:
            await asyncio.sleep(0)

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        self.events.extend(items)
        if self._yield:
            await asyncio.sleep(0)

    def types(self) -> list[str]:
        return [event_type for event_type, _ in self.events]


def switch_in(state: TradingState, latched: bool = False) -> KillSwitch:
    """Return a kill switch in ``state`` (latched by a manual trip when asked)."""
    switch = KillSwitch(("ops",))
    switch.apply(switch.propose(KillTrigger.ENABLE, reason="test", ts_ns=0))
    if state is TradingState.REDUCING:
        switch.apply(switch.propose(KillTrigger.REDUCE, reason="test", ts_ns=0))
    if latched or state is TradingState.HALTED:
        switch.apply(
            switch.propose(KillTrigger.TRIP, reason="test", ts_ns=0, cause=TripCause.MANUAL)
        )
    return switch


def oms(
    venue: Any,
    clock: SimulatedClock,
    *,
    journal: ListJournal | None = None,
    switch: KillSwitch | None = None,
    nonces: NonceLedger | None = None,
    **options: Any,
) -> tuple[OrderManager, ListJournal]:
    """Return an OMS over ``venue`` with an in-memory journal and an ACTIVE switch."""
    chosen = journal or ListJournal()
    manager = OrderManager(
        account=ACCOUNT,
        venue=venue,
        verifier=ApprovalVerifier(KEYRING, max_skew_ns=10**9),
        nonces=nonces or NonceLedger(),
        journal=chosen,
        clock=clock,
        gate=switch or switch_in(TradingState.ACTIVE),
        **({"unpriced_order_notional_usd": UNPRICED_NOTIONAL} | options),
    )
    return manager, chosen


def approve(spec: OrderSpec, clock: SimulatedClock, ttl_s: int = 5) -> Approved[OrderSpec]:
    """Return ``spec`` approved now by the test keyring."""
    return ApprovalSigner(KEYRING.signer(), ttl_ns=ttl_s * 10**9).approve(spec, clock.now_ns())


def bar(clock: SimulatedClock, price: str = "50000") -> Bar:
    """Return a flat BTC/USDT bar opening now."""
    value = Decimal(price)
    return Bar(
        venue=VENUE,
        symbol=SYMBOL,
        ts_ns=clock.now_ns(),
        interval_s=60,
        open=value,
        high=value,
        low=value,
        close=value,
        volume=Decimal("100"),
    )


_REFUSED_IN_ACK = {
    "refused": RejectCode.VENUE_ERROR,  # rate limited, say
    "unknown": RejectCode.UNKNOWN_ORDER,
    "closed": RejectCode.ORDER_CLOSED,
}


class ScriptedCancelVenue(PaperVenue):
    """A paper venue whose cancels each meet the next scripted fate (taken once it runs out).

    Fates: ``taken``; ``timeout`` (raises ``TransientVenueError``); ``refused``, ``unknown`` and
    ``closed`` (refused in the ack with VENUE_ERROR, UNKNOWN_ORDER or ORDER_CLOSED);
    ``rejected_report`` (the ack takes it, then a CANCEL_REJECTED report refuses it while the
    order keeps working). ``asked`` counts the cancels asked.
    """

    def __init__(self, clock: SimulatedClock, fates: Iterable[str]) -> None:
        super().__init__(VENUE, {SYMBOL: instrument()}, clock)
        self.fates = list(fates)
        self.asked = 0
        self._refusals: list[ExecutionReport] = []

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        self.asked += 1
        fate = self.fates.pop(0) if self.fates else "taken"
        now = self._clock.now_ns()
        if fate == "timeout":
            raise TransientVenueError("cancel timed out")
        if fate in _REFUSED_IN_ACK:
            return VenueAck(
                client_order_id=client_order_id,
                accepted=False,
                ts_ns=now,
                code=_REFUSED_IN_ACK[fate],
                reason=fate,
            )
        if fate == "rejected_report":
            self._refusals.append(
                ExecutionReport(
                    kind=ReportKind.CANCEL_REJECTED,
                    venue=VENUE,
                    ts_ns=now,
                    client_order_id=client_order_id,
                    symbol=SYMBOL,
                    code=RejectCode.UNKNOWN_ORDER,
                    reason="unknown to the matching engine yet",
                )
            )
            return VenueAck(client_order_id=client_order_id, accepted=True, ts_ns=now)
        return await super().cancel(client_order_id)

    def drain_reports(self) -> list[ExecutionReport]:
        refusals, self._refusals = self._refusals, []
        return super().drain_reports() + refusals
