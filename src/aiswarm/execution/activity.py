"""Track the account's order activity that the guard chain reads (``risk.ActivityView``).

The OMS owns this record and updates it as orders are sent, rest, end, and get rejected; the
risk engine reads it through the protocol. Open-order notional is valued at each order's own
limit (or stop) price; a market order at the mark given with it, else at the latest price known
for its symbol (the last mark given or fill price seen, in the order they came). An order with
no price at all (a restored market order of a journal that recorded no mark, in a symbol with no
fill yet) never counts as zero: it counts at ``unpriced_order_notional_usd``, the per-order
notional cap the risk engine approved it under, an upper bound on its notional when approved.

Every guard reads the open notional, in total and for its order's symbol, and a cycle places
orders in proportion to the symbols it trades, so both are kept as running totals (updated as
orders open, shrink and close) rather than summed over every open order on each read: reading
them costs the same whatever is open. The totals are exact sums (a 200-digit context, far past
any notional), and a total whose last order closes is reset to exactly 0, so it never carries
the trailing digits of orders long gone. Recent fingerprints are pruned oldest first from a
queue in submission order, so pruning costs each fingerprint one removal, not a rebuild of the
map on every order. And the day's submission times are handed out as they are kept, not
copied: the guards read them for every order, and a busy day holds hundreds of thousands.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from decimal import Context, Decimal

from aiswarm.risk import OrderFingerprint, order_fingerprint
from aiswarm.types import ClientOrderId, MandateId, OrderSpec, Symbol

__all__ = ["OrderActivity"]

_ZERO = Decimal(0)
_DAY_NS = 86_400 * 1_000_000_000
_SUMS = Context(prec=200)
_KEEP_FINGERPRINTS = 256  # below this many, old fingerprints are not worth pruning
_COMPACT_AFTER = 4_096  # expired submission times kept before the list is shortened


class OrderActivity:
    """Open orders, submission times, fingerprints and the venue-rejection streak."""

    def __init__(
        self,
        *,
        unpriced_order_notional_usd: Decimal,
        fingerprint_window_ns: int = 3_600 * 1_000_000_000,
    ) -> None:
        if not unpriced_order_notional_usd > 0:
            raise ValueError(
                f"unpriced_order_notional_usd={unpriced_order_notional_usd}: an order with no "
                "known price must count above 0; pass the per-order notional cap"
            )
        self._unpriced_notional = unpriced_order_notional_usd
        self._prices: dict[Symbol, Decimal] = {}  # latest mark given or fill price seen
        self._open: dict[ClientOrderId, tuple[Symbol, Decimal]] = {}
        self._total = _ZERO
        self._by_symbol: dict[Symbol, tuple[Decimal, int]] = {}  # symbol -> (notional, orders)
        self._times: list[int] = []  # ascending; any before ``_first`` are over a day old
        self._first = 0
        self._fingerprints: dict[OrderFingerprint, int] = {}
        self._sent: deque[tuple[int, OrderFingerprint]] = deque()  # in submission order
        self._fingerprint_window_ns = fingerprint_window_ns
        self._rejections = 0
        self._last_rejection_ns: int | None = None
        # Per mandate: (UTC day number, notional sent that day). Only today's total is kept.
        self._sent_today: dict[MandateId, tuple[int, Decimal]] = {}

    # ---------------------------------------------------------------- ActivityView

    @property
    def open_orders_count(self) -> int:
        """Return how many orders rest at venues now."""
        return len(self._open)

    @property
    def open_order_notional_total_usd(self) -> Decimal:
        """Return the notional of every resting order."""
        return self._total

    def open_order_notional_usd(self, symbol: Symbol) -> Decimal:
        """Return the notional of the resting orders in ``symbol``."""
        held = self._by_symbol.get(symbol)
        return _ZERO if held is None else held[0]

    @property
    def order_times_ns(self) -> Sequence[int]:
        """Return submission times covering at least the last day, ascending.

        The list itself, not a copy: read it at once. Up to about half of it may be times more
        than a day old, kept until the list is next shortened; they are before the current UTC
        day began, so neither the daily nor the per-second count can include them.
        """
        return self._times

    @property
    def recent_fingerprints(self) -> Mapping[OrderFingerprint, int]:
        """Return the last submission time of each recent order fingerprint."""
        return self._fingerprints

    @property
    def consecutive_rejections(self) -> int:
        """Return the venue rejections in a row since the last accepted order."""
        return self._rejections

    @property
    def last_rejection_ns(self) -> int | None:
        """Return when the latest venue rejection came."""
        return self._last_rejection_ns

    def mandate_day_notional_usd(self, mandate_id: MandateId, now_ns: int) -> Decimal:
        """Return the notional ``mandate_id``'s orders sent on ``now_ns``'s UTC day.

        Each order counts once, when first sent, at the notional it rested with (its own price,
        else the mark given with it). A restart rebuilds it: the OMS re-holds every order of
        the journal through ``record_sent`` at its recorded time.
        """
        held = self._sent_today.get(mandate_id)
        if held is None or held[0] != now_ns // _DAY_NS:
            return _ZERO
        return held[1]

    # ---------------------------------------------------------------- updates

    def record_sent(self, spec: OrderSpec, now_ns: int, mark: Decimal | None) -> None:
        """Count an order handed to the venue: it rests until `record_closed`.

        ``mark`` values a market order; without one the symbol's latest known price does, and
        without that the order counts at ``unpriced_order_notional_usd`` (never at zero).
        """
        symbol = spec.symbol
        if mark is not None:
            self._prices[symbol] = mark
        price = spec.limit_price or spec.stop_price or self._prices.get(symbol)
        notional = self._unpriced_notional if price is None else spec.quantity * price
        if spec.client_order_id not in self._open:  # a resend is not new notional
            self._count_sent(spec.mandate_id, now_ns, notional)
        self.record_closed(spec.client_order_id)  # sent again: it rests afresh
        self._rest(spec.client_order_id, symbol, notional)
        self._remember_time(now_ns)
        fingerprint = order_fingerprint(spec)
        self._fingerprints[fingerprint] = now_ns
        self._sent.append((now_ns, fingerprint))
        if len(self._fingerprints) > _KEEP_FINGERPRINTS:
            self._forget_fingerprints(now_ns - self._fingerprint_window_ns)
        elif len(self._sent) > 2 * (len(self._fingerprints) + _KEEP_FINGERPRINTS):
            # The same orders sent again and again: drop the entries later ones superseded.
            fingerprints = self._fingerprints
            self._sent = deque(item for item in self._sent if fingerprints.get(item[1]) == item[0])

    def _count_sent(self, mandate_id: MandateId, now_ns: int, notional: Decimal) -> None:
        """Add ``notional`` to the mandate's total for ``now_ns``'s UTC day."""
        day = now_ns // _DAY_NS
        held = self._sent_today.get(mandate_id)
        total = notional if held is None or held[0] != day else _SUMS.add(held[1], notional)
        self._sent_today[mandate_id] = (day, total)

    def record_remaining(self, client_order_id: ClientOrderId, remaining_notional: Decimal) -> None:
        """Shrink a resting order's notional after a partial fill."""
        held = self._open.get(client_order_id)
        if held is not None:
            self._rest(client_order_id, held[0], remaining_notional)

    def record_price(self, symbol: Symbol, price: Decimal) -> None:
        """Remember a price the market traded at (a fill) as ``symbol``'s latest known price."""
        self._prices[symbol] = price

    def record_closed(self, client_order_id: ClientOrderId) -> None:
        """Forget an order that can no longer fill."""
        held = self._open.pop(client_order_id, None)
        if held is None:
            return
        symbol, notional = held
        self._total = _ZERO if not self._open else _SUMS.subtract(self._total, notional)
        total, orders = self._by_symbol[symbol]
        if orders == 1:
            del self._by_symbol[symbol]
        else:
            self._by_symbol[symbol] = (_SUMS.subtract(total, notional), orders - 1)

    def _rest(self, client_order_id: ClientOrderId, symbol: Symbol, notional: Decimal) -> None:
        """Record ``notional`` resting for ``client_order_id`` and move the totals with it."""
        before = self._open.get(client_order_id)  # None, or this order in the same symbol
        change = notional if before is None else _SUMS.subtract(notional, before[1])
        self._open[client_order_id] = (symbol, notional)
        self._total = _SUMS.add(self._total, change)
        total, orders = self._by_symbol.get(symbol, (_ZERO, 0))
        self._by_symbol[symbol] = (_SUMS.add(total, change), orders + (before is None))

    def _remember_time(self, now_ns: int) -> None:
        """Add a submission time, and let those more than a day old go."""
        times = self._times
        times.append(now_ns)
        first, horizon = self._first, now_ns - _DAY_NS
        while times[first] <= horizon:  # stops at the time just appended at the latest
            first += 1
        if first > _COMPACT_AFTER and 2 * first > len(times):
            self._times, first = times[first:], 0  # a new list: one handed out stays whole
        self._first = first

    def _forget_fingerprints(self, horizon_ns: int) -> None:
        """Drop fingerprints last submitted at or before ``horizon_ns``, oldest first.

        The queue is in submission order, which is time order (the clock never goes back). A
        fingerprint submitted again since has a later queue entry too; only the entry of its
        latest submission removes it.
        """
        sent, fingerprints = self._sent, self._fingerprints
        while sent and sent[0][0] <= horizon_ns:
            sent_ns, fingerprint = sent.popleft()
            if fingerprints.get(fingerprint) == sent_ns:
                del fingerprints[fingerprint]

    def record_accepted(self) -> None:
        """End the rejection streak: the venue took an order."""
        self._rejections = 0

    def record_rejected(self, now_ns: int) -> None:
        """Extend the rejection streak (feeds the circuit breaker and kill switch)."""
        self._rejections += 1
        self._last_rejection_ns = now_ns
