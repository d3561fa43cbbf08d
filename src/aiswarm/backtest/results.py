"""Hold what one backtest run produced, and pair its fills into round-trip trades. No I/O.

The backtest runner fills a ``BacktestResult``; metrics, Monte Carlo, walk-forward, search and
the report are pure functions over it. The equity curve is columnar numpy (one float per bar,
and a long backtest has millions of bars); fills, orders and trades stay exact ``Decimal``
records because there are few of them and they are money.

Units: timestamps are integer nanoseconds since the Unix epoch (UTC); prices are quote units
per base unit; quantities are base units; cash, equity, fees and PnL are quote units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from aiswarm.clock import to_ns
from aiswarm.types import ClientOrderId, Fill, OrderStatus, Side, Symbol, VenueId

__all__ = [
    "FEE_QUANTUM",
    "BacktestResult",
    "EquityCurve",
    "OrderRecord",
    "ParamValue",
    "Params",
    "TradeRecord",
    "round_trips",
]

ParamValue = float | int | str
"""One strategy parameter's value, as a search or walk-forward chooses it."""

Params = Mapping[str, ParamValue]
"""A full set of strategy parameters, by name."""

FEE_QUANTUM = Decimal("1e-12")
"""The quote units a split fee is rounded to; far below any venue's fee precision."""


def _frozen_array(
    values: npt.ArrayLike, dtype: type[np.generic], name: str
) -> npt.NDArray[np.generic]:
    """Return a read-only 1-D copy of ``values`` as ``dtype``, so a frozen curve stays frozen."""
    array = np.array(values, dtype=dtype, copy=True)
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}; expected a 1-D array, one value a bar")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class EquityCurve:
    """Equity marked to market at each bar: ``equity[i]`` quote units at ``ts_ns[i]``.

    Equity is cash plus every open position valued at the bar's close, after fees. Built once
    and validated: timestamps strictly increase, every equity value is finite, and the first is
    positive (the starting capital every return is measured against). Later values may reach
    zero or below (ruin on leverage); metrics that need positive equity say so instead of
    guessing. The arrays are read-only copies.
    """

    ts_ns: npt.NDArray[np.int64]
    equity: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        ts = _frozen_array(self.ts_ns, np.int64, "ts_ns")
        equity = _frozen_array(self.equity, np.float64, "equity")
        if ts.size == 0:
            raise ValueError("the equity curve is empty; a backtest marks equity at least once")
        if ts.size != equity.size:
            raise ValueError(
                f"ts_ns has {ts.size} values but equity has {equity.size}: pass one equity value "
                "for each timestamp"
            )
        steps = np.diff(ts)
        if steps.size and steps.min() <= 0:
            where = int(np.argmin(steps))
            raise ValueError(
                f"ts_ns[{where + 1}]={int(ts[where + 1])} does not follow ts_ns[{where}]="
                f"{int(ts[where])}: timestamps must strictly increase; sort and drop duplicates"
            )
        if not np.isfinite(equity).all():
            where = int(np.argmin(np.isfinite(equity)))
            raise ValueError(f"equity[{where}]={equity[where]} is not finite; mark every bar")
        if equity[0] <= 0:
            raise ValueError(
                f"equity[0]={equity[0]} is not positive: a backtest starts with capital"
            )
        object.__setattr__(self, "ts_ns", ts)
        object.__setattr__(self, "equity", equity)

    def __len__(self) -> int:
        return int(self.ts_ns.size)


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One round trip: from a flat position back to flat, or to a reversal through zero.

    ``side`` is the opening side (BUY is a long round trip, SELL a short). ``quantity`` is the
    total quantity opened (base units), which equals the total closed. ``entry_price`` and
    ``exit_price`` are the quantity-weighted average prices of the opening and the closing
    fills; ``entry_ts_ns`` is the first fill's time and ``exit_ts_ns`` the time of the fill that
    flattened the position. ``fees`` are all the trade's fills' fees (a reversing fill's pro
    rata share); ``pnl`` is net of them, from the exact cash flows:
    ``side.sign * (exit_price - entry_price) * quantity - fees``, in quote units. ``fills``
    counts the fills that made the trade (a reversing fill counts in both trades).
    """

    venue: VenueId
    symbol: Symbol
    side: Side
    quantity: Decimal
    entry_ts_ns: int
    exit_ts_ns: int
    entry_price: Decimal
    exit_price: Decimal
    fees: Decimal
    pnl: Decimal
    fills: int


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order the run submitted, as it ended: for the report and for comparing modes.

    ``price`` is the limit price, or None for a market order; ``status`` is the final status.
    """

    ts_ns: int
    client_order_id: ClientOrderId
    symbol: Symbol
    side: Side
    quantity: Decimal
    price: Decimal | None
    status: OrderStatus


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Everything one run produced, the input to every metric and to the report.

    ``final_positions`` is the signed quantity (base units) still open per symbol at the end:
    those positions are in the equity curve but not in ``trades``, which holds closed round
    trips only. ``trades`` is derived from ``fills`` when the result is built, so the two cannot
    disagree. ``interval_s`` is the bar length in seconds, the sampling interval of ``equity``.
    """

    equity: EquityCurve
    fills: tuple[Fill, ...]
    orders: tuple[OrderRecord, ...]
    starting_cash: Decimal
    final_cash: Decimal
    final_positions: Mapping[Symbol, Decimal]
    params: Params
    interval_s: int
    trades: tuple[TradeRecord, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.interval_s <= 0:
            raise ValueError(
                f"interval_s={self.interval_s} is not a bar length: pass seconds, e.g. 60"
            )
        if self.starting_cash <= 0:
            raise ValueError(f"starting_cash={self.starting_cash} must be positive")
        object.__setattr__(self, "fills", tuple(self.fills))
        object.__setattr__(self, "orders", tuple(self.orders))
        object.__setattr__(self, "final_positions", MappingProxyType(dict(self.final_positions)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "trades", tuple(round_trips(self.fills)))

    @property
    def bars(self) -> int:
        """Return how many bars the equity curve marks."""
        return len(self.equity)

    @property
    def fills_count(self) -> int:
        """Return how many fills the run had."""
        return len(self.fills)

    @property
    def fees_total(self) -> Decimal:
        """Return the sum of every fill's fee in quote units (rebates are negative)."""
        return sum((f.fee for f in self.fills), Decimal(0))

    @property
    def traded_notional(self) -> Decimal:
        """Return the sum of every fill's ``quantity * price`` in quote units."""
        return sum((f.notional for f in self.fills), Decimal(0))


@dataclass(slots=True)
class _OpenTrade:
    """The round trip under way on one market: what it has bought and sold so far."""

    side: Side
    entry_ts_ns: int
    position: Decimal = Decimal(0)
    quantity: Decimal = Decimal(0)
    entry_value: Decimal = Decimal(0)
    exit_value: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    fills: int = 0

    def add(self, fill: Fill, quantity: Decimal, fee: Decimal) -> None:
        """Book ``quantity`` of ``fill`` (all of it, or the part on this side of a reversal)."""
        value = fill.price * quantity
        if fill.side is self.side:
            self.quantity += quantity
            self.entry_value += value
        else:
            self.exit_value += value
        self.position += fill.side.sign * quantity
        self.fees += fee
        self.fills += 1

    def closed(self, fill: Fill, exit_ts_ns: int) -> TradeRecord:
        """Return the finished round trip; the position is flat again."""
        gross = self.side.sign * (self.exit_value - self.entry_value)
        return TradeRecord(
            venue=fill.venue,
            symbol=fill.symbol,
            side=self.side,
            quantity=self.quantity,
            entry_ts_ns=self.entry_ts_ns,
            exit_ts_ns=exit_ts_ns,
            entry_price=self.entry_value / self.quantity,
            exit_price=self.exit_value / self.quantity,
            fees=self.fees,
            pnl=gross - self.fees,
            fills=self.fills,
        )


def _quote_of(symbol: Symbol) -> str:
    """Return the quote currency of a unified symbol: ``BTC/USDT:USDT`` -> ``USDT``."""
    if "/" not in symbol:
        raise ValueError(
            f"symbol={symbol!r} is not a unified symbol such as 'BTC/USDT': cannot tell its "
            "quote currency, so its fees cannot be checked"
        )
    return symbol.split("/", 1)[1].split(":", 1)[0].upper()


def _check_fee_currency(fill: Fill) -> None:
    """Refuse a fee in any currency but the quote: adding it to quote PnL would be wrong."""
    if fill.fee != 0 and fill.fee_currency.upper() != _quote_of(fill.symbol):
        raise ValueError(
            f"fill trade_id={fill.trade_id} charges fee={fill.fee} {fill.fee_currency}, not in "
            f"the quote currency of {fill.symbol}: convert the fee to the quote currency first"
        )


def _share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """Return ``total`` scaled by ``part / whole``, rounded to ``FEE_QUANTUM``.

    The whole comes back untouched, so the last piece of a fee is its exact remainder. Rounding
    the other pieces to a fixed quantum keeps every sum of them exact: a third of a fee
    carried to 28 digits would not add back up to the fee beside a large PnL.
    """
    if part == whole:
        return total
    return (total * part / whole).quantize(FEE_QUANTUM, rounding=ROUND_HALF_EVEN)


def round_trips(fills: Iterable[Fill]) -> list[TradeRecord]:
    """Return the round trips of ``fills``, per (venue, symbol): flat to flat, or to a reversal.

    A trade opens with the first fill into a flat position and closes with the fill that
    brings the position back to zero; every fill in between (adding to it or reducing it)
    belongs to it. A fill that crosses zero (long 1, sell 3) closes the trade with the part
    that flattens the position and opens the next trade, the other way, with the rest; its fee
    is split pro rata by quantity, the closing share rounded to ``FEE_QUANTUM`` and the opening
    part taking the exact remainder. Fills are taken in ``ts_event`` order (stable for ties). A
    position still open at the end makes no trade.

    Raises:
        ValueError: a fill's fee is not in its symbol's quote currency.
    """
    ordered = sorted(fills, key=lambda f: f.ts_event)
    open_trades: dict[tuple[VenueId, Symbol], _OpenTrade] = {}
    trades: list[TradeRecord] = []
    for fill in ordered:
        _check_fee_currency(fill)
        key = (fill.venue, fill.symbol)
        ts_ns = to_ns(fill.ts_event)
        trade = open_trades.get(key)
        if trade is None:
            trade = open_trades[key] = _OpenTrade(fill.side, ts_ns)
        held = abs(trade.position)
        if fill.side is trade.side or fill.quantity < held:
            trade.add(fill, fill.quantity, fill.fee)
            continue
        closing_fee = _share(fill.fee, held, fill.quantity)
        trade.add(fill, held, closing_fee)
        trades.append(trade.closed(fill, ts_ns))
        del open_trades[key]
        if fill.quantity > held:
            reversed_trade = open_trades[key] = _OpenTrade(fill.side, ts_ns)
            reversed_trade.add(fill, fill.quantity - held, fill.fee - closing_fee)
    return trades
