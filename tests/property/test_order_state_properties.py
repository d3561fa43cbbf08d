"""Order state invariants over generated venue event sequences, resends and races included.

A hypothesis state machine sends one order random venue events from PENDING (fills of a share
of the order, of the exact remainder or of any size, resent trade ids, acks, cancels, refused
cancels, rejects, expiries) and checks after every event what must always hold.
"""

from __future__ import annotations

from collections import deque
from decimal import Context, Decimal, localcontext
from fractions import Fraction

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from aiswarm.errors import InvalidTransition
from aiswarm.execution.order_events import OrderEvent, Trigger
from aiswarm.execution.order_state import TRANSITIONS, OrderState, apply, new_order
from aiswarm.types import OrderStatus, TradeId, VenueOrderId
from kit.builders import order_spec


def _reachable() -> frozenset[OrderStatus]:
    """Return every status the table can reach from PENDING (breadth-first)."""
    seen = {OrderStatus.PENDING}
    queue = deque(seen)
    while queue:
        status = queue.popleft()
        for (source, _), target in TRANSITIONS.items():
            if source is status and target not in seen:
                seen.add(target)
                queue.append(target)
    return frozenset(seen)


REACHABLE = _reachable()
MOVES = frozenset((source, target) for (source, _), target in TRANSITIONS.items())

_TIMES = st.integers(min_value=0, max_value=10**18)
# A small pool of trade ids, so resent fills (same id) are common.
_TRADE_IDS = st.sampled_from([TradeId(f"t-{n}") for n in range(8)])
_VENUE_IDS = st.sampled_from([None, VenueOrderId("v-1"), VenueOrderId("v-2")])
_PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
_QUANTITIES = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("5"), places=5)
# Shares of the order; quantities are whole multiples of 12 steps, so these are exact and
# fills can add up to the order exactly.
_SHARES = st.sampled_from([Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(1)])
_STEP_12 = Decimal("0.00012")


def _snapshot(state: OrderState) -> tuple[object, ...]:
    """Return every field of ``state``, to prove a refusal changed nothing."""
    return (
        state.spec,
        state.status,
        state.filled_quantity,
        state.filled_notional,
        state.average_fill_price,
        state.venue_order_id,
        state.trade_ids,
        state.last_ts_ns,
        state.reject_reason,
    )


class OrderEventSequences(RuleBasedStateMachine):
    """One order under random venue events; every step is checked against the table."""

    quantity = Decimal(0)
    state: OrderState
    taken: dict[TradeId, OrderEvent]

    @initialize(
        units=st.integers(min_value=1, max_value=40_000),
        head=st.sampled_from([0, 1, 2, 2, 2]),
    )
    def start(self, units: int, head: int) -> None:
        """Begin with a PENDING order of ``units`` x 0.00012, mostly already sent and acked.

        Starting most runs past PENDING (through real events) spends the steps where the
        venue's quirks are, rather than on withdrawing orders never sent.
        """
        self.quantity = units * _STEP_12
        self.state = new_order(order_spec(quantity=self.quantity), 0)
        self.taken = {}
        for event in (OrderEvent.submitted(0), OrderEvent.accepted(0))[:head]:
            self._send(event)

    def _send(self, event: OrderEvent) -> None:
        """Apply ``event`` and check the step: a table move, or a refusal that changed nothing."""
        before = self.state
        fields = _snapshot(before)
        try:
            after = apply(before, event)
        except InvalidTransition:
            assert _snapshot(before) == fields
            after = before
        assert after.status in REACHABLE
        assert after.status is before.status or (before.status, after.status) in MOVES
        assert before.filled_quantity <= after.filled_quantity <= self.quantity
        if before.is_terminal:
            assert after.status is before.status
            assert after.filled_quantity == before.filled_quantity
        if event.trigger is Trigger.FILL and event.trade_id in before.trade_ids:
            assert after is before
        if after.trade_ids != before.trade_ids and event.trade_id is not None:
            self.taken[event.trade_id] = event
        self.state = after

    @rule(ts=_TIMES)
    def submit(self, ts: int) -> None:
        """The OMS hands the order to the venue."""
        self._send(OrderEvent.submitted(ts))

    @rule(ts=_TIMES, venue_order_id=_VENUE_IDS)
    def accept(self, ts: int, venue_order_id: VenueOrderId | None) -> None:
        """The venue acknowledges (perhaps late, perhaps again)."""
        self._send(OrderEvent.accepted(ts, venue_order_id))

    @rule(ts=_TIMES)
    def reject(self, ts: int) -> None:
        """The order is refused."""
        self._send(OrderEvent.rejected(ts, "refused"))

    @rule(ts=_TIMES, share=_SHARES, price=_PRICES, trade_id=_TRADE_IDS, venue=_VENUE_IDS)
    def fill_share(
        self,
        ts: int,
        share: Fraction,
        price: Decimal,
        trade_id: TradeId,
        venue: VenueOrderId | None,
    ) -> None:
        """A fill of a share of the order (overfills once shares add past the whole)."""
        size = self.quantity * share.numerator / share.denominator
        self._send(OrderEvent.filled(ts, size, price, trade_id, venue))

    @rule(ts=_TIMES, price=_PRICES, trade_id=_TRADE_IDS)
    def fill_rest(self, ts: int, price: Decimal, trade_id: TradeId) -> None:
        """A fill of exactly what remains (or one step, if nothing does)."""
        size = self.state.remaining_quantity or Decimal("0.00001")
        self._send(OrderEvent.filled(ts, size, price, trade_id))

    @rule(ts=_TIMES, size=_QUANTITIES, price=_PRICES, trade_id=_TRADE_IDS)
    def fill_any(self, ts: int, size: Decimal, price: Decimal, trade_id: TradeId) -> None:
        """A fill of any size, often above what remains."""
        self._send(OrderEvent.filled(ts, size, price, trade_id))

    @rule(ts=_TIMES)
    def cancel_request(self, ts: int) -> None:
        """We ask the venue to cancel."""
        self._send(OrderEvent.cancel_requested(ts))

    @rule(ts=_TIMES)
    def cancel_ack(self, ts: int) -> None:
        """The venue says the order is canceled."""
        self._send(OrderEvent.canceled(ts))

    @rule(ts=_TIMES)
    def cancel_reject(self, ts: int) -> None:
        """The venue refuses our cancel."""
        self._send(OrderEvent.cancel_rejected(ts, "too late"))

    @rule(ts=_TIMES)
    def expire(self, ts: int) -> None:
        """The venue ends the order by its time in force."""
        self._send(OrderEvent.expired(ts))

    @invariant()
    def status_agrees_with_filled_quantity(self) -> None:
        """FILLED exactly when all is filled; no fills before the order can have any."""
        state = self.state
        assert (state.filled_quantity == self.quantity) == (state.status is OrderStatus.FILLED)
        if state.status is OrderStatus.PARTIALLY_FILLED:
            assert 0 < state.filled_quantity < self.quantity
        if state.status in (OrderStatus.PENDING, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED):
            assert state.filled_quantity == 0

    @invariant()
    def fills_match_independent_recomputation(self) -> None:
        """Filled quantity, notional and average equal a recomputation from the fills taken."""
        state = self.state
        with localcontext(prec=200):
            total = sum((e.fill_quantity or Decimal(0) for e in self.taken.values()), Decimal(0))
            notional = sum(
                (
                    (e.fill_quantity or Decimal(0)) * (e.fill_price or Decimal(0))
                    for e in self.taken.values()
                ),
                Decimal(0),
            )
        assert state.trade_ids == frozenset(self.taken)
        assert state.filled_quantity == total
        assert state.filled_notional == notional
        if not self.taken:
            assert state.average_fill_price is None
            return
        assert state.average_fill_price == Context(prec=28).divide(notional, total)
        exact = Fraction(notional) / Fraction(total)
        assert abs(Fraction(state.average_fill_price) - exact) <= exact / 10**27


TestOrderEventSequences = OrderEventSequences.TestCase
