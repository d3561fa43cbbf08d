"""Act on the kill switch: record every change first, then cancel, then flatten while owed.

A trip, an operator's stop, a reset and an enable are each appended to the journal as
``kill_switch.changed`` before they take effect (write ahead), so a restart rebuilds the switch
exactly, latch included. On a trip the OMS is asked to cancel every resting order. While the
switch is latched and ``RiskLimits.flatten_on_trip`` is set, every check (every step) carries
out the flatten duty (see ``flatten_duty``) until the account is flat or an authorised operator
stops it.

Serialised: the loop's check and operators' commands may run concurrently (the API serves
commands while a step is under way), so one lock is held from proposing a change, through
recording and applying it, to the cancel a trip sets off, and around each flatten pass. A
change is therefore always proposed from the state the previous one left, validated before it
is written, and never refused after it is journaled. A trip always wins over an enable: an
ENABLE queued behind a trip is refused (latched), and an ENABLE that got in first is followed
by the loop's check, which trips from ACTIVE.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aiswarm.clock import Clock
from aiswarm.errors import InvalidTransition
from aiswarm.execution import EventJournal, OrderManager
from aiswarm.orchestration.flatten_duty import FlattenDuty, FlattenInputs
from aiswarm.orchestration.order_pipeline import OrderPipeline, Placement
from aiswarm.risk import (
    Authorisation,
    KillSwitch,
    KillSwitchChange,
    KillTrigger,
    RiskLimits,
    TripCause,
)
from aiswarm.types import EventType, PortfolioSnapshot, Position

__all__ = ["KILL_SWITCH_CHANGED", "KillSwitchControl"]

# An alias kept for runtime/spine.py, which is being rewritten; new code uses the EventType member.
KILL_SWITCH_CHANGED = EventType.KILL_SWITCH_CHANGED
_log = logging.getLogger(__name__)


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
        self._journal = journal
        self._clock = clock
        self._lock = asyncio.Lock()
        self._duty = FlattenDuty(limits, oms, pipeline, journal, clock)

    def flatten_owed(self) -> bool:
        """Return whether each check must still try to close positions (latched, not stopped)."""
        return (
            self._limits.flatten_on_trip
            and self.switch.is_latched()
            and not self._duty.is_stopped()
        )

    def restore(self, records: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Take back from the journal what the switch does not hold: a stopped flatten."""
        self._duty.restore(records)

    async def _record(self, change: KillSwitchChange) -> None:
        """Validate ``change`` against the switch now, append it durably, then apply it.

        The caller holds the lock, so nothing moves the switch between the three.
        """
        self.switch.validate(change)
        await self._journal.append(EventType.KILL_SWITCH_CHANGED, change.model_dump(mode="json"))
        self.switch.apply(change)
        _log.log(
            logging.WARNING if change.trigger is KillTrigger.TRIP else logging.INFO,
            "kill switch changed",
            extra={
                "trigger": change.trigger.value,
                "from_state": change.from_state.value,
                "to_state": change.to_state.value,
                "latched": change.latched,
                "cause": None if change.cause is None else change.cause.value,
                "operator_id": change.operator_id,
                "reason": change.reason,
            },
        )
        if change.trigger is KillTrigger.TRIP:
            self._duty.arm()

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
        async with self._lock:
            change = self.switch.propose(
                trigger,
                reason=reason,
                ts_ns=self._clock.now_ns(),
                cause=cause,
                authorisation=authorisation,
            )
            await self._record(change)
            if trigger is KillTrigger.TRIP:
                await self._oms.cancel_all(f"kill switch: {reason}")
        return change

    async def stop_flatten(self, authorisation: Authorisation) -> None:
        """Stop the flatten a trip owes, for an authorised operator, until the next trip.

        Raises UnauthorisedReset (as a reset does) for an operator not authorised, and
        InvalidTransition when no flatten is owed.
        """
        async with self._lock:
            operator_id = self.switch.authorised_operator(authorisation)
            if not self.flatten_owed():
                raise InvalidTransition(
                    f"no flatten to stop: latched={str(self.switch.is_latched()).lower()} "
                    f"flatten_on_trip={str(self._limits.flatten_on_trip).lower()} "
                    f"stopped={str(self._duty.is_stopped()).lower()}"
                )
            await self._duty.stop(operator_id, authorisation.reason)

    async def check(
        self,
        snapshot: PortfolioSnapshot | None,
        flatten_inputs: Callable[[Position], FlattenInputs] | None = None,
    ) -> tuple[KillSwitchChange | None, list[Placement]]:
        """Trip if a limit is breached (then cancel resting orders); flatten while owed.

        ``snapshot`` is None when the book cannot be valued (a held position has no price):
        then only the limits that need no NAV are judged, and no flatten is placed.
        Returns the change (None when nothing tripped) and this step's flattening placements.
        """
        async with self._lock:
            change = self.switch.evaluate(
                snapshot,
                self._limits,
                self._oms.activity.consecutive_rejections,
                self._clock.now_ns(),
            )
            if change is not None:
                await self._record(change)
                await self._oms.cancel_all(f"kill switch tripped: {change.reason}")
            placements: list[Placement] = []
            if snapshot is not None and flatten_inputs is not None and self.flatten_owed():
                placements = await self._duty.run(snapshot, flatten_inputs)
        return change, placements
