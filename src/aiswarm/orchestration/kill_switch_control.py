"""Act on the kill switch: record every change first, then cancel, then (optionally) flatten.

A trip, an operator's stop, a reset and an enable are each appended to the journal as
``kill_switch.changed`` before they take effect (write ahead), so a restart rebuilds the switch
exactly, latch included. On a trip the OMS is asked to cancel every resting order; when
``RiskLimits.flatten_on_trip`` is set, every open position is closed with a reduce-only market
order that still goes through the guard chain, the approval and the OMS like any other order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from aiswarm.clock import Clock
from aiswarm.execution import EventJournal, OrderManager
from aiswarm.orchestration.order_pipeline import OrderPipeline, Placement
from aiswarm.risk import (
    Authorisation,
    KillSwitch,
    KillSwitchChange,
    KillTrigger,
    MarketView,
    RiskLimits,
    TripCause,
)
from aiswarm.types import (
    EventType,
    Instrument,
    Mandate,
    OrderIntent,
    OrderType,
    PortfolioSnapshot,
    Position,
    Side,
    TimeInForce,
)

__all__ = ["KILL_SWITCH_CHANGED", "FlattenInputs", "KillSwitchControl"]

# An alias kept for runtime/spine.py, which is being rewritten; new code uses the EventType member.
KILL_SWITCH_CHANGED = EventType.KILL_SWITCH_CHANGED


@dataclass(frozen=True, slots=True)
class FlattenInputs:
    """What the guard chain needs to judge the closing order of one position."""

    instrument: Instrument | None
    mandate: Mandate | None
    market: MarketView | None
    mandate_exposure_usd: Decimal | None


class KillSwitchControl:
    """Drive the kill switch: evaluate, operator commands, and what a trip sets off."""

    def __init__(
        self,
        switch: KillSwitch,
        limits: RiskLimits,
        oms: OrderManager,
        pipeline: OrderPipeline,
        journal: EventJournal,
        clock: Clock,
    ) -> None:
        self.switch = switch
        self._limits = limits
        self._oms = oms
        self._pipeline = pipeline
        self._journal = journal
        self._clock = clock

    async def record(self, change: KillSwitchChange) -> None:
        """Append ``change`` durably, then make it take effect."""
        await self._journal.append(EventType.KILL_SWITCH_CHANGED, change.model_dump(mode="json"))
        self.switch.apply(change)

    async def command(
        self,
        trigger: KillTrigger,
        reason: str,
        authorisation: Authorisation | None = None,
        cause: TripCause | None = None,
    ) -> KillSwitchChange:
        """Carry out an operator's ENABLE, REDUCE, RESET or manual TRIP (refused if illegal).

        A TRIP's ``cause`` is MANUAL unless the runtime names another (an accounting break).
        """
        if trigger is KillTrigger.TRIP and cause is None:
            cause = TripCause.MANUAL
        change = self.switch.propose(
            trigger,
            reason=reason,
            ts_ns=self._clock.now_ns(),
            cause=cause,
            authorisation=authorisation,
        )
        await self.record(change)
        if trigger is KillTrigger.TRIP:
            await self._oms.cancel_all(f"kill switch: {reason}")
        return change

    async def check(
        self,
        snapshot: PortfolioSnapshot,
        flatten_inputs: Callable[[Position], FlattenInputs] | None = None,
    ) -> tuple[KillSwitchChange | None, list[Placement]]:
        """Trip if a limit is breached; then cancel resting orders and flatten if configured.

        Returns the change (None when nothing tripped) and the flattening placements.
        """
        change = self.switch.evaluate(
            snapshot,
            self._limits,
            self._oms.activity.consecutive_rejections,
            self._clock.now_ns(),
        )
        if change is None:
            return None, []
        await self.record(change)
        await self._oms.cancel_all(f"kill switch tripped: {change.reason}")
        placements: list[Placement] = []
        if self._limits.flatten_on_trip and flatten_inputs is not None:
            placements = await self.flatten(snapshot, flatten_inputs)
        return change, placements

    async def flatten(
        self,
        snapshot: PortfolioSnapshot,
        flatten_inputs: Callable[[Position], FlattenInputs],
    ) -> list[Placement]:
        """Close every open position not already being closed by a working reduce-only order.

        A trip calls it at once; after a restart that found the switch latched with positions
        still open (the process died between the trip and its flattening), the runtime calls it
        again, and a position already being closed is left to that order.
        """
        closing = {order.spec.symbol for order in self._oms.open_orders() if order.spec.reduce_only}
        placements: list[Placement] = []
        for position in snapshot.positions:
            if not position.is_flat and position.symbol not in closing:
                placements.append(await self._flatten(snapshot, position, flatten_inputs(position)))
        return placements

    async def _flatten(
        self, snapshot: PortfolioSnapshot, position: Position, inputs: FlattenInputs
    ) -> Placement:
        mandate_id = inputs.mandate.mandate_id if inputs.mandate is not None else None
        intent = OrderIntent(
            mandate_id=mandate_id or "kill-switch",
            account=position.account,
            venue=position.venue,
            symbol=position.symbol,
            side=Side.SELL if position.quantity > 0 else Side.BUY,
            order_type=OrderType.MARKET,
            quantity=abs(position.quantity),
            time_in_force=TimeInForce.IOC,
            reduce_only=True,
            reason="kill switch flatten",
            ts_event=self._clock.now(),
        )
        return await self._pipeline.place(
            intent,
            instrument=inputs.instrument,
            portfolio=snapshot,
            mandate=inputs.mandate,
            market=inputs.market,
            mandate_exposure_usd=inputs.mandate_exposure_usd,
        )
