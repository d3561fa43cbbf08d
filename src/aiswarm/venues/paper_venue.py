"""Simulate a venue: match orders against bars, charge fees and funding, report like a real one.

``PaperVenue`` implements ``Venue`` (the OMS cannot tell it from a live adapter) and
``MarketDataSink`` (the runtime feeds it bars and funding). It is what backtest and paper
mode trade against, so it must never flatter a strategy:

* no fill without data: a market order waits for the first bar that reaches it, and never
  fills at price 0;
* no fill before the order could have arrived: an order submitted at ``t`` matches only on
  bars with ``ts_ns >= t + latency_ns``, and cancels take effect after the same latency;
* no fill larger than the market traded: all our orders on a bar share
  ``max_participation_frac x bar.volume``, and the rest waits (GTC) or expires (IOC);
* takers pay the taker fee and a seeded chance of whole-tick slippage; makers the maker fee.

The price rules are in ``paper_matching.py``; docs/venues.md states them all. Given the same
instruments, calls and slippage seed, the reports are identical run after run: ids come from
counters, orders match in submission order, and nothing reads the wall clock. No I/O. The
order table, acks and refusals of used ids and closed orders are the shared ``simulated_book``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from aiswarm.clock import Clock
from aiswarm.execution.venue import ExecutionReport, RejectCode, ReportKind, VenueAck, VenueOrder
from aiswarm.types import (
    AccountId,
    Bar,
    ClientOrderId,
    FundingRate,
    Instrument,
    InstrumentKind,
    OrderSpec,
    OrderStatus,
    Side,
    Symbol,
    TradeId,
    VenueId,
    to_decimal,
)
from aiswarm.venues.fill_models import EXACT, FeeModel, NoSlippage, SlippageModel
from aiswarm.venues.paper_matching import Match, decide, refusal, slipped_price
from aiswarm.venues.restored_book import RestoredOrder
from aiswarm.venues.simulated_book import BookOrder, Refusal, SimulatedBook

__all__ = ["PaperVenue"]

_ZERO = Decimal(0)
_UNCAPPED = Decimal("Infinity")


class PaperVenue:
    """A simulated venue that matches against bars; see the module docstring for its rules.

    ``instruments`` are the markets it lists (each must belong to ``venue_id``).
    ``latency_ns`` is the one-way delay from submit or cancel to the matching engine.
    ``max_participation_frac`` (0 < frac <= 1) is the share of a bar's traded volume our
    orders may take, all together; None removes the cap (every eligible order fills in full,
    as the shared benchmark's peers assume).
    """

    def __init__(
        self,
        venue_id: VenueId,
        instruments: Mapping[Symbol, Instrument],
        clock: Clock,
        *,
        fee_model: FeeModel | None = None,
        slippage: SlippageModel | None = None,
        latency_ns: int = 0,
        max_participation_frac: Decimal | None = Decimal("0.1"),
    ) -> None:
        for symbol, instrument in instruments.items():
            if instrument.symbol != symbol or instrument.venue != venue_id:
                raise ValueError(
                    f"instrument {instrument.venue}:{instrument.symbol} is listed as "
                    f"{venue_id}:{symbol}: key each instrument by its own symbol at this venue"
                )
        if latency_ns < 0:
            raise ValueError(f"latency_ns={latency_ns} is negative: pass 0 for no latency")
        frac: Decimal | None = None
        if max_participation_frac is not None:
            frac = to_decimal(max_participation_frac, "max_participation_frac")
            if not _ZERO < frac <= 1:
                raise ValueError(
                    f"max_participation_frac={frac} must be above 0 and at most 1 "
                    "(0.1 means 10% of a bar's traded volume), or None for no volume cap"
                )
        self._venue_id = venue_id
        self._instruments = dict(instruments)
        self._clock = clock
        self._fees = fee_model or FeeModel()
        self._slippage = slippage or NoSlippage()
        self._latency_ns = latency_ns
        self._participation = frac
        self._book = SimulatedBook(
            venue_id,
            f"{venue_id}-",
            on_accept=self._rest,
            on_cancel=self._request_cancel,
            refuse=self._refusal,
            delay_ns=latency_ns,
        )
        self._resting: dict[Symbol, list[BookOrder]] = {}
        self._pending_cancels: list[BookOrder] = []
        self._last_bar_ns: dict[Symbol, int] = {}
        self._last_close: dict[Symbol, Decimal] = {}
        self._reference: Callable[[Symbol], Decimal | None] | None = None
        self._positions: dict[tuple[AccountId, Symbol], Decimal] = {}
        # The book's report stream, held directly: fills and funding append on the hot path.
        self._reports = self._book.reports
        self._fills: dict[ClientOrderId, list[ExecutionReport]] = {}
        self._trade_count = 0

    @property
    def venue_id(self) -> VenueId:
        """Return the venue this simulation stands in for."""
        return self._venue_id

    # ----------------------------------------------------------------- Venue protocol

    async def submit(self, spec: OrderSpec) -> VenueAck:
        """Accept or refuse ``spec``; a repeat of a used client order id creates nothing."""
        return self._book.submit(spec, self._clock.now_ns())

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        """Ask to cancel; it takes effect ``latency_ns`` later, and fills may come first.

        The ack says whether the request was taken. The outcome is reported: CANCELED, or
        CANCEL_REJECTED when the order filled before the cancel reached it. A cancel of an
        order already canceled or expired is refused in the ack alone; that order's own
        report already closed it.
        """
        return self._book.cancel(client_order_id, self._clock.now_ns())

    async def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        """Return the venue's view of the order, or None for an id it never saw."""
        return self._book.query(client_order_id)

    async def open_orders(self) -> list[VenueOrder]:
        """Return the orders that can still fill, in submission order."""
        return self._book.open_orders()

    async def fills_for(self, client_order_id: ClientOrderId) -> list[ExecutionReport]:
        """Return every fill of the order so far, oldest first (empty for an unknown id)."""
        return list(self._fills.get(client_order_id, ()))

    def drain_reports(self) -> list[ExecutionReport]:
        """Return and forget the reports so far, oldest first; settle cancels that are due."""
        self._settle_cancels(self._clock.now_ns())
        return self._book.drain()

    def use_reference_prices(self, lookup: Callable[[Symbol], Decimal | None]) -> None:
        """Price a market order's minimum-notional check from ``lookup`` (the latest close).

        Without it the venue uses the last bar it was shown. A backtest shows the venue a bar
        only while an order works, and a restored venue has seen none, so the engine hands its
        market state's latest close here: every mode then judges the same order the same way.
        """
        self._reference = lookup

    def restore(
        self,
        orders: Iterable[RestoredOrder],
        positions: Mapping[tuple[AccountId, Symbol], Decimal],
        order_count: int,
        trade_count: int,
    ) -> None:
        """Take back the book held when the process stopped (see ``restored_book``).

        ``positions`` are the holdings the journal's fills imply (a spot sell or a reduce-only
        order is judged against them); ``order_count`` numbers new venue order ids after the
        ones already handed out, ``trade_count`` new trade ids after the fills already booked
        (a trade id names one fill for good: reusing one would be refused as an altered fill).
        """
        restored = list(orders)
        for known, order in zip(restored, self._book.restore(restored, order_count), strict=True):
            order.arrived = True
            # A stop order that has filled at all had triggered; one without a fill had if
            # ``judge_trigger`` found its stop reached on a bar matched before the restart.
            order.triggered = known.triggered or order.filled > 0
            self._rest(order)
        self._positions.update(positions)
        self._trade_count = max(self._trade_count, trade_count)

    # ----------------------------------------------------------------- market data

    def on_bar(self, bar: Bar) -> None:
        """Match the eligible resting orders of ``bar.symbol`` against ``bar``.

        Orders match in submission order and share the bar's participation budget. Bars of a
        symbol must arrive in time order; a bar for a symbol not listed here is ignored.
        """
        if bar.venue != self._venue_id:
            raise ValueError(
                f"bar for venue={bar.venue} fed to paper venue {self._venue_id}: "
                "route each venue's feed to its own venue"
            )
        symbol = bar.symbol
        instrument = self._instruments.get(symbol)
        if instrument is None:
            return
        last = self._last_bar_ns.get(symbol)
        if last is not None and bar.ts_ns <= last:
            raise ValueError(
                f"bar {symbol}@{bar.ts_ns} is not after the last bar @{last}: "
                "feed bars of a symbol once each, in time order"
            )
        self._last_bar_ns[symbol] = bar.ts_ns
        self._settle_cancels(bar.ts_ns)
        resting = self._resting.get(symbol)
        if resting:
            if self._participation is None:
                capacity = _UNCAPPED
            else:
                budget = EXACT.multiply(self._participation, bar.volume)
                capacity = instrument.quantize_quantity(budget)
            for order in resting:
                if order.is_open and order.eligible_ns <= bar.ts_ns:
                    capacity -= self._match(order, bar, instrument, capacity)
            self._resting[symbol] = [order for order in resting if order.is_open]
        self._last_close[symbol] = bar.close

    def on_funding(self, rate: FundingRate, mark: Decimal) -> None:
        """Charge or pay funding on every open position in a perpetual, at ``mark``.

        The amount is ``quantity x mark x rate`` with the position's sign: a long pays when
        the rate is positive, a short receives. Spot and unlisted symbols have no funding.
        """
        if rate.venue != self._venue_id:
            raise ValueError(
                f"funding for venue={rate.venue} fed to paper venue {self._venue_id}: "
                "route each venue's feed to its own venue"
            )
        price = to_decimal(mark, "mark")
        if price <= 0:
            raise ValueError(f"mark={price} is not positive: pass the mark price at settlement")
        instrument = self._instruments.get(rate.symbol)
        if instrument is None or instrument.kind is not InstrumentKind.PERPETUAL:
            return
        for (account, symbol), quantity in self._positions.items():
            if symbol != rate.symbol or quantity == 0:
                continue
            amount = EXACT.multiply(EXACT.multiply(quantity, price), rate.rate)
            self._reports.append(
                ExecutionReport(
                    kind=ReportKind.FUNDING,
                    venue=self._venue_id,
                    ts_ns=rate.ts_ns,
                    symbol=symbol,
                    account=account,
                    amount=amount,
                )
            )

    def position(self, account: AccountId, symbol: Symbol) -> Decimal:
        """Return the signed quantity this venue holds for ``account`` (base units)."""
        return self._positions.get((account, symbol), _ZERO)

    # ----------------------------------------------------------------- internals

    def _rest(self, order: BookOrder) -> None:
        """Put a newly accepted or restored order on its symbol's list, behind the others."""
        self._resting.setdefault(order.spec.symbol, []).append(order)

    def _request_cancel(self, order: BookOrder, now_ns: int) -> None:
        """Send the cancel of open ``order``: it lands ``latency_ns`` after ``now_ns``."""
        if order.cancel_at_ns is None:
            order.cancel_at_ns = now_ns + self._latency_ns
            self._pending_cancels.append(order)
        self._settle_cancels(now_ns)

    def _refusal(self, spec: OrderSpec) -> Refusal | None:
        """Return why this venue refuses ``spec`` on arrival (past the book's venue check)."""
        instrument = self._instruments.get(spec.symbol)
        if instrument is None:
            listed = ", ".join(sorted(self._instruments)) or "none"
            return RejectCode.UNKNOWN_SYMBOL, (
                f"symbol={spec.symbol} is not listed at {self._venue_id} (listed: {listed})"
            )
        return refusal(
            spec,
            instrument,
            last_close=self._reference(spec.symbol)
            if self._reference is not None
            else self._last_close.get(spec.symbol),
            reducible=self._reducible(spec),
        )

    def _match(
        self, order: BookOrder, bar: Bar, instrument: Instrument, capacity: Decimal
    ) -> Decimal:
        """Apply ``order``'s outcome on ``bar`` (fill, expiry); return the quantity filled."""
        arriving = not order.arrived
        order.arrived = True
        outcome = decide(
            order.spec,
            bar,
            filled=order.filled,
            arriving=arriving,
            triggered=order.triggered,
            capacity=capacity,
            reducible=self._reducible(order.spec),
        )
        order.triggered = outcome.triggered
        if outcome.match is not None:
            self._fill(order, instrument, outcome.match, outcome.quantity, bar.ts_ns)
        if outcome.end is not None:
            code, reason = outcome.end
            self._book.close(order, OrderStatus.EXPIRED, bar.ts_ns, code, reason)
        return outcome.quantity

    def _fill(
        self, order: BookOrder, instrument: Instrument, match: Match, quantity: Decimal, ts_ns: int
    ) -> None:
        """Record one fill of ``quantity`` at the matched price, with fee and slippage."""
        spec = order.spec
        side = spec.side
        # Bar prices need not sit on the tick; round against us so no price is flattering.
        rounding = ROUND_CEILING if side is Side.BUY else ROUND_FLOOR
        on_tick = instrument.round_price_to_tick(match.price, rounding)
        ticks = 0 if match.is_maker else self._slippage.slip_ticks()
        price = slipped_price(on_tick, match, side, ticks, instrument.tick_size)
        fee = self._fees.fee(EXACT.multiply(quantity, price), is_maker=match.is_maker)
        order.filled = EXACT.add(order.filled, quantity)
        order.status = (
            OrderStatus.FILLED if order.filled == spec.quantity else OrderStatus.PARTIALLY_FILLED
        )
        order.ts_ns = ts_ns
        key = (spec.account, spec.symbol)
        signed = quantity if side is Side.BUY else -quantity
        self._positions[key] = EXACT.add(self._positions.get(key, _ZERO), signed)
        self._trade_count += 1
        report = ExecutionReport(
            kind=ReportKind.FILL,
            venue=self._venue_id,
            ts_ns=ts_ns,
            client_order_id=spec.client_order_id,
            venue_order_id=order.venue_order_id,
            symbol=spec.symbol,
            trade_id=TradeId(f"{self._venue_id}-t{self._trade_count}"),
            side=side,
            quantity=quantity,
            price=price,
            fee=fee,
            fee_currency=instrument.quote,
            is_maker=match.is_maker,
            leaves_quantity=spec.quantity - order.filled,
        )
        self._reports.append(report)
        self._fills.setdefault(spec.client_order_id, []).append(report)

    def _reducible(self, spec: OrderSpec) -> Decimal:
        """Return how much of the position ``spec`` could close (0 when it would grow it)."""
        held = self._positions.get((spec.account, spec.symbol), _ZERO)
        opposite = held < 0 if spec.side is Side.BUY else held > 0
        return abs(held) if opposite else _ZERO

    def _settle_cancels(self, now_ns: int) -> None:
        """Apply every cancel request that has reached the matching engine by ``now_ns``."""
        if not self._pending_cancels:
            return
        waiting: list[BookOrder] = []
        for order in self._pending_cancels:
            assert order.cancel_at_ns is not None
            if order.cancel_at_ns > now_ns:
                waiting.append(order)
            elif order.is_open:
                self._book.close(order, OrderStatus.CANCELED, order.cancel_at_ns, None, "canceled")
            elif order.status is OrderStatus.FILLED:
                self._book.report(
                    ReportKind.CANCEL_REJECTED,
                    order.spec,
                    order.venue_order_id,
                    order.cancel_at_ns,
                    code=RejectCode.ORDER_CLOSED,
                    reason="the order filled before the cancel reached the venue",
                )
        self._pending_cancels = waiting
