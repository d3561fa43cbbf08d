"""Define the one interface every venue adapter implements, and what a venue reports back. No I/O.

Paper, shadow and (later) live venues all implement ``Venue``. The OMS talks to whichever one
the runtime passed in, and never knows which it is:

* ``submit`` and ``cancel`` are the venue's synchronous answer to a request (``VenueAck``):
  did it take the request, and if not, why. ``submit`` is idempotent on the client order id:
  the same spec twice returns the first answer and never creates a second order; a different
  spec under a used id is refused and leaves the first order alone.
* ``drain_reports`` hands over everything that happened to the venue's orders since the last
  call (``ExecutionReport``), oldest first. The report stream is the single source for order
  state: every acceptance, refusal, fill, cancel, expiry and funding payment of an order the
  venue holds appears there exactly once. The ack repeats the immediate outcome for the
  caller's convenience; drive the order state table from the reports, not from the ack.

Why polling rather than an async iterator: a backtest calls ``on_bar`` and then
``drain_reports`` in a plain loop, with no task switch per bar; a live adapter fills the same
buffer from its websocket task, and the OMS drains it after each ``await`` (a clock sleep, a
submit). Both are one list swap.

Report and ack types are slotted frozen dataclasses, not pydantic models: a backtest makes
one per fill on the hot path, and their checks are a few comparisons. Timestamps are integer
nanoseconds since the Unix epoch (UTC). Money fields are exact ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from aiswarm.clock import from_ns
from aiswarm.types import (
    AccountId,
    Bar,
    ClientOrderId,
    Fill,
    FundingRate,
    OrderSpec,
    OrderStatus,
    Side,
    Symbol,
    TradeId,
    VenueId,
    VenueOrderId,
)

__all__ = [
    "ExecutionReport",
    "MarketDataSink",
    "RejectCode",
    "ReportKind",
    "Venue",
    "VenueAck",
    "VenueOrder",
    "fill_from_report",
    "order_report",
    "reused_id_ack",
]


class ReportKind(StrEnum):
    """What happened to an order (or, for FUNDING, to a position) at the venue."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FILL = "fill"
    CANCELED = "canceled"
    CANCEL_REJECTED = "cancel_rejected"
    EXPIRED = "expired"
    FUNDING = "funding"


class RejectCode(StrEnum):
    """Why a venue refused an order or a cancel, or ended an order on its own."""

    WRONG_VENUE = "wrong_venue"
    UNKNOWN_SYMBOL = "unknown_symbol"
    OFF_TICK = "off_tick"
    OFF_STEP = "off_step"
    BELOW_MINIMUM = "below_minimum"
    WOULD_CROSS = "would_cross"
    REDUCE_ONLY = "reduce_only"
    DUPLICATE_CLIENT_ORDER_ID = "duplicate_client_order_id"
    UNKNOWN_ORDER = "unknown_order"
    ORDER_CLOSED = "order_closed"
    TIME_IN_FORCE = "time_in_force"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    RATE_LIMITED = "rate_limited"
    PRECISION = "precision"
    """Quantity or price not representable at the venue's precision (checked before sending)."""
    VENUE_ERROR = "venue_error"
    """A live venue's refusal that fits no other code; its text is in ``reason``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionReport:
    """One thing the venue says happened, at ``ts_ns`` (the venue's time, epoch ns).

    Every kind carries ``venue``, and every kind but FUNDING the ``client_order_id`` and
    ``symbol``; ``venue_order_id`` once the venue has given one. REJECTED, CANCEL_REJECTED and
    EXPIRED carry a ``code`` and a ``reason`` in words. FILL carries ``trade_id`` (unique per
    venue), ``side``, ``quantity`` (base units), ``price`` (quote per base), ``fee`` in
    ``fee_currency`` (positive is a cost, negative a rebate), ``is_maker`` (whether the order
    provided liquidity, which decided the fee) and ``leaves_quantity`` (what is still open after
    this fill). FUNDING carries ``account``, ``symbol`` and ``amount`` in quote units: positive
    when we paid, negative when we received, as ``Position.funding_paid`` counts it.
    """

    kind: ReportKind
    venue: VenueId
    ts_ns: int
    client_order_id: ClientOrderId | None = None
    venue_order_id: VenueOrderId | None = None
    symbol: Symbol | None = None
    code: RejectCode | None = None
    reason: str = ""
    trade_id: TradeId | None = None
    side: Side | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None
    is_maker: bool | None = None
    leaves_quantity: Decimal | None = None
    account: AccountId | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        """Refuse a report the OMS could not act on: a fill without its numbers, and so on."""
        if self.ts_ns < 0:
            raise ValueError(f"ts_ns={self.ts_ns} is negative: pass epoch nanoseconds (UTC)")
        kind = self.kind
        if kind is ReportKind.FUNDING:
            if self.account is None or self.symbol is None or self.amount is None:
                raise ValueError(
                    f"a FUNDING report needs account, symbol and amount (got "
                    f"account={self.account!r} symbol={self.symbol!r} amount={self.amount})"
                )
            return
        if not self.client_order_id:
            raise ValueError(f"a {kind.name} report needs the client_order_id it is about")
        if kind is ReportKind.FILL:
            missing = [
                name
                for name in ("venue_order_id", "trade_id", "side", "fee", "fee_currency")
                if getattr(self, name) is None
            ]
            if self.is_maker is None:
                missing.append("is_maker")
            if missing:
                raise ValueError(f"a FILL report needs {', '.join(missing)}")
            for name, value in (("quantity", self.quantity), ("price", self.price)):
                if value is None or not value.is_finite() or value <= 0:
                    raise ValueError(f"a FILL report's {name}={value} must be a Decimal above 0")
        elif kind in (ReportKind.REJECTED, ReportKind.CANCEL_REJECTED) and self.code is None:
            raise ValueError(f"a {kind.name} report needs a code saying why")


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueAck:
    """The venue's synchronous answer to a submit or cancel request, at ``ts_ns`` (epoch ns).

    ``accepted`` says whether the venue took the request; when it did not, ``code`` and
    ``reason`` say why. For a submit, ``venue_order_id`` is the venue's id for the new order.
    """

    client_order_id: ClientOrderId
    accepted: bool
    ts_ns: int
    venue_order_id: VenueOrderId | None = None
    code: RejectCode | None = None
    reason: str = ""


def reused_id_ack(client_order_id: ClientOrderId, ts_ns: int) -> VenueAck:
    """Return the refusal of a different spec under a used client order id.

    No report goes with it: a report would be read as news about the first order, which
    the refusal leaves untouched.
    """
    return VenueAck(
        client_order_id=client_order_id,
        accepted=False,
        ts_ns=ts_ns,
        code=RejectCode.DUPLICATE_CLIENT_ORDER_ID,
        reason=(
            f"client_order_id={client_order_id!r} is already used by a different order; the "
            "first order is unchanged: derive a new id for a new order"
        ),
    )


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """One order as the venue holds it, answered by ``query`` and ``open_orders``.

    ``status`` is one of ACCEPTED, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED or EXPIRED:
    the venue's view, which the OMS reconciles against its own. ``filled_quantity`` is in base
    units; ``ts_ns`` is the last time the venue changed the order (epoch ns).
    """

    spec: OrderSpec
    venue_order_id: VenueOrderId | None
    status: OrderStatus
    filled_quantity: Decimal
    ts_ns: int

    @property
    def client_order_id(self) -> ClientOrderId:
        """Return our id for the order."""
        return self.spec.client_order_id

    @property
    def remaining_quantity(self) -> Decimal:
        """Return the quantity not yet filled, in base units."""
        return self.spec.quantity - self.filled_quantity

    @property
    def is_open(self) -> bool:
        """Return whether the order can still fill."""
        return not self.status.is_terminal


@runtime_checkable
class Venue(Protocol):
    """What the OMS needs from a venue: paper, shadow or live."""

    @property
    def venue_id(self) -> VenueId:
        """Return the venue this adapter trades at; specs for another venue are refused."""
        ...

    async def submit(self, spec: OrderSpec) -> VenueAck:
        """Send ``spec``; the same spec again returns the first ack and creates nothing."""
        ...

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        """Ask the venue to cancel an order; the outcome also arrives as a report."""
        ...

    async def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        """Return the venue's view of one order, or None when it does not know the id."""
        ...

    async def open_orders(self) -> list[VenueOrder]:
        """Return every order that can still fill, oldest first."""
        ...

    async def fills_for(self, client_order_id: ClientOrderId) -> list[ExecutionReport]:
        """Return every FILL report of the order so far (empty for an unknown id).

        Recovery uses it after a restart: fills the venue made while we were down, or that we
        drained but never recorded, are found here by trade id (a live adapter asks the
        venue's trade history for the order).
        """
        ...

    def drain_reports(self) -> list[ExecutionReport]:
        """Return and forget every report since the last call, oldest first."""
        ...


@runtime_checkable
class MarketDataSink(Protocol):
    """What a simulated venue (paper, shadow) consumes: bars and funding settlements."""

    def on_bar(self, bar: Bar) -> None:
        """Take one completed bar; a paper venue matches its resting orders against it."""
        ...

    def on_funding(self, rate: FundingRate, mark: Decimal) -> None:
        """Settle one funding period at ``mark`` (quote per base) for the positions held."""
        ...


def order_report(
    kind: ReportKind,
    venue: VenueId,
    spec: OrderSpec,
    venue_order_id: VenueOrderId | None,
    ts_ns: int,
    *,
    code: RejectCode | None = None,
    reason: str = "",
) -> ExecutionReport:
    """Return a report about ``spec``'s order that carries no fill (ack, reject, cancel…)."""
    return ExecutionReport(
        kind=kind,
        venue=venue,
        ts_ns=ts_ns,
        client_order_id=spec.client_order_id,
        venue_order_id=venue_order_id,
        symbol=spec.symbol,
        code=code,
        reason=reason,
    )


def fill_from_report(report: ExecutionReport, spec: OrderSpec, *, received_ns: int) -> Fill:
    """Return the ``Fill`` a FILL report describes, for portfolio accounting.

    The account, symbol and side come from ``spec`` (the order the fill belongs to);
    ``received_ns`` is when we learned of the fill (epoch ns), the fill's ``ts_init``.
    Raises ValueError for a report that is not a FILL, or belongs to another order or side.
    """
    if report.kind is not ReportKind.FILL:
        raise ValueError(f"report kind={report.kind.name} is not a FILL: only fills become Fill")
    if report.client_order_id != spec.client_order_id:
        raise ValueError(
            f"report client_order_id={report.client_order_id!r} does not match "
            f"spec client_order_id={spec.client_order_id!r}: pass the spec of the filled order"
        )
    if report.side is not spec.side:
        raise ValueError(
            f"report side={report.side} does not match spec side={spec.side} for "
            f"client_order_id={spec.client_order_id!r}: the venue and we disagree; reconcile"
        )
    # __post_init__ guarantees these for FILL; the asserts narrow the types for mypy.
    assert report.venue_order_id is not None
    assert report.trade_id is not None
    assert report.quantity is not None
    assert report.price is not None
    assert report.fee is not None
    assert report.fee_currency is not None
    return Fill(
        venue=report.venue,
        account=spec.account,
        symbol=spec.symbol,
        client_order_id=spec.client_order_id,
        venue_order_id=report.venue_order_id,
        trade_id=report.trade_id,
        side=spec.side,
        quantity=report.quantity,
        price=report.price,
        fee=report.fee,
        fee_currency=report.fee_currency,
        is_maker=bool(report.is_maker),
        ts_event=from_ns(report.ts_ns),
        ts_init=from_ns(received_ns),
    )
