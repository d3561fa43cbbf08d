"""Hold the paper venue's rules as pure functions: what it takes, and how orders fill on a bar.

``refusal`` says why the venue refuses an order on arrival. ``decide`` says what one order
does on one bar: how much fills, at what price and liquidity, and whether what is left
expires. The paper venue only applies these answers. No I/O; nothing here mutates.

The price rules (docs/venues.md states them for users): a bar has no order book, only open,
high, low and close, so each rule takes the price a real order could have got and no better:

* MARKET fills at the bar's open, as taker.
* LIMIT buy fills when ``low <= limit``, at ``min(limit, open)``: a limit above the open
  crosses and takes at the open (taker); otherwise it waits on the book and is filled at its
  own price (maker). Sells mirror it: ``high >= limit``, at ``max(limit, open)``.
* STOP_MARKET buy triggers when ``high >= stop`` and fills at ``max(stop, open)`` (a bar that
  opens beyond the stop gapped through it), as taker; sells mirror it. Once triggered and
  still open, the rest fills as a market order.
* STOP_LIMIT triggers the same way and becomes a limit. On its trigger bar it fills only if
  the limit is marketable at the trigger price, and then at the trigger price, as taker; the
  bar's path after the trigger is unknown, so nothing better is assumed. From the next bar on
  it is an ordinary LIMIT.

Slippage (whole ticks, against the taker) is applied after, by ``slipped_price``; it never
takes a limit order past its limit, and never takes a price to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aiswarm.execution.venue import RejectCode
from aiswarm.types import Bar, Instrument, OrderSpec, OrderType, Side, TimeInForce
from aiswarm.venues.fill_models import EXACT

__all__ = ["BarOutcome", "Match", "crosses", "decide", "match_bar", "refusal", "slipped_price"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Match:
    """A price an order fills at on a bar, before slippage, and whether it made liquidity.

    ``limit`` is the order's limit price when it has one: slippage may not go past it.
    """

    price: Decimal
    is_maker: bool
    limit: Decimal | None = None


def crosses(side: Side, limit: Decimal, reference: Decimal) -> bool:
    """Return whether a limit order at ``limit`` would take liquidity at ``reference``.

    A buy crosses when its limit is above the reference price, a sell when below: that is
    the condition under which ``match_bar`` fills a limit order as taker.
    """
    return limit > reference if side is Side.BUY else limit < reference


def _stop_trigger_price(side: Side, stop: Decimal, bar: Bar) -> Decimal | None:
    """Return the price a stop triggers at within ``bar``, or None when it does not trigger."""
    if side is Side.BUY:
        return max(stop, bar.open) if bar.high >= stop else None
    return min(stop, bar.open) if bar.low <= stop else None


def _limit_match(side: Side, limit: Decimal, bar: Bar) -> Match | None:
    """Return the fill of a limit order on ``bar``, or None when the bar never reached it."""
    if side is Side.BUY:
        if bar.low > limit:
            return None
        if limit > bar.open:
            return Match(bar.open, is_maker=False, limit=limit)
        return Match(limit, is_maker=True, limit=limit)
    if bar.high < limit:
        return None
    if limit < bar.open:
        return Match(bar.open, is_maker=False, limit=limit)
    return Match(limit, is_maker=True, limit=limit)


def match_bar(spec: OrderSpec, bar: Bar, *, triggered: bool) -> tuple[bool, Match | None]:
    """Return (whether the order is now triggered, its fill on ``bar`` or None).

    ``triggered`` says whether a stop order triggered on an earlier bar; it is meaningless for
    MARKET and LIMIT orders and passed back unchanged for them.
    """
    order_type = spec.order_type
    side = spec.side
    if order_type is OrderType.MARKET:
        return triggered, Match(bar.open, is_maker=False)
    if order_type is OrderType.LIMIT:
        assert spec.limit_price is not None  # OrderSpec guarantees it for LIMIT
        return triggered, _limit_match(side, spec.limit_price, bar)
    if triggered:
        if order_type is OrderType.STOP_MARKET:
            return True, Match(bar.open, is_maker=False)
        assert spec.limit_price is not None  # OrderSpec guarantees it for STOP_LIMIT
        return True, _limit_match(side, spec.limit_price, bar)
    assert spec.stop_price is not None  # OrderSpec guarantees it for STOP_*
    trigger = _stop_trigger_price(side, spec.stop_price, bar)
    if trigger is None:
        return False, None
    if order_type is OrderType.STOP_MARKET:
        return True, Match(trigger, is_maker=False)
    limit = spec.limit_price
    assert limit is not None
    if crosses(side, limit, trigger) or limit == trigger:
        return True, Match(trigger, is_maker=False, limit=limit)
    return True, None


def slipped_price(
    price: Decimal, match: Match, side: Side, ticks: int, tick_size: Decimal
) -> Decimal:
    """Return ``price`` moved ``ticks`` ticks against a taker (makers do not slip).

    ``price`` is ``match.price`` already on the tick. A buy pays more and a sell receives
    less, but never beyond the order's limit price, and never below one tick: a fill at
    price 0 is a bug this venue exists to rule out.
    """
    if ticks and not match.is_maker:
        move = EXACT.multiply(tick_size, ticks)
        if side is Side.BUY:
            price = EXACT.add(price, move)
            if match.limit is not None:
                price = min(price, match.limit)
        else:
            price = EXACT.subtract(price, move)
            if match.limit is not None:
                price = max(price, match.limit)
    return max(price, tick_size)


def refusal(
    spec: OrderSpec,
    instrument: Instrument,
    *,
    last_close: Decimal | None,
    reducible: Decimal,
) -> tuple[RejectCode, str] | None:
    """Return why the venue refuses ``spec`` on arrival, or None when it takes it.

    ``last_close`` is the symbol's last known close (None before the first bar): it prices
    the minimum-notional check of a market order and the post-only crossing check.
    ``reducible`` is how much of the account's position the order could close.
    """
    if not instrument.is_on_step(spec.quantity):
        return RejectCode.OFF_STEP, (
            f"quantity={spec.quantity} is not a multiple of step_size={instrument.step_size}: "
            "quantize it with Instrument.quantize_quantity"
        )
    for name, price in (("limit_price", spec.limit_price), ("stop_price", spec.stop_price)):
        if price is not None and not instrument.is_on_tick(price):
            return RejectCode.OFF_TICK, (
                f"{name}={price} is not a multiple of tick_size={instrument.tick_size}: "
                "quantize it with Instrument.quantize_price"
            )
    reference = spec.limit_price or spec.stop_price or last_close
    if reference is not None:
        violations = [str(v) for v in instrument.check_minimums(spec.quantity, reference)]
    elif spec.quantity < instrument.min_quantity:
        violations = [f"quantity={spec.quantity} is below min_quantity={instrument.min_quantity}"]
    else:
        violations = []
    if violations:
        return RejectCode.BELOW_MINIMUM, "; ".join(violations)
    if spec.reduce_only and reducible == 0:
        return RejectCode.REDUCE_ONLY, (
            f"reduce_only {spec.side.value} order would not shrink the position: "
            "there is no opposite position to reduce"
        )
    if spec.post_only and last_close is not None:
        assert spec.limit_price is not None  # OrderSpec: post-only is LIMIT only
        if crosses(spec.side, spec.limit_price, last_close):
            return RejectCode.WOULD_CROSS, (
                f"post_only {spec.side.value} limit_price={spec.limit_price} would take "
                f"liquidity against the last close={last_close}"
            )
    return None


@dataclass(frozen=True, slots=True)
class BarOutcome:
    """What one order does on one bar.

    ``quantity`` fills (0 for none) at ``match``; then, when ``end`` is set, what is left of
    the order expires with that code and reason. ``triggered`` is the order's stop state
    after the bar.
    """

    triggered: bool
    quantity: Decimal
    match: Match | None
    end: tuple[RejectCode, str] | None


def decide(
    spec: OrderSpec,
    bar: Bar,
    *,
    filled: Decimal,
    arriving: bool,
    triggered: bool,
    capacity: Decimal,
    reducible: Decimal,
) -> BarOutcome:
    """Return what ``spec``'s order does on ``bar``, an eligible bar for it.

    ``filled`` is what has filled so far, ``arriving`` whether this is the order's first
    eligible bar, ``capacity`` the participation budget left on the bar (base units, on the
    step) and ``reducible`` how much a reduce-only order may still close.
    """
    if spec.post_only and arriving:
        assert spec.limit_price is not None  # OrderSpec: post-only is LIMIT only
        if crosses(spec.side, spec.limit_price, bar.open):
            reason = (
                f"post_only limit_price={spec.limit_price} would take liquidity at "
                f"open={bar.open} when it reached the venue"
            )
            return BarOutcome(triggered, _ZERO, None, (RejectCode.WOULD_CROSS, reason))
    triggered, match = match_bar(spec, bar, triggered=triggered)
    remaining = spec.quantity - filled
    tif = spec.time_in_force
    quantity = _ZERO
    if match is not None:
        quantity = min(remaining, capacity)
        if spec.reduce_only:
            quantity = min(quantity, reducible)
        if tif is TimeInForce.FOK and quantity < remaining:
            quantity = _ZERO
    left = remaining - quantity
    end: tuple[RejectCode, str] | None = None
    # IOC and FOK get one chance: the first eligible bar, or for a stop its trigger bar.
    in_window = triggered or not spec.order_type.needs_stop_price
    if left > 0 and in_window and tif is not TimeInForce.GTC:
        reason = f"{tif.value} order: {left} of {spec.quantity} unfilled on its first eligible bar"
        end = RejectCode.TIME_IN_FORCE, reason
    elif left > 0 and spec.reduce_only and match is not None and reducible - quantity <= 0:
        end = RejectCode.REDUCE_ONLY, "reduce_only order: the position is flat, nothing to reduce"
    return BarOutcome(triggered, quantity, match if quantity > 0 else None, end)
