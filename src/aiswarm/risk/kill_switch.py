"""Hold the trading state (ACTIVE, REDUCING, HALTED) and the latched kill switch.

No I/O, except a warning logged when a replay meets a change an older version recorded and
then refused (see ``from_changes``).

The state moves only through ``TRANSITIONS``, one row per legal move, and only in two steps so
the event store stays ahead of the state (write ahead):

    change = switch.propose(trigger, ...)   # or switch.evaluate(snapshot, limits, ...)
    store.append(change)                    # the caller records the change first
    switch.apply(change)                    # then it takes effect

``from_changes`` rebuilds the switch after a restart by applying the stored changes in order.
The caller serialises propose, record and apply (``KillSwitchControl`` holds one lock around
them), so every change it records starts from the state the previous one left.

Rules beyond the table:

* The switch starts HALTED and unlatched: nothing trades until config or an operator ENABLEs.
* TRIP (daily loss, drawdown, circuit breaker, accounting break, manual) always lands in HALTED
  and latches.
  While latched, ENABLE and REDUCE are refused and ``evaluate`` proposes nothing: a recovering
  PnL never un-trips the switch.
* RESET clears the latch and leaves the state HALTED; trading resumes only with a separate,
  recorded ENABLE. RESET needs an ``Authorisation`` from an operator in
  ``authorised_operators`` with a non-empty reason; anything else raises ``UnauthorisedReset``.
  An empty ``authorised_operators`` means nobody can reset (fail closed).

What a trip sets off (cancel resting orders; when ``RiskLimits.flatten_on_trip`` is set, close
positions, every step until flat, with reduce-only orders that still pass the guard chain and
are signed) is the OMS's and the runtime's job (``orchestration.kill_switch_control`` and
``orchestration.flatten_duty``); each of those steps is recorded as its own event.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

from aiswarm.errors import InvalidTransition
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import ratio
from aiswarm.types import PortfolioSnapshot, TradingState
from aiswarm.types.money import plain

__all__ = [
    "TRANSITIONS",
    "Authorisation",
    "KillSwitch",
    "KillSwitchChange",
    "KillTrigger",
    "TripCause",
    "UnauthorisedReset",
]

_log = logging.getLogger(__name__)

_ACTIVE = TradingState.ACTIVE
_REDUCING = TradingState.REDUCING
_HALTED = TradingState.HALTED
_ZERO = Decimal(0)


class KillTrigger(StrEnum):
    """What moves the trading state."""

    ENABLE = "enable"  # config at start-up or an operator: trade freely
    REDUCE = "reduce"  # an operator: only orders that shrink positions
    TRIP = "trip"  # a breached limit or an operator's stop: halt and latch
    RESET = "reset"  # an authorised operator, with a reason: clear the latch


class TripCause(StrEnum):
    """Why the kill switch tripped."""

    DAILY_LOSS = "daily_loss"
    DRAWDOWN = "drawdown"
    CIRCUIT_BREAKER = "circuit_breaker"
    MANUAL = "manual"
    ACCOUNTING_BREAK = "accounting_break"  # a fill the books could not take (runtime/spine.py)
    RECONCILIATION = "reconciliation"  # the venue's book drifted past a threshold (runtime)
    DAILY_PNL = "daily_pnl"  # a configured daily profit target or loss limit in USD (runtime)


TRANSITIONS: Mapping[tuple[TradingState, KillTrigger], TradingState] = MappingProxyType(
    {
        (_HALTED, KillTrigger.ENABLE): _ACTIVE,  # refused while latched
        (_REDUCING, KillTrigger.ENABLE): _ACTIVE,
        (_ACTIVE, KillTrigger.REDUCE): _REDUCING,
        (_HALTED, KillTrigger.REDUCE): _REDUCING,  # unwind after a halt; refused while latched
        (_ACTIVE, KillTrigger.TRIP): _HALTED,
        (_REDUCING, KillTrigger.TRIP): _HALTED,
        (_HALTED, KillTrigger.TRIP): _HALTED,  # halted at boot and a limit breaks: latch it
        (_HALTED, KillTrigger.RESET): _HALTED,  # clears the latch only; ENABLE is its own step
    }
)
"""Every legal move: (state, trigger) -> next state. A pair not listed is refused."""


class UnauthorisedReset(InvalidTransition):
    """A RESET without an authorised operator and a reason; the latch stays on."""


@dataclass(frozen=True, slots=True)
class Authorisation:
    """Who resets the kill switch, and why. Checked by ``KillSwitch.propose``."""

    operator_id: str
    reason: str
    key_id: str | None = None
    """The API key the operator presented, when there was one (recorded beside the name)."""


class KillSwitchChange(BaseModel):
    """One recorded move of the kill switch: an event, appended before it takes effect.

    ``latched`` is the latch after the move. ``reason`` says why, with the numbers for an
    automatic trip (e.g. ``daily_loss=0.03 daily_pnl=-3000 start_of_day_nav=100000
    limit=0.02``). ``operator_id`` names who asked, for operator triggers, and
    ``operator_key_id`` the API key they presented (None without one). ``ts_ns`` is when it
    was decided, in nanoseconds since the Unix epoch (UTC).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_state: TradingState
    to_state: TradingState
    trigger: KillTrigger
    latched: bool
    cause: TripCause | None = None
    reason: str = Field(min_length=1)
    operator_id: str | None = None
    operator_key_id: str | None = None
    ts_ns: int = Field(ge=0)


def _breaches(
    snapshot: PortfolioSnapshot | None, limits: RiskLimits, consecutive_rejections: int
) -> list[tuple[TripCause, str]]:
    """Return every trip condition that holds, with the numbers that decided it.

    Without a snapshot (NAV unknown) only the circuit breaker can be judged.
    """
    found: list[tuple[TripCause, str]] = []
    if snapshot is not None:
        found.extend(_nav_breaches(snapshot, limits))
    if consecutive_rejections >= limits.kill_switch_rejections:
        found.append(
            (
                TripCause.CIRCUIT_BREAKER,
                f"rejections={consecutive_rejections} limit={limits.kill_switch_rejections}",
            )
        )
    return found


def _nav_breaches(snapshot: PortfolioSnapshot, limits: RiskLimits) -> list[tuple[TripCause, str]]:
    """Return the daily-loss and drawdown breaches of ``snapshot``."""
    found: list[tuple[TripCause, str]] = []
    pnl = snapshot.daily_pnl
    if pnl < _ZERO:
        # daily_pnl is the change in NAV since 00:00 UTC, so the day opened at nav - daily_pnl.
        opening = snapshot.nav - pnl
        limit = limits.max_daily_loss_frac
        if opening <= _ZERO:
            found.append(
                (
                    TripCause.DAILY_LOSS,
                    f"daily_pnl={plain(pnl)} start_of_day_nav={plain(opening)} "
                    "daily_loss=undefined",
                )
            )
        elif -pnl >= opening * limit:
            found.append(
                (
                    TripCause.DAILY_LOSS,
                    f"daily_loss={ratio(-pnl / opening)} daily_pnl={plain(pnl)} "
                    f"start_of_day_nav={plain(opening)} limit={plain(limit)}",
                )
            )
    peak = snapshot.peak_nav
    if peak > _ZERO:
        fall = peak - snapshot.nav
        limit = limits.max_drawdown_frac
        if fall >= peak * limit:
            found.append(
                (
                    TripCause.DRAWDOWN,
                    f"drawdown={ratio(fall / peak)} nav={plain(snapshot.nav)} "
                    f"peak_nav={plain(peak)} limit={plain(limit)}",
                )
            )
    return found


class KillSwitch:
    """The trading state and its latch. Starts HALTED and unlatched.

    Not safe for concurrent use on its own: ``KillSwitchControl`` holds one lock around
    propose, record and apply, so changes are made one at a time and in order.
    """

    def __init__(self, authorised_operators: Container[str] = ()) -> None:
        # Asked at every reset, not copied: the runtime passes a live view of the admin
        # principals (runtime.access_keys.AdminNames), so a revoked key counts at once.
        self._authorised = authorised_operators
        self._state = _HALTED
        self._latched = False

    @property
    def state(self) -> TradingState:
        """Return the current trading state."""
        return self._state

    def is_latched(self) -> bool:
        """Return whether the switch has tripped and not yet been reset."""
        return self._latched

    @classmethod
    def from_changes(
        cls, changes: Iterable[KillSwitchChange], authorised_operators: Container[str] = ()
    ) -> KillSwitch:
        """Return the switch as the recorded ``changes``, applied in order, left it.

        A journal written before changes were serialised may hold a change that was recorded
        and then refused as stale when applied (it was proposed from a state a racing change
        had already left). Such a change never took effect, so it is skipped with a warning,
        except a TRIP: a recorded trip was a breached limit or an operator's stop, so it
        latches the switch from whatever state it finds (fail closed; a trip always wins).

        Raises InvalidTransition for a change that starts from the current state and is legal
        there but says it leads elsewhere (a forged or corrupted record), and
        UnauthorisedReset for a RESET that names no operator.
        """
        switch = cls(authorised_operators)
        for change in changes:
            switch._replay(change)
        return switch

    def propose(
        self,
        trigger: KillTrigger,
        *,
        reason: str,
        ts_ns: int,
        cause: TripCause | None = None,
        authorisation: Authorisation | None = None,
    ) -> KillSwitchChange:
        """Return the change ``trigger`` would make now, without making it.

        Record the change, then ``apply`` it. TRIP needs a ``cause`` (MANUAL for an operator's
        stop); RESET needs an ``authorisation`` from an authorised operator with a reason.

        Raises:
            InvalidTransition: the table has no row for (state, trigger), or the latch forbids
                it (ENABLE or REDUCE while latched, RESET while not latched).
            UnauthorisedReset: RESET without an authorised operator and a reason.
        """
        if not reason.strip():
            raise ValueError(f"{trigger} needs a reason: say why the trading state changes")
        operator_id: str | None = None
        if trigger is KillTrigger.RESET:
            operator_id = self.authorised_operator(authorisation)
        elif authorisation is not None:
            operator_id = authorisation.operator_id
        if trigger is KillTrigger.TRIP and cause is None:
            raise ValueError("TRIP needs a cause: pass TripCause.MANUAL for an operator's stop")
        if trigger is not KillTrigger.TRIP and cause is not None:
            raise ValueError(f"cause={cause} is only for TRIP, not {trigger}")
        to_state, latched = self._next(trigger)
        return KillSwitchChange(
            from_state=self._state,
            to_state=to_state,
            trigger=trigger,
            latched=latched,
            cause=cause,
            reason=reason,
            operator_id=operator_id,
            operator_key_id=None if authorisation is None else authorisation.key_id,
            ts_ns=ts_ns,
        )

    def validate(self, change: KillSwitchChange) -> None:
        """Raise InvalidTransition unless ``change`` would apply to the switch as it is now.

        Called before a change is recorded, so a stale proposal is refused before it is
        written, never after.
        """
        if change.from_state is not self._state:
            raise InvalidTransition(
                f"{change.from_state} -> {change.trigger}: the kill switch is {self._state}; "
                "propose the change again from the current state"
            )
        to_state, latched = self._next(change.trigger)
        if (change.to_state, change.latched) != (to_state, latched):
            raise InvalidTransition(
                f"{self._state} -> {change.trigger} leads to {to_state} latched={latched}, "
                f"but the change says {change.to_state} latched={change.latched}"
            )
        if change.trigger is KillTrigger.RESET and not change.operator_id:
            raise UnauthorisedReset("a recorded RESET names no operator; it is not applied")

    def apply(self, change: KillSwitchChange) -> None:
        """Make a recorded ``change`` take effect.

        Refuses (InvalidTransition, see ``validate``) a change that does not start from the
        current state or that the table and latch rules would not produce from it: a stale
        proposal, or a record out of order. A RESET must name its operator.
        """
        self.validate(change)
        self._state = change.to_state
        self._latched = change.latched

    def _replay(self, change: KillSwitchChange) -> None:
        """Apply a stored ``change``; handle one the old, unserialised code refused (above)."""
        if change.from_state is self._state and self._allows(change.trigger):
            self.apply(change)
            return
        if change.trigger is KillTrigger.TRIP:
            _log.warning(
                "recorded kill-switch trip did not start from the replayed state; latched",
                extra={
                    "recorded_from": change.from_state.value,
                    "replayed_state": self._state.value,
                    "ts_ns": change.ts_ns,
                },
            )
            rebased = self.propose(
                KillTrigger.TRIP,
                reason=change.reason,
                ts_ns=change.ts_ns,
                cause=change.cause or TripCause.MANUAL,
            )
            self.apply(rebased)
            return
        _log.warning(
            "recorded kill-switch change was refused when it was made; skipped",
            extra={
                "trigger": change.trigger.value,
                "recorded_from": change.from_state.value,
                "replayed_state": self._state.value,
                "latched": self._latched,
                "ts_ns": change.ts_ns,
            },
        )

    def _allows(self, trigger: KillTrigger) -> bool:
        """Return whether ``trigger`` is a legal move from the current state and latch."""
        try:
            self._next(trigger)
        except InvalidTransition:
            return False
        return True

    def evaluate(
        self,
        snapshot: PortfolioSnapshot | None,
        limits: RiskLimits,
        consecutive_rejections: int,
        now_ns: int,
    ) -> KillSwitchChange | None:
        """Return the TRIP to record when a limit is breached, or None.

        Trips when today's loss reaches ``max_daily_loss_frac`` of the NAV at 00:00 UTC
        (``nav - daily_pnl``; a loss on a non-positive opening NAV trips too), when NAV has
        fallen ``max_drawdown_frac`` or more from ``peak_nav``, or when the venue has
        rejected ``kill_switch_rejections`` orders in a row (the only check made when
        ``snapshot`` is None, NAV being unknown). Returns None while latched:
        tripping again adds nothing, and a recovery never un-trips.
        """
        if self._latched:
            return None
        breaches = _breaches(snapshot, limits, consecutive_rejections)
        if not breaches:
            return None
        return self.propose(
            KillTrigger.TRIP,
            reason="; ".join(f"{cause} {detail}" for cause, detail in breaches),
            ts_ns=now_ns,
            cause=breaches[0][0],
        )

    def authorised_operator(self, authorisation: Authorisation | None) -> str:
        """Return the operator id of a valid authorisation, or raise UnauthorisedReset.

        A RESET needs one; so does stopping a flatten, which, like a reset, lets risk stand.
        """
        if authorisation is None:
            raise UnauthorisedReset(
                "RESET needs an Authorisation(operator_id, reason) from an authorised operator"
            )
        operator_id = authorisation.operator_id.strip()
        if not operator_id or not authorisation.reason.strip():
            raise UnauthorisedReset(
                f"RESET by operator_id={authorisation.operator_id!r} with "
                f"reason={authorisation.reason!r}: both must be non-empty"
            )
        if operator_id not in self._authorised:
            raise UnauthorisedReset(
                f"operator_id={operator_id!r} may not reset the kill switch: not an authorised "
                "operator; only an admin principal may (aiswarm keys new --name NAME --scope admin)"
            )
        return operator_id

    def _next(self, trigger: KillTrigger) -> tuple[TradingState, bool]:
        """Return (next state, latched after) for ``trigger``, or raise InvalidTransition."""
        to_state = TRANSITIONS.get((self._state, trigger))
        if to_state is None:
            raise InvalidTransition(f"{self._state} -> {trigger}: no such move")
        if self._latched and trigger in (KillTrigger.ENABLE, KillTrigger.REDUCE):
            raise InvalidTransition(
                f"{self._state} -> {trigger}: the kill switch is latched; an authorised "
                "operator must RESET it with a reason first"
            )
        if trigger is KillTrigger.RESET and not self._latched:
            raise InvalidTransition(f"{self._state} -> {trigger}: the kill switch is not latched")
        if trigger is KillTrigger.TRIP:
            return to_state, True
        if trigger is KillTrigger.RESET:
            return to_state, False
        return to_state, self._latched
