"""Guard the pace of trading: open orders, order rates, duplicates and the circuit breaker.

Each guard returns None to pass or a ``Refusal`` with the numbers that decided it. No I/O, no
clock (``now_ns`` comes in the context), no logging, no mutation. Windows:

* per second: orders submitted in the half-open window (now - 1 s, now];
* per day: orders submitted since 00:00 UTC of ``now``'s day (the day the daily loss uses);
* duplicates: an order whose fingerprint (mandate, symbol, side, quantity, limit price) was
  last submitted less than ``duplicate_window_s`` ago;
* circuit breaker: open once ``consecutive_rejections`` reaches ``circuit_breaker_rejections``
  and until ``circuit_breaker_cooldown_s`` has passed since the last rejection. After the
  cooldown it lets orders through again (half-open); the next rejection re-opens it, and an
  accepted order resets the count (the OMS does that). Unlike the kill switch it never latches.

The rate, open-order and duplicate limits protect the venue connection and the account from
runaway loops, and no order is exempt from them: a flatten can wait out a second. The circuit
breaker lets the kill switch's own flattening through (``GuardContext.flattening``): it opens on
venue rejections, which are exactly what trips the switch, and a flatten it held back would
leave the position open; the flatten backs off on its own after a refusal.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.refusals import Reason, Refusal, plain_seconds
from aiswarm.types.money import plain

__all__ = [
    "check_circuit_breaker",
    "check_duplicate_order",
    "check_open_orders",
    "check_order_rate_day",
    "check_order_rate_second",
]

_SECOND_NS = 1_000_000_000
_DAY_NS = 86_400 * _SECOND_NS


def check_circuit_breaker(ctx: GuardContext) -> Refusal | None:
    """Refuse while the venue has rejected N orders in a row and the cooldown has not passed.

    The kill switch's own flattening passes (see the module docstring).
    """
    if ctx.flattening:
        return None
    activity = ctx.activity
    rejections = activity.consecutive_rejections
    thresholds = ctx.thresholds
    if rejections < thresholds.circuit_breaker_rejections:
        return None
    last = activity.last_rejection_ns
    cooldown = thresholds.circuit_breaker_cooldown_ns
    if last is not None and ctx.now_ns - last >= cooldown:
        return None
    since = "unknown" if last is None else plain_seconds(ctx.now_ns - last)
    return Refusal(
        Reason.CIRCUIT_BREAKER_OPEN,
        f"rejections={rejections} threshold={thresholds.circuit_breaker_rejections} "
        f"since_last_rejection_s={since} cooldown_s={plain_seconds(cooldown)}",
    )


def check_open_orders(ctx: GuardContext) -> Refusal | None:
    """Refuse a new order when the account already rests ``max_open_orders`` orders."""
    count = ctx.activity.open_orders_count
    limit = ctx.thresholds.max_open_orders
    if count < limit:
        return None
    return Refusal(Reason.OPEN_ORDERS_LIMIT, f"open_orders={count} limit={limit}")


def check_order_rate_second(ctx: GuardContext) -> Refusal | None:
    """Refuse an order when ``max_orders_per_second`` were submitted in the last second."""
    times = ctx.activity.order_times_ns
    limit = ctx.thresholds.max_orders_per_second
    if len(times) < limit:
        return None
    count = len(times) - bisect_right(times, ctx.now_ns - _SECOND_NS)
    if count < limit:
        return None
    return Refusal(Reason.ORDER_RATE_SECOND, f"orders_last_second={count} limit={limit}")


def check_order_rate_day(ctx: GuardContext) -> Refusal | None:
    """Refuse an order when ``max_orders_per_day`` were submitted since 00:00 UTC today."""
    times = ctx.activity.order_times_ns
    limit = ctx.thresholds.max_orders_per_day
    if len(times) < limit:
        return None
    now = ctx.now_ns
    count = len(times) - bisect_left(times, now - now % _DAY_NS)
    if count < limit:
        return None
    return Refusal(Reason.ORDER_RATE_DAY, f"orders_today={count} limit={limit}")


def check_duplicate_order(ctx: GuardContext) -> Refusal | None:
    """Refuse an order identical to one submitted less than ``duplicate_window_s`` ago."""
    window = ctx.thresholds.duplicate_window_ns
    recent = ctx.activity.recent_fingerprints
    if window == 0 or not recent:
        return None
    last = recent.get((ctx.spec.mandate_id, ctx.symbol, ctx.side, ctx.quantity, ctx.limit_price))
    if last is None:
        return None
    age = ctx.now_ns - last
    if age >= window:
        return None
    price = "none" if ctx.limit_price is None else plain(ctx.limit_price)
    return Refusal(
        Reason.DUPLICATE_ORDER,
        f"symbol={ctx.symbol} side={ctx.side} quantity={plain(ctx.quantity)} "
        f"limit_price={price} age_s={plain_seconds(age)} window_s={plain_seconds(window)}",
    )
