"""Close every open position after a trip: a standing duty, tried every step until flat.

While the kill switch is latched and ``RiskLimits.flatten_on_trip`` is set, each step's
``run`` places, for every position not already being closed, one reduce-only market IOC order
on the closing side. Why a duty and not one attempt: a close can be refused (a cap, a venue
rejection, stale data) or fill only in part (thin liquidity), and a latched switch never trips
again, so one attempt that fails leaves the account halted holding the whole position.

* **Split to fit the caps.** A slice is at most the per-order quantity cap, the per-order
  notional cap, and the larger of the liquidity guard's participation cap and
  ``flatten_slice_floor_usd`` (all at the mark), rounded down to the step; the rest is split
  evenly into the fewest such slices, so none is too small to send. The guard chain
  still judges it: the circuit breaker and the liquidity guard (up to the floor) let the kill
  switch's own flattening through; the exposure and loss guards exempt every risk-reducing
  order; every other guard applies.
* **No double selling.** What working orders on the closing side still have to fill is
  counted as being closed (cancels asked but not yet confirmed included, reduce-only or not);
  only the rest is placed. The guard chain measures "risk-reducing" the same way, net of the
  working orders on the order's side, so a slice sized here is one it counts as reducing.
* **Backoff.** After a refusal or a venue rejection a symbol waits 1, 2, 4 ... steps (at most
  ``MAX_BACKOFF_STEPS``) before its next attempt; a placed slice resets the wait.
* **Dust.** A rest below the venue's minimum order (quantity or notional at the mark) cannot be
  closed by any order; it is recorded once and left.
* **Stop.** An authorised operator may stop the duty (``kill_switch.flatten_stopped``, recorded
  before it takes effect); the next TRIP arms it again.

Every attempt, with its outcome, is a ``kill_switch.flatten`` event and a log line (an alert
for operators). After a restart the duty comes back from the log: the switch's latch from its
``kill_switch.changed`` records, a stop from ``kill_switch.flatten_stopped`` after the latest
trip, positions from fills and working closes from the orders. Backoff is kept in memory and
starts afresh after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from aiswarm.clock import Clock
from aiswarm.execution import EventJournal, OrderManager
from aiswarm.orchestration.order_pipeline import OrderPipeline, Placement
from aiswarm.risk import MarketView, RiskLimits
from aiswarm.types import (
    EventType,
    Instrument,
    Mandate,
    OrderIntent,
    OrderType,
    PortfolioSnapshot,
    Position,
    Side,
    Symbol,
    TimeInForce,
    VenueId,
)

__all__ = ["MAX_BACKOFF_STEPS", "FlattenDuty", "FlattenInputs", "slice_quantity"]

_log = logging.getLogger(__name__)
_ZERO = Decimal(0)

MAX_BACKOFF_STEPS = 32
"""The longest wait, in steps, between two attempts to close one position."""


@dataclass(frozen=True, slots=True)
class FlattenInputs:
    """What the guard chain needs to judge the closing order of one position."""

    instrument: Instrument | None
    mandate: Mandate | None
    market: MarketView | None
    mandate_exposure_usd: Decimal | None


@dataclass(slots=True)
class _Backoff:
    """Consecutive failed attempts for one position, and the step of the next attempt."""

    failures: int
    next_step: int


def _largest_slice(inputs: FlattenInputs, limits: RiskLimits) -> Decimal | None:
    """Return the largest closing order (base units, on the step) the caps let through now.

    The caps: the per-order quantity cap, the per-order notional cap, and the larger of the
    liquidity guard's participation cap and ``flatten_slice_floor_usd``, all at the mark (an
    unmeasured liquidity counts as none). None when there is nothing to size by (no
    instrument or no mark): the guard chain then refuses the close and says which is missing.
    """
    instrument, market = inputs.instrument, inputs.market
    mark = None if market is None else market.mark
    if instrument is None or market is None or mark is None or mark <= _ZERO:
        return None
    liquidity = market.liquidity_usd
    liquid_usd = _ZERO if liquidity is None else liquidity * limits.max_participation_frac
    budget_usd = min(limits.max_order_notional_usd, max(liquid_usd, limits.flatten_slice_floor_usd))
    largest = instrument.quantize_quantity(budget_usd / mark)
    while largest > _ZERO and largest * mark > budget_usd:  # the division rounded up
        largest -= instrument.step_size
    cap = limits.max_order_quantity.get(instrument.symbol)
    if cap is not None and cap < largest:
        largest = instrument.quantize_quantity(cap)
    return largest


def slice_quantity(remaining: Decimal, inputs: FlattenInputs, limits: RiskLimits) -> Decimal:
    """Return the closing order for ``remaining`` (base units) to send now.

    The rest is split into the fewest slices the caps allow (``_largest_slice``), of equal size
    up to one step, so that no slice is left too small for the venue's minimum order (a greedy
    split could leave unclosable dust). When the caps leave no room for one step, or nothing
    can size the close, the whole rest is returned and the guard chain's refusal names why.
    """
    largest = _largest_slice(inputs, limits)
    if largest is None or largest <= _ZERO or remaining <= largest:
        return remaining
    instrument = inputs.instrument
    assert instrument is not None  # _largest_slice found one
    slices = (remaining / largest).to_integral_value(rounding=ROUND_CEILING)
    step = instrument.step_size
    even = (remaining / slices / step).to_integral_value(rounding=ROUND_CEILING) * step
    return min(even, largest)


def _closing_side(position: Position) -> Side:
    return Side.SELL if position.quantity > _ZERO else Side.BUY


class FlattenDuty:
    """Close positions while a trip's flatten is owed; see the module docstring."""

    def __init__(
        self,
        limits: RiskLimits,
        oms: OrderManager,
        pipeline: OrderPipeline,
        journal: EventJournal,
        clock: Clock,
    ) -> None:
        self._limits = limits
        self._oms = oms
        self._pipeline = pipeline
        self._journal = journal
        self._clock = clock
        self._stopped = False
        self._step = 0
        self._backoff: dict[tuple[VenueId, Symbol], _Backoff] = {}
        self._dust: dict[tuple[VenueId, Symbol], Decimal] = {}

    def is_stopped(self) -> bool:
        """Return whether an operator stopped the duty since the latest trip."""
        return self._stopped

    def arm(self) -> None:
        """Owe a flatten again (a trip was recorded): forget a stop and every backoff."""
        self._stopped = False
        self._backoff.clear()
        self._dust.clear()

    def restore(self, records: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Take back from the journal whether an operator stopped the latest trip's flatten."""
        for event_type, payload in records:
            if event_type == EventType.KILL_SWITCH_CHANGED and payload["trigger"] == "trip":
                self._stopped = False
            elif event_type == EventType.KILL_SWITCH_FLATTEN_STOPPED:
                self._stopped = True

    async def stop(self, operator_id: str, reason: str) -> None:
        """Record an operator's stop, then stop placing closing orders until the next trip."""
        payload = {"operator_id": operator_id, "reason": reason, "ts_ns": self._clock.now_ns()}
        await self._journal.append(EventType.KILL_SWITCH_FLATTEN_STOPPED, payload)
        self._stopped = True
        _log.warning("kill switch flatten stopped by an operator", extra=payload)

    async def run(
        self,
        snapshot: PortfolioSnapshot,
        flatten_inputs: Callable[[Position], FlattenInputs],
    ) -> list[Placement]:
        """Try, once this step, to close each open position still owed; return the placements."""
        self._step += 1
        placements: list[Placement] = []
        for position in snapshot.positions:
            key = (position.venue, position.symbol)
            if position.is_flat:
                self._backoff.pop(key, None)
                continue
            working = self._working_close(position)
            remaining = abs(position.quantity) - working
            if remaining <= _ZERO:
                continue
            backoff = self._backoff.get(key)
            if backoff is not None and self._step < backoff.next_step:
                continue
            inputs = flatten_inputs(position)
            if self._is_dust(remaining, inputs):
                if self._dust.get(key) != remaining:
                    self._dust[key] = remaining
                    await self._record(position, working, remaining, "dust", None, None)
                continue
            quantity = slice_quantity(remaining, inputs, self._limits)
            placement = await self._place(snapshot, position, quantity, inputs)
            placements.append(placement)
            await self._outcome(position, working, quantity, placement)
        return placements

    def _working_close(self, position: Position) -> Decimal:
        """Return what working orders on the closing side have still to fill."""
        side = _closing_side(position)
        return sum(
            (
                order.remaining_quantity
                for order in self._oms.open_orders(position.symbol)
                if order.spec.venue == position.venue and order.spec.side is side
            ),
            _ZERO,
        )

    @staticmethod
    def _is_dust(remaining: Decimal, inputs: FlattenInputs) -> bool:
        """Return whether no order can close ``remaining``: it is below the venue's minimum."""
        instrument, market = inputs.instrument, inputs.market
        if instrument is None or market is None or market.mark is None or market.mark <= _ZERO:
            return False
        return bool(instrument.check_minimums(remaining, market.mark))

    async def _place(
        self,
        snapshot: PortfolioSnapshot,
        position: Position,
        quantity: Decimal,
        inputs: FlattenInputs,
    ) -> Placement:
        mandate_id = inputs.mandate.mandate_id if inputs.mandate is not None else None
        intent = OrderIntent(
            mandate_id=mandate_id or "kill-switch",
            account=position.account,
            venue=position.venue,
            symbol=position.symbol,
            side=_closing_side(position),
            order_type=OrderType.MARKET,
            quantity=quantity,
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

    async def _outcome(
        self, position: Position, working: Decimal, quantity: Decimal, placement: Placement
    ) -> None:
        """Record what became of one attempt, and set the position's backoff from it."""
        key = (position.venue, position.symbol)
        submitted = placement.submitted
        if placement.is_live:
            self._backoff.pop(key, None)
            await self._record(position, working, quantity, "placed", None, placement)
            return
        if placement.refused is not None:
            outcome, detail = "refused", str(placement.refused)
        else:
            assert submitted is not None  # a placement is refused or submitted
            outcome, detail = "rejected", f"{submitted.code} {submitted.detail}".strip()
        failures = 1 if key not in self._backoff else self._backoff[key].failures + 1
        wait = min(2 ** (failures - 1), MAX_BACKOFF_STEPS)
        self._backoff[key] = _Backoff(failures, self._step + wait)
        await self._record(position, working, quantity, outcome, detail, placement, wait)

    async def _record(
        self,
        position: Position,
        working: Decimal,
        quantity: Decimal,
        outcome: str,
        detail: str | None,
        placement: Placement | None,
        retry_in_steps: int | None = None,
    ) -> None:
        """Append the attempt as ``kill_switch.flatten`` and log it (operators alert on both)."""
        payload = {
            "outcome": outcome,
            "venue": position.venue,
            "symbol": position.symbol,
            "side": _closing_side(position).value,
            "position": str(position.quantity),
            "working_close": str(working),
            "quantity": str(quantity),
            "client_order_id": None if placement is None else placement.spec.client_order_id,
            "detail": detail,
            "retry_in_steps": retry_in_steps,
            "ts_ns": self._clock.now_ns(),
        }
        await self._journal.append(EventType.KILL_SWITCH_FLATTEN, payload)
        level = logging.INFO if outcome == "placed" else logging.WARNING
        _log.log(level, "kill switch flatten %s", outcome, extra=payload)
