"""The ccxt venue adapter: any ccxt exchange, spot or USDⓈ-M perpetuals, chosen by config.

One ``CcxtVenue`` trades one venue account. It keeps ``Venue``'s promises over REST:

* **Idempotent by client order id.** Our id goes to the venue as ccxt's unified
  ``clientOrderId`` (Binance ``newClientOrderId``, Bybit ``orderLinkId``). Before any order is
  sent again, after a timeout, a 5xx, a 429 or a restart, the venue is asked for that id; only
  an order it has never seen is sent again, so a lost answer never makes a second order.
* **An unanswered submit is "outcome unknown"** (``ccxt_in_flight``): after a timeout a lookup
  that finds nothing proves nothing until the request window has passed, so ``submit`` and
  ``query`` raise ``VenueOutcomeUnknown`` until then (the OMS asks again on its next pass).
* **Retries only where safe** (``execution.venue_retry``): queries and cancels are retried on
  a transient fault; a submit is retried only through that lookup. Refusals map to our codes
  (``ccxt_errors``) and arrive as a REJECTED report plus a refused ack.
* **Rate limits**: ccxt's own throttler (``enableRateLimit``) spaces requests by the venue's
  published weights (each endpoint's ``cost`` times ``rateLimit`` ms); a 429 that still comes
  back waits at least its Retry-After before the next attempt.
* **Reports** come from ``poll``: each open order is asked for its state and, when it
  traded, its trades; ``ccxt_tracking`` turns that into reports in order, once each.

The connection (credentials, URLs, throttling, request classification, and the reads that
need no order state: balances, positions, bars) is ``ccxt_session``'s. After a restart the
composition root hands back the log's open orders (``adopt``) before the OMS reconciles, so
every query knows the order's symbol.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

import ccxt.async_support as ccxt

from aiswarm.clock import Clock, WallClock
from aiswarm.errors import ConfigError, TransientVenueError, VenueOutcomeUnknown
from aiswarm.execution.live_venue import Balance, VenuePosition
from aiswarm.execution.venue import (
    ExecutionReport,
    RejectCode,
    VenueAck,
    VenueOrder,
    reused_id_ack,
)
from aiswarm.execution.venue_retry import backoff_s, waits_too_long
from aiswarm.types import (
    Bar,
    ClientOrderId,
    Instrument,
    OrderSpec,
    OrderType,
    Symbol,
    VenueId,
    VenueOrderId,
)
from aiswarm.venues.ccxt_in_flight import InFlightRequests
from aiswarm.venues.ccxt_markets import at_precision, exact, instrument_of
from aiswarm.venues.ccxt_session import CcxtSession, RefusedError
from aiswarm.venues.ccxt_settings import CcxtSettings
from aiswarm.venues.ccxt_tracking import OrderTracker, TrackedOrder

__all__ = ["CcxtVenue"]

_log = logging.getLogger(__name__)
_MS = 1_000_000


def _wire_seconds() -> float:
    """Return the wall clock's monotonic counter in seconds (the wire's time)."""
    return WallClock().monotonic_ns() / 1e9


class CcxtVenue:
    """A live venue reached through ccxt; see the module docstring.

    ``monotonic`` times the request window of unanswered submits (``ccxt_in_flight``; by
    default the wall clock's monotonic counter, in seconds).
    """

    def __init__(
        self,
        settings: CcxtSettings,
        clock: Clock,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._in_flight = InFlightRequests(
            settings.request_window_ms, settings.in_flight_margin_ms, monotonic or _wire_seconds
        )
        self._tracker = OrderTracker(settings.venue_id)
        self._replaced: dict[ClientOrderId, ClientOrderId] = {}
        self._session = CcxtSession(settings)
        self._ask = self._session.ask
        self._once = self._session.once
        self._instruments: dict[Symbol, Instrument] = {}

    @property
    def venue_id(self) -> VenueId:
        """Return the venue this adapter trades at."""
        return self.settings.venue_id

    @property
    def instruments(self) -> Mapping[Symbol, Instrument]:
        """Return the routed symbols' instruments (empty before ``connect``)."""
        return self._instruments

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """Build the client, load markets once, and read each routed symbol's instrument."""
        exchange = await self._session.connect()
        try:
            for symbol, venue_symbol in self.settings.routes.items():
                if venue_symbol not in exchange.markets:
                    raise ConfigError(
                        f"venue {self.venue_id} lists no market {venue_symbol!r} (routed from "
                        f"{symbol}); fix live.routes in the config"
                    )
                self._instruments[symbol] = instrument_of(
                    exchange, self.venue_id, symbol, venue_symbol
                )
        except BaseException:
            await self.close()
            raise
        _log.info("venue connected: %s (%s)", self.venue_id, self.settings.exchange)

    async def close(self) -> None:
        """Close the client's connections; safe to call twice."""
        await self._session.close()

    @property
    def exchange(self) -> ccxt.Exchange:
        """Return the connected ccxt client."""
        return self._session.exchange

    async def _lookup(self, order: TrackedOrder) -> dict[str, Any] | None:
        """Return the venue's order under our client order id, or None if it has none."""
        exchange = self.exchange
        try:
            return await self._ask(
                lambda: exchange.fetch_order(
                    None, order.venue_symbol, {"clientOrderId": order.spec.client_order_id}
                )
            )
        except RefusedError as refused:
            if refused.code is RejectCode.UNKNOWN_ORDER:
                return None
            # Whether the order arrived is still unknown: ask again later, never resend now.
            raise TransientVenueError(
                f"lookup of {order.spec.client_order_id}: {refused.code} {refused.reason}"
            ) from None

    async def _settled_lookup(self, order: TrackedOrder) -> dict[str, Any] | None:
        """Return the venue's order, or None only when it is sure not to arrive any more.

        While an unanswered submit of it may still be in flight (its request window has not
        passed since the send), finding nothing raises ``VenueOutcomeUnknown``: ask later.
        """
        client_order_id = order.spec.client_order_id
        settled = self._in_flight.settled(client_order_id)  # decided before the lookup
        seen = await self._lookup(order)
        if seen is not None or settled:
            self._in_flight.answered(client_order_id)
            return seen
        raise VenueOutcomeUnknown(
            f"submit of {client_order_id} unanswered and not found yet; it may still arrive "
            f"within the venue's request window ({self.settings.request_window_ms} ms)"
        )

    async def _refresh(self, order: TrackedOrder, seen: dict[str, Any] | None = None) -> None:
        """Ask for the order (unless given) and its trades when it traded; report what is new."""
        if seen is None:
            seen = await self._lookup(order)
            if seen is None:
                return
        trades: list[dict[str, Any]] = []
        if exact(seen.get("filled") or 0) > order.filled:
            exchange = self.exchange
            trades = await self._session.read(
                lambda: exchange.fetch_my_trades(
                    order.venue_symbol, None, None, {"orderId": str(seen["id"])}
                )
            )
        self._tracker.observe(order, seen, trades)

    # ------------------------------------------------------------------ orders

    def _params(self, spec: OrderSpec) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"clientOrderId": spec.client_order_id}
        if spec.stop_price is not None:
            params["triggerPrice"] = str(spec.stop_price)
        if spec.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            params["timeInForce"] = spec.time_in_force.value.upper()
        if spec.post_only:
            params["postOnly"] = True
        if spec.reduce_only:
            params["reduceOnly"] = True
        kind = "limit" if spec.order_type.needs_limit_price else "market"
        return kind, params

    def _ack(
        self, order: TrackedOrder, code: RejectCode | None = None, reason: str = ""
    ) -> VenueAck:
        return VenueAck(
            client_order_id=order.spec.client_order_id,
            accepted=order.accepted and code is None,
            ts_ns=self._clock.now_ns(),
            venue_order_id=order.venue_order_id,
            code=code,
            reason=reason,
        )

    def _refuse(self, order: TrackedOrder, code: RejectCode, reason: str) -> VenueAck:
        self._tracker.refuse(order, self._clock.now_ns(), code, reason)
        _log.warning("venue %s refused %s: %s", self.venue_id, order.spec.client_order_id, code)
        return self._ack(order, code, reason)

    async def submit(self, spec: OrderSpec) -> VenueAck:
        """Send ``spec`` once; after a lost answer, look it up by client order id first."""
        now_ns = self._clock.now_ns()
        held = self._tracker.orders.get(spec.client_order_id)
        if held is not None and held.spec != spec:
            return reused_id_ack(spec.client_order_id, now_ns)
        if spec.venue != self.venue_id:
            return VenueAck(
                client_order_id=spec.client_order_id,
                accepted=False,
                ts_ns=now_ns,
                code=RejectCode.WRONG_VENUE,
                reason=f"venue={spec.venue} is not {self.venue_id}",
            )
        venue_symbol = self.settings.routes.get(spec.symbol)
        order = held or self._tracker.track(spec, venue_symbol or "")
        if order.refusal is not None:
            return self._ack(order, *order.refusal)  # the same spec again: the same refusal
        if order.accepted or order.ended:
            return self._ack(order)  # the same spec again: the first answer, nothing new
        if venue_symbol is None:
            return self._refuse(
                order, RejectCode.UNKNOWN_SYMBOL, f"{spec.symbol} is not routed to {self.venue_id}"
            )
        sized = at_precision(self.exchange, spec, venue_symbol)
        if isinstance(sized[0], RejectCode):
            return self._refuse(order, sized[0], str(sized[1]))
        amount, price = sized
        last: Exception | None = None
        for attempt in range(1, self.settings.retry.attempts + 1):
            if held is not None or order.venue_order_id is not None:
                seen = await self._settled_lookup(order)  # did an earlier attempt arrive?
                if seen is not None:
                    await self._refresh(order, seen)
                    return self._ack(order)
            held = order
            self._in_flight.sending(spec.client_order_id)
            try:
                created = await self._once(lambda: self._create(spec, venue_symbol, amount, price))
            except TransientVenueError as fault:
                last = fault
                if not isinstance(fault, VenueOutcomeUnknown):
                    # Answered (5xx, 429) or never connected: nothing is in flight; the
                    # lookup of the next attempt tells whether it was processed.
                    self._in_flight.answered(spec.client_order_id)
                if waits_too_long(self.settings.retry, fault):
                    break
                await asyncio.sleep(
                    backoff_s(self.settings.retry, attempt, self._session.rng, fault)
                )
                continue
            except RefusedError as refused:
                self._in_flight.answered(spec.client_order_id)
                if refused.code is RejectCode.DUPLICATE_CLIENT_ORDER_ID:
                    continue  # the venue holds this id: the lookup above takes its view
                return self._refuse(order, refused.code, refused.reason)
            self._in_flight.answered(spec.client_order_id)
            await self._refresh(order, created)
            return self._ack(order)
        if isinstance(last, TransientVenueError):
            raise last  # unanswered: the OMS asks again (through the lookup) on its next pass
        raise TransientVenueError(f"submit {spec.client_order_id} unanswered")

    async def _create(
        self, spec: OrderSpec, venue_symbol: str, amount: str, price: str | None
    ) -> dict[str, Any]:
        kind, params = self._params(spec)
        created: dict[str, Any] = await self.exchange.create_order(
            venue_symbol, kind, spec.side.value, amount, price, params
        )
        return created

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        """Ask the venue to cancel; the outcome also arrives as a report."""
        order = self._tracker.orders.get(client_order_id)
        now_ns = self._clock.now_ns()
        if order is None or not order.accepted:
            return VenueAck(
                client_order_id=client_order_id,
                accepted=False,
                ts_ns=now_ns,
                code=RejectCode.UNKNOWN_ORDER,
                reason="no order under this client order id at the venue",
            )
        if order.ended:
            return self._ack(order, RejectCode.ORDER_CLOSED, "the order has ended")
        exchange = self.exchange
        try:
            seen = await self._ask(
                lambda: exchange.cancel_order(
                    None, order.venue_symbol, {"clientOrderId": client_order_id}
                )
            )
        except RefusedError as refused:
            if refused.code is not RejectCode.UNKNOWN_ORDER:
                return self._ack(order, refused.code, refused.reason)
            await self._refresh(order)  # it may have ended before the cancel landed: see
            if order.ended:
                return self._ack(order, RejectCode.ORDER_CLOSED, refused.reason)
            # Still working by the venue's own view (its matching engine lagging the order
            # book, or a lookup that failed): unknown, so the OMS asks again.
            return self._ack(order, RejectCode.UNKNOWN_ORDER, refused.reason)
        await self._refresh(order, seen)
        return self._ack(order)

    async def modify(self, client_order_id: ClientOrderId, new_spec: OrderSpec) -> VenueAck:
        """Cancel ``client_order_id`` and place ``new_spec`` (cancel-replace, new id tracked).

        ccxt's ``edit_order`` differs per exchange (Binance spot itself cancels and replaces),
        so the adapter does the same thing everywhere: the old order's cancel must be taken
        before the new one is placed, and ``replaced_by`` names the new id.
        """
        cancelled = await self.cancel(client_order_id)
        if not cancelled.accepted:
            return VenueAck(
                client_order_id=new_spec.client_order_id,
                accepted=False,
                ts_ns=cancelled.ts_ns,
                code=cancelled.code,
                reason=f"not replaced: cancel of {client_order_id} refused ({cancelled.reason})",
            )
        self._replaced[client_order_id] = new_spec.client_order_id
        return await self.submit(new_spec)

    def replaced_by(self, client_order_id: ClientOrderId) -> ClientOrderId | None:
        """Return the id of the order that replaced ``client_order_id``, if any."""
        return self._replaced.get(client_order_id)

    def adopt(self, spec: OrderSpec, venue_order_id: VenueOrderId | None) -> None:
        """Take back an order the log holds as open (after a restart)."""
        venue_symbol = self.settings.routes.get(spec.symbol)
        if venue_symbol is not None:
            self._tracker.adopt(spec, venue_symbol, venue_order_id)

    # ------------------------------------------------------------------ reports

    async def poll(self) -> None:
        """Ask about every open order; a transient fault leaves the rest for the next poll."""
        for order in self._tracker.open():
            if not order.accepted:
                continue
            try:
                await self._refresh(order)
            except TransientVenueError as fault:
                _log.warning("venue %s poll deferred: %s", self.venue_id, fault)
                return

    def drain_reports(self) -> list[ExecutionReport]:
        """Return and forget every report since the last call, oldest first."""
        return self._tracker.drain()

    async def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        """Return the venue's view of one of our orders, or None when it has none."""
        order = self._tracker.orders.get(client_order_id)
        if order is None or not order.venue_symbol:
            return None
        seen = await self._settled_lookup(order)
        if seen is None:
            return None
        if not order.accepted:
            # The submit's answer was lost (or a restart came first): take the venue's view
            # now, so its reports flow and later polls ask about the order.
            await self._refresh(order, seen)
        return self._tracker.view(order, seen)

    async def open_orders(self) -> list[VenueOrder]:
        """Return our orders the venue holds open, oldest first."""
        views: list[VenueOrder] = []
        for seen in await self._venue_open_orders():
            order = self._tracker.orders.get(ClientOrderId(str(seen.get("clientOrderId"))))
            if order is not None:
                views.append(self._tracker.view(order, seen))
        return sorted(views, key=lambda view: view.ts_ns)

    async def foreign_open_orders(self) -> list[str]:
        """Return 'symbol id' of each open order at the venue that we did not place."""
        return [
            f"{seen.get('symbol')} {seen.get('clientOrderId') or seen.get('id')}"
            for seen in await self._venue_open_orders()
            if ClientOrderId(str(seen.get("clientOrderId"))) not in self._tracker.orders
        ]

    async def _venue_open_orders(self) -> list[dict[str, Any]]:
        exchange = self.exchange
        found: list[dict[str, Any]] = []
        for venue_symbol in sorted(set(self.settings.routes.values())):
            found += await self._session.read(partial(exchange.fetch_open_orders, venue_symbol))
        return found

    async def fills_for(self, client_order_id: ClientOrderId) -> list[ExecutionReport]:
        """Return every FILL of the order so far, from the venue's trade history."""
        order = self._tracker.orders.get(client_order_id)
        if order is None:
            return []
        if order.venue_order_id is None:
            seen = await self._lookup(order)
            if seen is None:
                return []
            order.venue_order_id = VenueOrderId(str(seen["id"]))
        return self._fills(order, await self._trades(order.venue_symbol, order=order))

    async def fills_since(self, ts_ns: int) -> list[ExecutionReport]:
        """Return the FILLs of our orders at or after ``ts_ns``, oldest first."""
        reports: list[ExecutionReport] = []
        for venue_symbol in sorted(set(self.settings.routes.values())):
            by_order: dict[str, list[dict[str, Any]]] = {}
            for trade in await self._trades(venue_symbol, since_ms=ts_ns // _MS):
                by_order.setdefault(str(trade.get("order")), []).append(trade)
            for venue_order_id, trades in by_order.items():
                client_order_id = self._tracker.by_venue_id.get(venue_order_id)
                if client_order_id is not None:
                    reports += self._fills(self._tracker.orders[client_order_id], trades)
        return sorted(reports, key=lambda report: report.ts_ns)

    async def _trades(
        self, venue_symbol: str, *, order: TrackedOrder | None = None, since_ms: int | None = None
    ) -> list[dict[str, Any]]:
        exchange = self.exchange
        params = {} if order is None else {"orderId": str(order.venue_order_id)}
        return await self._session.read(
            lambda: exchange.fetch_my_trades(venue_symbol, since_ms, None, params)
        )

    def _fills(self, order: TrackedOrder, trades: list[dict[str, Any]]) -> list[ExecutionReport]:
        filled = Decimal(0)
        reports = []
        for trade in sorted(trades, key=lambda t: (int(t.get("timestamp") or 0), str(t["id"]))):
            filled += exact(trade["amount"])
            leaves = max(Decimal(0), order.spec.quantity - filled)
            reports.append(self._tracker.fill_report(order, trade, leaves))
        return reports

    # ------------------------------------------------------------------ account, market

    async def balances(self) -> dict[str, Balance]:
        """Return the account's balances by asset (exact)."""
        return await self._session.balances()

    async def positions(self) -> list[VenuePosition]:
        """Return open perpetual positions of the routed symbols (none on spot)."""
        return await self._session.positions()

    async def closed_bars(self, symbol: Symbol, interval_s: int, after_ns: int) -> list[Bar]:
        """Return ``symbol``'s bars that opened after ``after_ns`` and closed by now."""
        return await self._session.closed_bars(symbol, interval_s, after_ns, self._clock.now_ns())
