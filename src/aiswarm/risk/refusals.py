"""Name every reason the guard chain can refuse an order, and hold one refusal. No I/O.

A ``Reason`` value is a stable code: it is stored in the event store, counted in metrics and
matched by operators' alert rules, so a code is never renamed or reused for a new meaning (add a
new one instead). Each value equals its name, so ``str(reason)`` reads as the code.

A ``Refusal`` is a code plus the numbers that decided it, e.g.
``EXPOSURE_SYMBOL_LIMIT position=4900 open=0 order=4900 limit=5000``. It is a slotted frozen
dataclass rather than a pydantic model because guards build one on the hot path; it is only
ever built when an order is refused, so a passing order allocates none.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from aiswarm.types.money import plain

__all__ = ["Reason", "Refusal", "plain_seconds", "ratio"]

_NS_PER_S = Decimal(1_000_000_000)


class Reason(StrEnum):
    """Why the guard chain refused an order. Stable: stored, counted and alerted on."""

    # Trading state and kill switch
    TRADING_HALTED = "TRADING_HALTED"
    TRADING_REDUCING_ONLY = "TRADING_REDUCING_ONLY"
    KILL_SWITCH_TRIPPED = "KILL_SWITCH_TRIPPED"
    CIRCUIT_BREAKER_OPEN = "CIRCUIT_BREAKER_OPEN"
    # Inputs we must know to judge the order at all (fail closed)
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    UNKNOWN_INSTRUMENT = "UNKNOWN_INSTRUMENT"
    UNKNOWN_PRICE = "UNKNOWN_PRICE"
    STALE_MARKET_DATA = "STALE_MARKET_DATA"
    # Mandate
    MANDATE_INACTIVE = "MANDATE_INACTIVE"
    MANDATE_SYMBOL = "MANDATE_SYMBOL"
    MANDATE_VENUE = "MANDATE_VENUE"
    MANDATE_SIDE = "MANDATE_SIDE"
    MANDATE_BUDGET = "MANDATE_BUDGET"  # the mandate's absolute allocation (max_notional_usd)
    MANDATE_ALLOCATION = "MANDATE_ALLOCATION"  # its allocation as a share of NAV
    MANDATE_STRATEGY = "MANDATE_STRATEGY"
    MANDATE_WINDOW = "MANDATE_WINDOW"
    MANDATE_DAY_NOTIONAL = "MANDATE_DAY_NOTIONAL"
    MANDATE_LEVERAGE = "MANDATE_LEVERAGE"
    MANDATE_DAILY_LOSS = "MANDATE_DAILY_LOSS"
    MANDATE_DRAWDOWN = "MANDATE_DRAWDOWN"
    # Modes that allow only closing trades
    REDUCE_ONLY_VIOLATION = "REDUCE_ONLY_VIOLATION"
    CLOSE_ONLY = "CLOSE_ONLY"
    # Holdings: a spot account sells only what it holds
    SPOT_SELL_ABOVE_HOLDING = "SPOT_SELL_ABOVE_HOLDING"
    # Instrument rules
    PRICE_PRECISION = "PRICE_PRECISION"
    QUANTITY_PRECISION = "QUANTITY_PRECISION"
    BELOW_MIN_QUANTITY = "BELOW_MIN_QUANTITY"
    BELOW_MIN_NOTIONAL = "BELOW_MIN_NOTIONAL"
    # Order size and price
    ORDER_QUANTITY_LIMIT = "ORDER_QUANTITY_LIMIT"
    ORDER_NOTIONAL_LIMIT = "ORDER_NOTIONAL_LIMIT"
    PRICE_OUTSIDE_BAND = "PRICE_OUTSIDE_BAND"
    # Activity
    OPEN_ORDERS_LIMIT = "OPEN_ORDERS_LIMIT"
    ORDER_RATE_SECOND = "ORDER_RATE_SECOND"
    ORDER_RATE_DAY = "ORDER_RATE_DAY"
    DUPLICATE_ORDER = "DUPLICATE_ORDER"
    # Liquidity
    LIQUIDITY_UNKNOWN = "LIQUIDITY_UNKNOWN"
    INSUFFICIENT_LIQUIDITY = "INSUFFICIENT_LIQUIDITY"
    # Exposure and losses
    EXPOSURE_SYMBOL_LIMIT = "EXPOSURE_SYMBOL_LIMIT"
    GROSS_EXPOSURE_LIMIT = "GROSS_EXPOSURE_LIMIT"
    NET_EXPOSURE_LIMIT = "NET_EXPOSURE_LIMIT"
    LEVERAGE_LIMIT = "LEVERAGE_LIMIT"
    LEVERAGE_UNDEFINED = "LEVERAGE_UNDEFINED"
    DRAWDOWN_LIMIT = "DRAWDOWN_LIMIT"
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"


@dataclass(frozen=True, slots=True)
class Refusal:
    """One guard's refusal: a stable code and the numbers that decided it.

    ``detail`` is ``key=value`` pairs separated by spaces (values carry no spaces), so a
    refusal reads well in a log line and splits cleanly in a report.
    """

    code: Reason
    detail: str

    def __str__(self) -> str:
        """Return ``"<CODE> <detail>"``, e.g. ``ORDER_NOTIONAL_LIMIT notional=5200 limit=5000``."""
        return f"{self.code} {self.detail}"


def plain_seconds(nanoseconds: int) -> str:
    """Return a duration given in nanoseconds as plain seconds, e.g. ``12.5``."""
    return plain(Decimal(nanoseconds) / _NS_PER_S)


def ratio(value: Decimal) -> str:
    """Return a ratio to six significant digits, e.g. ``0.123457`` (exponent only if huge)."""
    return format(value, ".6g")
