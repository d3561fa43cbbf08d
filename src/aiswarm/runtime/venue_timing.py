"""Time every call the OMS makes to its venue, and count the ones that raise (metrics).

The composition root hands the OMS this wrapper instead of the venue itself when monitoring is
on; the engine keeps the venue (a simulated venue is also the market-data sink). The wrapper
holds no state, so there is nothing to restore after a crash. It changes no behaviour: every
answer and every exception passes through untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiswarm.execution import Venue
from aiswarm.execution.venue import ExecutionReport, VenueAck, VenueOrder
from aiswarm.types import ClientOrderId, OrderSpec, VenueId

__all__ = ["TimedVenue", "VenueTimer"]

_T = TypeVar("_T")


class VenueTimer(Protocol):
    """Where the timings go (``runtime.monitor.Monitor``)."""

    def monotonic_ns(self) -> int:
        """Return a monotonic counter in nanoseconds."""
        ...

    def venue_call(self, venue: str, operation: str, duration_ns: int, failed: bool) -> None:
        """Take one venue call's duration and whether it raised."""
        ...


class TimedVenue:
    """A ``Venue`` that times the wrapped venue's calls; see the module docstring."""

    def __init__(self, venue: Venue, timer: VenueTimer) -> None:
        self._venue = venue
        self._timer = timer

    @property
    def venue_id(self) -> VenueId:
        """Return the wrapped venue's id."""
        return self._venue.venue_id

    async def _timed(self, operation: str, call: Callable[[], Awaitable[_T]]) -> _T:
        timer = self._timer
        started = timer.monotonic_ns()
        failed = True
        try:
            result = await call()
            failed = False
            return result
        finally:
            timer.venue_call(
                self._venue.venue_id, operation, timer.monotonic_ns() - started, failed
            )

    async def submit(self, spec: OrderSpec) -> VenueAck:
        """Send ``spec`` to the venue, timed."""
        return await self._timed("submit", lambda: self._venue.submit(spec))

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        """Ask the venue to cancel, timed."""
        return await self._timed("cancel", lambda: self._venue.cancel(client_order_id))

    async def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        """Ask the venue about one order, timed."""
        return await self._timed("query", lambda: self._venue.query(client_order_id))

    async def open_orders(self) -> list[VenueOrder]:
        """Ask the venue for its open orders, timed."""
        return await self._timed("open_orders", self._venue.open_orders)

    async def fills_for(self, client_order_id: ClientOrderId) -> list[ExecutionReport]:
        """Ask the venue for an order's fills, timed."""
        return await self._timed("fills_for", lambda: self._venue.fills_for(client_order_id))

    def drain_reports(self) -> list[ExecutionReport]:
        """Return the venue's queued reports (local: not timed)."""
        return self._venue.drain_reports()
