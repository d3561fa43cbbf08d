"""Work orders over time: TWAP slices and re-quotes of resting limit orders, driven by timers.

The coordinator hands every allocator intent to ``OrderSchedule.start``. With
``AllocatorConfig.slices > 1`` only the first slice is placed at once; the rest are owed on an
``Interval`` timer keyed by symbol, and ``follow`` (called every cycle while a timer is held)
places each due slice through the same pipeline (guard chain, approval, OMS). Slice sizes come
from ``split_quantity``: quantity / slices rounded down to the step, the remainder in the last,
and a slice below the venue minimums merged into the next, so they always sum to the intent.

With ``requote_every_s`` set, every resting limit order placed here gets a ``Heartbeat``. When
it fires and the order is still working with quantity left, the order is cancelled and, once the
cancel is done (at once on the paper venue, on a later cycle where the venue takes its time,
tracked with a ``Deadline`` due at once), its remaining quantity is placed again at the current
mark. A heartbeat whose order ended is dropped; a mark that has not moved re-quotes nothing.

A new decision on a symbol (``replace``) drops its remaining slices: the allocator sizes the
new order from the position and working orders, and slices not yet placed are neither. A
re-quote is kept, since the order it replaces was counted as working.

All timing is the cycle's decision time (the frame's ``now_ns``, epoch ns), never the wall
clock, so a backtest and a paper replay fire the same timers on the same bars. Each step is
recorded before it acts: ``allocation.slice`` (a slice placed, or remaining slices dropped) and
``allocation.requote`` (a cancel, its replacement, or why there is none). ``split_quantity``,
``slice_intent`` and ``requote_intent`` are pure; ``OrderSchedule`` holds the timers and what
each stands for, and does I/O only through the journal and OMS it is given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Context, Decimal
from typing import Any, Protocol, TypeVar

from aiswarm.clock import from_ns
from aiswarm.execution import EventJournal, OrderManager
from aiswarm.execution.timers import Deadline, Heartbeat, Interval, Timer, due
from aiswarm.orchestration.order_pipeline import Placement
from aiswarm.portfolio.allocator import AllocatorConfig, limit_price
from aiswarm.risk import MarketView
from aiswarm.types import (
    WORKING_ORDER_STATUSES,
    ClientOrderId,
    Instrument,
    OrderIntent,
    OrderSpec,
    OrderStatus,
    OrderType,
    Symbol,
)

__all__ = [
    "REQUOTE",
    "SLICE",
    "OrderSchedule",
    "requote_intent",
    "slice_intent",
    "split_quantity",
]

SLICE = "allocation.slice"
REQUOTE = "allocation.requote"

_NS = 1_000_000_000
_ZERO = Decimal(0)
_DIVIDE_DOWN = Context(prec=40, rounding=ROUND_FLOOR)  # positive quotients: towards zero
_WORKING = WORKING_ORDER_STATUSES
_CLOSED_UNFILLED = (OrderStatus.CANCELED, OrderStatus.EXPIRED)


class Markets(Protocol):
    """What the schedule reads from a cycle's trading context (the coordinator's provides it)."""

    @property
    def instruments(self) -> Mapping[Symbol, Instrument]:
        """Each tradable symbol's instrument."""

    @property
    def markets(self) -> Mapping[Symbol, MarketView]:
        """Each symbol's market as last seen (its mark prices limit orders)."""


ContextT = TypeVar("ContextT", bound=Markets)
Place = Callable[[OrderIntent, ContextT], Awaitable[Placement]]
"""The pipeline's ``place``, bound by the coordinator to a cycle's context."""


def split_quantity(
    quantity: Decimal, slices: int, instrument: Instrument, price: Decimal
) -> tuple[Decimal, ...]:
    """Return the slice quantities of an order of ``quantity`` split ``slices`` ways.

    Each slice is ``quantity / slices`` rounded down to the instrument's step and the last takes
    the remainder, so the slices sum exactly to ``quantity``. A slice below the venue minimums
    at ``price`` (the limit price, or the mark for a market order) is merged into the next, and
    a last slice still below them into the one before; so fewer slices may come back, and one
    when the whole order is too small to split.
    """
    if slices < 1:
        raise ValueError(f"slices={slices}: an order is split into at least 1 slice")
    each = instrument.quantize_quantity(_DIVIDE_DOWN.divide(quantity, Decimal(slices)))
    planned = [each] * (slices - 1) + [quantity - each * (slices - 1)]
    merged: list[Decimal] = []
    carried = _ZERO
    for part in planned:
        carried += part
        if not instrument.check_minimums(carried, price):
            merged.append(carried)
            carried = _ZERO
    if carried:
        if merged:
            merged[-1] += carried
        else:
            merged.append(carried)
    return tuple(merged)


def slice_intent(
    parent: OrderIntent,
    quantity: Decimal,
    number: int,
    total: int,
    ts_event: datetime,
    price: Decimal | None,
) -> OrderIntent:
    """Return slice ``number`` of ``total`` of ``parent``: its side, type and flags, decided now.

    ``price`` is the slice's limit price (None for a market order).
    """
    fields = parent.model_dump() | {
        "quantity": quantity,
        "limit_price": price,
        "ts_event": ts_event,
        "reason": f"slice {number}/{total} of {parent.quantity}: {parent.reason}",
    }
    return OrderIntent(**fields)


def requote_intent(
    spec: OrderSpec, quantity: Decimal, price: Decimal, ts_event: datetime
) -> OrderIntent:
    """Return the order replacing resting ``spec``: ``quantity`` left, at limit ``price``, now."""
    fields = spec.model_dump(exclude={"schema_version", "client_order_id", "created_at"}) | {
        "quantity": quantity,
        "limit_price": price,
        "ts_event": ts_event,
        "reason": f"re-quote of {spec.client_order_id}: limit {spec.limit_price} -> {price}",
    }
    return OrderIntent(**fields)


@dataclass(frozen=True, slots=True)
class _Slices:
    """What is left of one symbol's TWAP: the parent intent and the slices still owed."""

    parent: OrderIntent
    owed: tuple[Decimal, ...]
    total: int

    @property
    def next_number(self) -> int:
        """Return the number (1-based) of the next slice."""
        return self.total - len(self.owed) + 1


class OrderSchedule:
    """Slices owed and resting orders watched, each behind a timer; see the module docstring.

    ``timers`` holds every timer by key (a symbol for its slices, a client order id for a
    re-quote), so the coordinator learns that nothing is scheduled from one emptiness check.
    The re-quotes whose cancel is pending (a ``Deadline``) are also kept by symbol, because a new
    decision on a symbol looks at its own, and scanning every timer for them on each decision
    would cost a cycle (timers x decisions), both growing with the symbols traded.
    """

    def __init__(self, config: AllocatorConfig, oms: OrderManager, journal: EventJournal) -> None:
        self.timers: dict[str, Timer] = {}
        self._slices: dict[Symbol, _Slices] = {}
        # Re-quotes whose cancel is pending, by symbol in the order they began, and back.
        self._cancelling: dict[Symbol, dict[ClientOrderId, None]] = {}
        self._cancelling_in: dict[ClientOrderId, Symbol] = {}
        self._oms = oms
        self._journal = journal
        self._count = config.slices
        self._slice_ns = max(1, round(config.slice_interval_s * _NS))
        every = config.requote_every_s
        self._requote_ns = None if every is None else max(1, round(every * _NS))
        self._offset_ticks = config.limit_offset_ticks

    async def start(
        self, intent: OrderIntent, now_ns: int, context: ContextT, place: Place[ContextT]
    ) -> Placement:
        """Place ``intent``, or its first slice with the rest scheduled; return that placement."""
        symbol = intent.symbol
        instrument = context.instruments.get(symbol)
        price = _mark(context, symbol) if intent.limit_price is None else intent.limit_price
        if self._count == 1 or instrument is None or price is None or price <= 0:
            return await self._place(intent, now_ns, context, place)
        quantities = split_quantity(intent.quantity, self._count, instrument, price)
        if len(quantities) == 1:
            return await self._place(intent, now_ns, context, place)
        total = len(quantities)
        first = slice_intent(intent, quantities[0], 1, total, intent.ts_event, intent.limit_price)
        self._slices[symbol] = _Slices(intent, quantities[1:], total)
        timer = Interval(symbol, self._slice_ns, now_ns + self._slice_ns, total - 1)
        self.timers[symbol] = timer
        payload = _slice_payload(first, 1, total) | {
            "quantities": [str(quantity) for quantity in quantities],
            "next_ns": timer.next_ns,
        }
        await self._journal.append(SLICE, payload)
        return await self._place(first, now_ns, context, place)

    async def replace(self, symbol: Symbol, why: str) -> None:
        """Drop ``symbol``'s remaining slices and finished re-quotes, recording each.

        A re-quote whose cancel is still pending is kept: the allocator counted that order as
        working, so its replacement is part of what the new decision was sized against. One
        whose cancel is already done was not counted, so placing its remainder now would add
        to the new target: it is dropped.
        """
        for key in list(self._cancelling.get(symbol, ())):
            order = self._oms.orders.get(key)
            if order is None or not order.is_terminal:
                continue
            self._drop(key)
            await self._journal.append(
                REQUOTE,
                {
                    "action": "not_replaced",
                    "client_order_id": key,
                    "symbol": symbol,
                    "reason": f"a new decision replaced it ({why})",
                },
            )
        plan = self._slices.pop(symbol, None)
        if plan is not None:
            self.timers.pop(symbol, None)
            await self._journal.append(
                SLICE,
                {
                    "action": "cancel",
                    "symbol": symbol,
                    "remaining_slices": len(plan.owed),
                    "remaining_quantity": str(sum(plan.owed, _ZERO)),
                    "reason": why,
                },
            )

    async def follow(
        self, now_ns: int, context: Callable[[], ContextT], place: Place[ContextT]
    ) -> list[Placement]:
        """Act on every timer due at ``now_ns``; return the placements made.

        ``context`` is called at most once, and only when something is to be placed.
        """
        fires = due(self.timers.values(), now_ns)
        if not fires:
            return []
        built: list[ContextT] = []

        def current() -> ContextT:
            if not built:
                built.append(context())
            return built[0]

        placements: list[Placement] = []
        for fire in fires:
            timer = fire.timer
            key = timer.key if isinstance(timer, Interval) else timer.client_order_id
            if fire.next is None:
                self._drop(key)
            else:
                self.timers[key] = fire.next
            placement: Placement | None
            if isinstance(timer, Interval):
                placement = await self._next_slice(Symbol(timer.key), now_ns, current, place)
            elif isinstance(timer, Heartbeat):
                placement = await self._requote(timer.client_order_id, now_ns, current, place)
            else:
                placement = await self._replace(timer.client_order_id, now_ns, current, place)
            if placement is not None:
                placements.append(placement)
        return placements

    # ----------------------------------------------------------------- slices

    async def _next_slice(
        self,
        symbol: Symbol,
        now_ns: int,
        context: Callable[[], ContextT],
        place: Place[ContextT],
    ) -> Placement:
        plan = self._slices[symbol]
        number = plan.next_number
        if len(plan.owed) == 1:
            del self._slices[symbol]
        else:
            self._slices[symbol] = _Slices(plan.parent, plan.owed[1:], plan.total)
        built = context()
        price = plan.parent.limit_price
        if price is not None:
            price = self._quote(built, symbol, plan.parent) or price
        intent = slice_intent(plan.parent, plan.owed[0], number, plan.total, from_ns(now_ns), price)
        await self._journal.append(SLICE, _slice_payload(intent, number, plan.total))
        return await self._place(intent, now_ns, built, place)

    # ----------------------------------------------------------------- re-quotes

    async def _requote(
        self,
        client_order_id: ClientOrderId,
        now_ns: int,
        context: Callable[[], ContextT],
        place: Place[ContextT],
    ) -> Placement | None:
        order = self._oms.orders.get(client_order_id)
        if order is None or order.is_terminal or order.status is OrderStatus.PENDING_CANCEL:
            self._drop(client_order_id)  # it ended, or someone else is ending it
            return None
        if order.status not in _WORKING or order.remaining_quantity <= 0:
            return None  # not acknowledged yet: look again on the next beat
        built = context()
        spec = order.spec
        price = self._quote(built, spec.symbol, spec)
        if price is None or price == spec.limit_price:
            return None  # no mark, or it has not moved: nothing to gain
        await self._journal.append(
            REQUOTE,
            {
                "action": "cancel",
                "client_order_id": client_order_id,
                "symbol": spec.symbol,
                "limit_price": str(spec.limit_price),
                "new_limit_price": str(price),
                "remaining_quantity": str(order.remaining_quantity),
            },
        )
        # Until the cancel is done, a deadline due at once (checked every cycle) replaces the beat.
        self._await_cancel(spec.symbol, client_order_id, now_ns)
        await self._oms.cancel(client_order_id, f"re-quote at {price}")
        return await self._replace(client_order_id, now_ns, context, place)

    async def _replace(
        self,
        client_order_id: ClientOrderId,
        now_ns: int,
        context: Callable[[], ContextT],
        place: Place[ContextT],
    ) -> Placement | None:
        """Place what a re-quoted order left at the mark, once its cancel is done."""
        order = self._oms.orders[client_order_id]
        spec = order.spec
        if not order.is_terminal:
            self._await_cancel(spec.symbol, client_order_id, now_ns)
            return None
        self._drop(client_order_id)
        built = context()
        instrument = built.instruments.get(spec.symbol)
        quantity = order.remaining_quantity
        if instrument is not None:
            quantity = instrument.quantize_quantity(max(quantity, _ZERO))
        price = self._quote(built, spec.symbol, spec)
        why = _why_not_replaced(order.status, quantity, price, instrument)
        if why is not None or price is None:
            await self._journal.append(
                REQUOTE,
                {
                    "action": "not_replaced",
                    "client_order_id": client_order_id,
                    "symbol": spec.symbol,
                    "reason": why or "no price",
                },
            )
            return None
        intent = requote_intent(spec, quantity, price, from_ns(now_ns))
        await self._journal.append(
            REQUOTE,
            {
                "action": "place",
                "replaces": client_order_id,
                "symbol": spec.symbol,
                "order": intent.model_dump(mode="json"),
            },
        )
        return await self._place(intent, now_ns, built, place)

    # ----------------------------------------------------------------- shared

    def _await_cancel(self, symbol: Symbol, client_order_id: ClientOrderId, now_ns: int) -> None:
        """Watch a re-quoted order's cancel with a deadline due at once, checked every cycle."""
        self.timers[client_order_id] = Deadline(client_order_id, now_ns)
        self._cancelling.setdefault(symbol, {})[client_order_id] = None
        self._cancelling_in[client_order_id] = symbol

    def _drop(self, key: str) -> None:
        """Forget the timer under ``key``, and its entry by symbol when it watched a cancel."""
        self.timers.pop(key, None)
        symbol = self._cancelling_in.pop(ClientOrderId(key), None)
        if symbol is not None:
            waiting = self._cancelling[symbol]
            del waiting[ClientOrderId(key)]
            if not waiting:
                del self._cancelling[symbol]

    async def _place(
        self, intent: OrderIntent, now_ns: int, context: ContextT, place: Place[ContextT]
    ) -> Placement:
        """Place ``intent`` and, if it rests and re-quoting is on, watch it with a heartbeat."""
        placement = await place(intent, context)
        if (
            self._requote_ns is not None
            and intent.order_type is OrderType.LIMIT
            and placement.is_live
        ):
            client_order_id = placement.spec.client_order_id
            order = self._oms.orders.get(client_order_id)
            if order is not None and not order.is_terminal and client_order_id not in self.timers:
                self.timers[client_order_id] = Heartbeat(client_order_id, self._requote_ns, now_ns)
        return placement

    def _quote(
        self, context: Markets, symbol: Symbol, order: OrderIntent | OrderSpec
    ) -> Decimal | None:
        """Return the limit price for ``order`` at the current mark, as the allocator prices."""
        instrument = context.instruments.get(symbol)
        mark = _mark(context, symbol)
        if instrument is None or mark is None or mark <= 0:
            return None
        return limit_price(instrument, mark, order.side, self._offset_ticks)


def _mark(context: Markets, symbol: Symbol) -> Decimal | None:
    market = context.markets.get(symbol)
    return market.mark if market is not None else None


def _why_not_replaced(
    status: OrderStatus, quantity: Decimal, price: Decimal | None, instrument: Instrument | None
) -> str | None:
    """Return why a cancelled order's remainder is not placed again, or None to place it."""
    if status not in _CLOSED_UNFILLED:
        return f"order ended {status.value} before the cancel took effect"
    if quantity <= 0:
        return "nothing left to place"
    if instrument is None or price is None:
        return "no instrument or no mark to price the replacement"
    violations = instrument.check_minimums(quantity, price)
    if violations:
        return "; ".join(str(violation) for violation in violations)
    return None


def _slice_payload(intent: OrderIntent, number: int, total: int) -> dict[str, Any]:
    return {
        "action": "place",
        "symbol": intent.symbol,
        "slice": number,
        "slices": total,
        "order": intent.model_dump(mode="json"),
    }
