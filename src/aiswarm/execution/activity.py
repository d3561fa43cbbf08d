"""Track the account's order activity that the guard chain reads (``risk.ActivityView``).

The OMS owns this record and updates it as orders are sent, rest, end, and get rejected; the
risk engine reads it through the protocol. Open-order notional is valued at each order's own
limit (or stop) price, else at the mark the caller last gave for market orders.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from decimal import Decimal

from aiswarm.risk import OrderFingerprint, order_fingerprint
from aiswarm.types import ClientOrderId, OrderSpec, Symbol

__all__ = ["OrderActivity"]

_ZERO = Decimal(0)
_DAY_NS = 86_400 * 1_000_000_000


class OrderActivity:
    """Open orders, submission times, fingerprints and the venue-rejection streak."""

    def __init__(self, fingerprint_window_ns: int = 3_600 * 1_000_000_000) -> None:
        self._open: dict[ClientOrderId, tuple[Symbol, Decimal]] = {}
        self._times: deque[int] = deque()
        self._fingerprints: dict[OrderFingerprint, int] = {}
        self._fingerprint_window_ns = fingerprint_window_ns
        self._rejections = 0
        self._last_rejection_ns: int | None = None

    # ---------------------------------------------------------------- ActivityView

    @property
    def open_orders_count(self) -> int:
        """Return how many orders rest at venues now."""
        return len(self._open)

    @property
    def open_order_notional_total_usd(self) -> Decimal:
        """Return the notional of every resting order."""
        return sum((notional for _, notional in self._open.values()), _ZERO)

    def open_order_notional_usd(self, symbol: Symbol) -> Decimal:
        """Return the notional of the resting orders in ``symbol``."""
        return sum((n for s, n in self._open.values() if s == symbol), _ZERO)

    @property
    def order_times_ns(self) -> Sequence[int]:
        """Return submission times within the last day, ascending."""
        return tuple(self._times)

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

    # ---------------------------------------------------------------- updates

    def record_sent(self, spec: OrderSpec, now_ns: int, mark: Decimal | None) -> None:
        """Count an order handed to the venue: it rests until `record_closed`."""
        price = spec.limit_price or spec.stop_price or mark or _ZERO
        self._open[spec.client_order_id] = (spec.symbol, spec.quantity * price)
        self._times.append(now_ns)
        while self._times and self._times[0] <= now_ns - _DAY_NS:
            self._times.popleft()
        self._fingerprints[order_fingerprint(spec)] = now_ns
        horizon = now_ns - self._fingerprint_window_ns
        if len(self._fingerprints) > 256:
            self._fingerprints = {k: t for k, t in self._fingerprints.items() if t > horizon}

    def record_remaining(self, client_order_id: ClientOrderId, remaining_notional: Decimal) -> None:
        """Shrink a resting order's notional after a partial fill."""
        held = self._open.get(client_order_id)
        if held is not None:
            self._open[client_order_id] = (held[0], remaining_notional)

    def record_closed(self, client_order_id: ClientOrderId) -> None:
        """Forget an order that can no longer fill."""
        self._open.pop(client_order_id, None)

    def record_accepted(self) -> None:
        """End the rejection streak: the venue took an order."""
        self._rejections = 0

    def record_rejected(self, now_ns: int) -> None:
        """Extend the rejection streak (feeds the circuit breaker and kill switch)."""
        self._rejections += 1
        self._last_rejection_ns = now_ns
