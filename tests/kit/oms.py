"""Builders for OMS tests: an in-memory journal, a kill switch in a state, approvals, bars."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from aiswarm.clock import SimulatedClock
from aiswarm.execution import OrderManager
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
from aiswarm.types import Bar, OrderSpec, TradingState
from kit.builders import ACCOUNT, SYMBOL, VENUE

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
