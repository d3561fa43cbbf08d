"""Wire the safety spine for one account and rebuild it from the event store after a restart.

``open_spine`` is the only place the spine's parts are built: keyring and signer (from the
approval secret, see ``approval_keys``), verifier and nonce ledger, kill switch, risk engine,
OMS, order pipeline and portfolio. Before it returns, an Ed25519 public key not yet in the log is
recorded, the journal is replayed (kill-switch changes, deposits, orders,
nonces, fills) and every open order is reconciled with the venue, so a crash at any point
leaves no duplicate order and positions equal what the recorded fills imply. A flatten a trip
still owes comes back from the same journal: the latch from ``kill_switch.changed``, an
operator's stop from ``kill_switch.flatten_stopped``; the engine's next step carries it on.

A fill the venue made that the books cannot take (a spot sale of more than is held, a trade id
reused with other terms, a fee in a foreign currency, an unknown instrument), or a funding
payment it reported that they cannot take (funding on a symbol booked as spot), is held aside
by the portfolio as a break, so neither the OMS nor a replay of the journal ever fails on it.
``Spine.halt_on_breaks`` then trips the kill switch, naming the fill or payment, and records
``portfolio.break`` for operators to alert on; it runs at every restart and every step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from aiswarm.clock import Clock, from_ns
from aiswarm.execution import EventJournal, ExecutionReport, OrderManager, SessionPause, Venue
from aiswarm.orchestration import KILL_SWITCH_CHANGED, KillSwitchControl, OrderPipeline
from aiswarm.portfolio import Portfolio
from aiswarm.risk import (
    Algorithm,
    ApprovalVerifier,
    KillSwitch,
    KillSwitchChange,
    KillTrigger,
    NonceLedger,
    RiskEngine,
    RiskLimits,
    TripCause,
)
from aiswarm.runtime.accounting_breaks import (
    BreakKey,
    break_key,
    break_payload,
    break_reason,
    recorded_break_key,
)
from aiswarm.runtime.approval_keys import record_public_key
from aiswarm.runtime.approval_rotation import ApprovalKeyRotation
from aiswarm.store import EventStore
from aiswarm.types import (
    AccountId,
    EventType,
    Fill,
    Instrument,
    Symbol,
    VenueId,
)

__all__ = [
    "BASELINE",
    "DEPOSIT",
    "JournalRecords",
    "Spine",
    "account_records",
    "assemble_spine",
    "baseline_payload",
    "open_spine",
]

DEPOSIT = EventType.PORTFOLIO_DEPOSIT
BASELINE = EventType.PORTFOLIO_BASELINE
BREAK = EventType.PORTFOLIO_BREAK

_log = logging.getLogger(__name__)


def baseline_payload(
    peak_nav: Decimal | None, day: date | None, day_open_nav: Decimal | None
) -> dict[str, Any]:
    """Return the ``portfolio.baseline`` record: peak NAV and the UTC day's opening NAV."""
    return {
        "peak_nav": None if peak_nav is None else str(peak_nav),
        "day": None if day is None else day.isoformat(),
        "day_open_nav": None if day_open_nav is None else str(day_open_nav),
    }


def baseline_from_payload(
    payload: Mapping[str, Any],
) -> tuple[Decimal | None, date | None, Decimal | None]:
    """Return the (peak NAV, day, day-open NAV) a ``portfolio.baseline`` record holds."""
    peak, day, day_open = payload.get("peak_nav"), payload.get("day"), payload.get("day_open_nav")
    return (
        None if peak is None else Decimal(peak),
        None if day is None else date.fromisoformat(day),
        None if day_open is None else Decimal(day_open),
    )


_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Spine:
    """The wired safety spine; ``pipeline.place`` is the one way to trade.

    ``reported_breaks`` names the fills and funding payments held aside for which trading was
    halted and ``portfolio.break`` recorded (see ``accounting_breaks``); a restart reads it back
    from those records.
    """

    engine: RiskEngine
    oms: OrderManager
    pipeline: OrderPipeline
    kill_switch: KillSwitchControl
    portfolio: Portfolio
    journal: EventJournal
    pause: SessionPause
    keys: ApprovalKeyRotation
    reported_breaks: set[BreakKey] = field(default_factory=set)

    async def deposit(self, amount: Decimal) -> None:
        """Record a deposit of quote currency, then credit it (paper and backtest funding).

        The record carries the NAV just before it, the unit price the deposit buys at, so a
        replay moves the drawdown baselines as this did (see ``portfolio.baselines``).
        """
        if not amount > 0:
            raise ValueError(f"deposit amount={amount} is not positive: pass an amount above 0")
        nav = self.portfolio.nav()
        await self.journal.append(DEPOSIT, {"amount": str(amount), "nav": str(nav)})
        self.portfolio.transfer(amount, nav)

    async def halt_on_breaks(self) -> int:
        """Halt trading for every break held aside and not yet reported; return how many.

        For each fill or funding payment held aside: trip the kill switch (cause
        ``accounting_break``, the reason naming it), then record ``portfolio.break``. In this
        order a crash between the two trips again at the restart rather than never.
        """
        breaks = self.portfolio.breaks
        if not breaks:
            return 0
        reported = self.reported_breaks
        halted = 0
        for broken in breaks:
            key = break_key(broken)
            if key in reported:
                continue
            reason = break_reason(broken)
            _log.error("halting trading: %s", reason)
            await self.kill_switch.command(
                KillTrigger.TRIP, reason, cause=TripCause.ACCOUNTING_BREAK
            )
            await self.journal.append(BREAK, break_payload(broken))
            reported.add(key)
            halted += 1
        return halted


def assemble_spine(
    *,
    journal: EventJournal,
    venue: Venue,
    clock: Clock,
    account: AccountId,
    instruments: Mapping[Symbol, Instrument],
    approval_secret: bytes,
    limits: RiskLimits,
    switch: KillSwitch,
    approval_ttl_s: float = 5.0,
    max_skew_s: float = 1.0,
    order_ttl_s: float | None = None,
    algorithm: Algorithm = Algorithm.HMAC_SHA256,
    kept_fills: list[Fill] | None = None,
    approval_keys: ApprovalKeyRotation | None = None,
) -> Spine:
    """Build the spine's parts over ``journal`` and ``venue``; nothing is replayed or recorded.

    ``order_ttl_s`` cancels resting (non-market) orders that long after they were sent;
    ``algorithm`` chooses how approvals are signed (see ``approval_keys.signing_keys``).
    ``kept_fills``, when given, receives every fill the OMS books, in booking order (after its
    record is journaled): a backtest builds its result from it instead of re-reading the log.
    ``approval_keys`` is the host's key rotation (shared by its accounts); without one the spine
    signs with the secret's first key, for good (a backtest).
    """
    keys = approval_keys or ApprovalKeyRotation(
        approval_secret,
        algorithm,
        approval_ttl_ns=round(approval_ttl_s * _NS),
        max_skew_ns=round(max_skew_s * _NS),
    )
    verifier = ApprovalVerifier(keys.verifier, max_skew_ns=round(max_skew_s * _NS))
    engine = RiskEngine(keys.signer(), limits, switch, clock)
    keys.attach(engine, journal)
    portfolio = Portfolio(account)
    by_key: dict[tuple[VenueId, Symbol], Instrument] = {
        (instrument.venue, instrument.symbol): instrument for instrument in instruments.values()
    }

    def book(fill: Fill) -> None:
        # Never raises: a fill the books cannot take is held aside (see ``halt_on_breaks``).
        portfolio.take_fill(fill, by_key.get((fill.venue, fill.symbol)))
        if kept_fills is not None:
            kept_fills.append(fill)

    def pay(report: ExecutionReport) -> None:
        # Never raises: a payment the books cannot take is held aside (see ``halt_on_breaks``).
        assert report.symbol is not None
        assert report.amount is not None
        portfolio.take_funding_payment(
            report.venue, report.symbol, amount=report.amount, ts=from_ns(report.ts_ns)
        )

    pause = SessionPause()
    oms = OrderManager(
        account=account,
        venue=venue,
        pause=pause,
        verifier=verifier,
        nonces=NonceLedger(),
        journal=journal,
        clock=clock,
        gate=switch,
        unpriced_order_notional_usd=limits.max_order_notional_usd,
        on_fill=book,
        on_funding=pay,
        order_ttl_s=order_ttl_s,
        flatten_on_trip=limits.flatten_on_trip,
        max_skew_s=max_skew_s,
    )
    pipeline = OrderPipeline(engine, oms, journal)
    control = KillSwitchControl(switch, limits, oms, pipeline, journal, clock)
    return Spine(engine, oms, pipeline, control, portfolio, journal, pause, keys)


JournalRecords = Sequence[tuple[str, Mapping[str, Any]]]
"""One account's journal as ``(type, payload)`` pairs, oldest first."""


async def account_records(
    store: EventStore, account: AccountId
) -> list[tuple[str, Mapping[str, Any]]]:
    """Read every record of ``account``'s stream, oldest first."""
    return [(event.type, event.payload) async for event in store.replay(account=account)]


async def open_spine(
    *,
    store: EventStore,
    venue: Venue,
    clock: Clock,
    account: AccountId,
    instruments: Mapping[Symbol, Instrument],
    approval_secret: bytes,
    limits: RiskLimits,
    operators: Container[str] = (),
    approval_ttl_s: float = 5.0,
    max_skew_s: float = 1.0,
    order_ttl_s: float | None = None,
    algorithm: Algorithm = Algorithm.HMAC_SHA256,
    records: JournalRecords | None = None,
    before_reconcile: Callable[[Spine], None] | None = None,
    approval_keys: ApprovalKeyRotation | None = None,
    resend_at_reconcile: bool = True,
) -> Spine:
    """Build ``account``'s spine over ``store`` and ``venue``, replay its journal, reconcile.

    ``records`` is the account's journal when the caller has read it already. A simulated
    venue takes its book back in ``before_reconcile`` (see ``venues.restored_book``): it runs
    after the journal is replayed and before the OMS asks the venue about its open orders.
    Without ``resend_at_reconcile`` orders the venue never saw are held for the OMS's next
    pass (a live start sends nothing before its checks pass).
    """
    if records is None:
        records = await account_records(store, account)

    changes = [KillSwitchChange.model_validate(p) for t, p in records if t == KILL_SWITCH_CHANGED]
    spine = assemble_spine(
        journal=store.journal(account),
        venue=venue,
        clock=clock,
        account=account,
        instruments=instruments,
        approval_secret=approval_secret,
        limits=limits,
        switch=KillSwitch.from_changes(changes, operators),
        approval_ttl_s=approval_ttl_s,
        max_skew_s=max_skew_s,
        order_ttl_s=order_ttl_s,
        algorithm=algorithm,
        approval_keys=approval_keys,
    )
    await record_public_key(spine.journal, records, spine.keys.signing)
    portfolio = spine.portfolio

    def replay_other(event_type: str, payload: Mapping[str, Any]) -> None:
        # In journal order, so a deposit made after a checkpoint still moves the baselines.
        if event_type == DEPOSIT:
            # A record written before deposits carried the NAV has none; those were made when
            # the account opened, before any baseline, when no NAV is needed.
            nav = payload.get("nav")
            portfolio.transfer(Decimal(payload["amount"]), None if nav is None else Decimal(nav))
        elif event_type == BASELINE:
            portfolio.restore_baselines(*baseline_from_payload(payload))
        elif event_type == BREAK:
            spine.reported_breaks.add(recorded_break_key(payload))

    spine.oms.restore(records, replay_other)
    spine.kill_switch.restore(records)
    if before_reconcile is not None:
        before_reconcile(spine)
    # A break replayed but never reported (a crash came first) halts before anything is resent.
    await spine.halt_on_breaks()
    await spine.oms.reconcile(resend=resend_at_reconcile)
    await spine.halt_on_breaks()
    if spine.kill_switch.switch.is_latched():
        # A cancel asked before the restart may never have reached the venue: ask again.
        await spine.oms.cancel_all("kill switch latched at restart")
    return spine
