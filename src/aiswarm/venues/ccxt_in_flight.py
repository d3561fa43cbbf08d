"""Unanswered order requests that may still be in flight at the venue, and until when.

A submit that timed out may still reach the venue's matching engine. Signed requests carry a
``recvWindow`` (``CcxtSettings.request_window_ms``): the venue refuses one that arrives later
than that after its timestamp. So once the window plus a margin (clock skew, the venue's own
queueing) has passed since the send, a lookup that finds nothing means the request will not
arrive any more; before that it means nothing. Timed by a monotonic clock (seconds): the
wire's own time, not the decision clock, which in simulation stands still.
"""

from __future__ import annotations

from collections.abc import Callable

from aiswarm.types import ClientOrderId

__all__ = ["InFlightRequests"]


class InFlightRequests:
    """When each unanswered submit's outcome settles; see the module docstring."""

    def __init__(self, window_ms: int, margin_ms: int, monotonic: Callable[[], float]) -> None:
        self._wait_s = (window_ms + margin_ms) / 1000
        self._monotonic = monotonic
        self._until: dict[ClientOrderId, float] = {}

    def sending(self, client_order_id: ClientOrderId) -> None:
        """Note a request about to go out; unsettled until its window has passed."""
        self._until[client_order_id] = self._monotonic() + self._wait_s

    def answered(self, client_order_id: ClientOrderId) -> None:
        """Forget a request the venue answered (or was seen to hold): nothing is in flight."""
        self._until.pop(client_order_id, None)

    def settled(self, client_order_id: ClientOrderId) -> bool:
        """Return whether no request for this id can still arrive at the venue."""
        until = self._until.get(client_order_id)
        return until is None or self._monotonic() >= until
