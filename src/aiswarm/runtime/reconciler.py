"""Reconcile one engine's book with its venue's, at start and every ``interval_min``.

Each round reads the engine's side (open orders from the OMS, positions from the portfolio,
cash in the quote currency) and asks the venue (``VenueHoldings``) for its side, each query
bounded by ``query_timeout_s``: one that raises or times out is *unknown* for that section,
never an empty book (``monitoring.reconciliation``). The report is appended to the account's
stream as ``reconciliation.report`` before anything is done about it (write ahead), then:

* ``alert``: a warning is logged and every alert hook is called (metrics and the Alertmanager
  notifier attach here);
* ``halt``: the alert, then the kill switch is tripped (cause ``reconciliation``) with the
  report's reason, unless it is already latched.

Crash-only: the last report and the run of rounds with an unknown venue come back from the
stream at start (``restore``), so a restart neither forgets nor resets a drift that was growing.
Nothing here corrects a book: the report says what differs, a person decides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import aclosing
from decimal import Decimal
from typing import Any, TypeVar

from aiswarm.config.operations import ReconciliationConfig
from aiswarm.monitoring.reconciliation import (
    Action,
    Answered,
    EngineBook,
    Failed,
    NotOffered,
    OrderView,
    ReconciliationReport,
    Thresholds,
    VenueBook,
    compare,
)
from aiswarm.risk import KillTrigger, TripCause
from aiswarm.runtime.engine import TradingEngine
from aiswarm.runtime.venue_holdings import VenueHoldings
from aiswarm.store import EventStore
from aiswarm.types import EventType

__all__ = ["RECONCILIATION_REPORT", "AlertHook", "Reconciler", "thresholds_from"]

RECONCILIATION_REPORT = EventType.RECONCILIATION_REPORT
_NS_PER_MIN = 60_000_000_000
_log = logging.getLogger(__name__)
T = TypeVar("T")

AlertHook = Callable[[ReconciliationReport], None]
"""Called with every report whose action is alert or halt (must not block)."""
ReportHook = Callable[[ReconciliationReport], None]
"""Called with every recorded report, clean ones included (metrics: the drift gauge)."""


def thresholds_from(config: ReconciliationConfig) -> Thresholds:
    """Return the monitoring room's thresholds from the config section."""
    return Thresholds(
        alert_at_mismatches=config.alert_at_mismatches,
        halt_at_mismatches=config.halt_at_mismatches,
        halt_at_unknown_rounds=config.halt_at_unknown_rounds,
        position_tolerance_steps=config.position_tolerance_steps,
    )


class Reconciler:
    """Compare, record, act; see the module docstring."""

    def __init__(
        self,
        engine: TradingEngine,
        holdings: VenueHoldings,
        config: ReconciliationConfig,
    ) -> None:
        self._engine = engine
        self._holdings = holdings
        self._config = config
        self._thresholds = thresholds_from(config)
        self._interval_ns = int(config.interval_min * _NS_PER_MIN)
        self.alert_hooks: list[AlertHook] = []
        self.report_hooks: list[ReportHook] = []
        self.last: ReconciliationReport | None = None
        self._rounds = 0  # reports recorded for this account, for the report id
        # One round at a time: the loop's scheduled round and an operator's may meet.
        self._lock = asyncio.Lock()

    async def restore(self, store: EventStore) -> None:
        """Take back the last report (and the count of reports) from the account's stream."""
        replay = store.replay(types=[RECONCILIATION_REPORT], account=self._engine.account)
        async with aclosing(replay) as events:
            async for event in events:
                self._rounds += 1
                self.last = ReconciliationReport.model_validate(event.payload)

    def is_due(self) -> bool:
        """Return whether ``interval_min`` of decision time passed since the last report."""
        last = self.last
        return last is None or self._engine.clock.now_ns() - last.ts_ns >= self._interval_ns

    async def reconcile_if_due(self) -> ReconciliationReport | None:
        """Run a round if one is due; return its report (None when none was due)."""
        return await self.reconcile() if self.is_due() else None

    async def reconcile(self) -> ReconciliationReport:
        """Run one round: compare, record the report, then alert or halt as it says."""
        async with self._lock:
            return await self._round()

    async def _round(self) -> ReconciliationReport:
        engine = self._engine
        venue_book = VenueBook(
            open_orders=await self._ask(self._venue_orders),
            positions=await self._ask(self._holdings.positions),
            balances=await self._ask(self._holdings.balances),
        )
        previous = self.last
        report = compare(
            account=engine.account,
            venue=str(engine.venue.venue_id),
            ts_ns=engine.clock.now_ns(),
            engine=self._engine_book(),
            venue_book=venue_book,
            step_sizes={s: i.step_size for s, i in engine.instruments.items()},
            thresholds=self._thresholds,
            unknown_rounds_before=0 if previous is None else previous.unknown_rounds,
            round_number=self._rounds,
        )
        await engine.journal.append(RECONCILIATION_REPORT, report.model_dump(mode="json"))
        self._rounds += 1
        self.last = report
        for hook in self.report_hooks:
            hook(report)
        await self._act(report)
        return report

    async def _act(self, report: ReconciliationReport) -> None:
        if report.action is Action.NONE:
            return
        _log.warning(
            "reconciliation drift: action=%s reason=%s mismatches=%d report=%s",
            report.action.value,
            report.action_reason,
            len(report.mismatches),
            report.report_id,
        )
        for hook in self.alert_hooks:
            hook(report)
        control = self._engine.spine.kill_switch
        if report.action is Action.HALT and not control.switch.is_latched():
            reason = f"{report.action_reason} (report {report.report_id})"
            await control.command(KillTrigger.TRIP, reason, cause=TripCause.RECONCILIATION)

    def _engine_book(self) -> EngineBook:
        engine = self._engine
        orders = {
            str(order.client_order_id): OrderView(
                symbol=str(order.spec.symbol),
                side=order.spec.side.value,
                quantity=order.spec.quantity,
                filled_quantity=order.filled_quantity,
            )
            for order in engine.spine.oms.open_orders()
        }
        positions: dict[str, Decimal] = {}
        for series in engine.market:
            position = engine.spine.portfolio.position(series.venue, series.symbol)
            if position is not None and position.quantity != 0:
                positions[str(series.symbol)] = position.quantity
        quotes = {instrument.quote for instrument in engine.instruments.values()}
        balances = {quote: engine.spine.portfolio.cash for quote in quotes} if quotes else {}
        return EngineBook(open_orders=orders, positions=positions, balances=balances)

    async def _venue_orders(self) -> Mapping[str, OrderView]:
        return {
            str(order.client_order_id): OrderView(
                symbol=str(order.spec.symbol),
                side=order.spec.side.value,
                quantity=order.spec.quantity,
                filled_quantity=order.filled_quantity,
            )
            for order in await self._holdings.open_orders()
        }

    async def _ask(
        self, query: Callable[[], Awaitable[Mapping[Any, T] | None]]
    ) -> Answered[Mapping[str, T]] | Failed | NotOffered:
        """Run one venue query within the timeout; a failure is unknown, never empty."""
        timeout_s = self._config.query_timeout_s
        try:
            answer = await asyncio.wait_for(query(), timeout_s)
        except TimeoutError:
            return Failed(f"no answer within query_timeout_s={timeout_s:g}")
        except Exception as exc:  # noqa: BLE001 - a failed query is unknown; the round goes on
            return Failed(f"{type(exc).__name__}: {exc}")
        if answer is None:
            return NotOffered()
        return Answered({str(key): value for key, value in answer.items()})
