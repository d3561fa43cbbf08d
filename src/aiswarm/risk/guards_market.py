"""Guard what the order is judged against and its own shape: inputs, venue rules, size, price.

Each guard returns None to pass or a ``Refusal`` with the numbers that decided it. No I/O, no
clock, no logging, no mutation.

Fail closed: an unknown account, instrument or price, and stale market data, are refusals. A
guard that needs an input which is missing altogether (no instrument, no mark) passes silently
instead of repeating that refusal: the chain stays closed because the guard for that input
always refuses. So judge an order with ``run_guards`` (the whole chain), never one guard alone.

Tick and step checks use ``Decimal`` remainder, which is exact whenever the quotient fits the
context's 28 digits, and otherwise fall back to ``Instrument.is_on_tick`` / ``is_on_step``
(exact at any size, and slower). The minimum-notional check likewise defers to
``Instrument.check_minimums`` in the one case where context rounding could decide it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.refusals import Reason, Refusal, plain_seconds, ratio
from aiswarm.types import Instrument
from aiswarm.types.money import plain

__all__ = [
    "check_account_known",
    "check_instrument_known",
    "check_liquidity",
    "check_market_data_fresh",
    "check_min_notional",
    "check_min_quantity",
    "check_order_notional",
    "check_order_quantity",
    "check_price_band",
    "check_price_known",
    "check_price_precision",
    "check_quantity_precision",
]


def check_account_known(ctx: GuardContext) -> Refusal | None:
    """Refuse an order for an account the portfolio does not know (or a snapshot of another)."""
    portfolio = ctx.portfolio
    account = ctx.spec.account
    if portfolio is None:
        return Refusal(Reason.UNKNOWN_ACCOUNT, f"account={account} snapshot=none")
    if portfolio.account != account:
        return Refusal(
            Reason.UNKNOWN_ACCOUNT, f"account={account} snapshot_account={portfolio.account}"
        )
    return None


def check_instrument_known(ctx: GuardContext) -> Refusal | None:
    """Refuse an order without the venue's rules for its market (or with another market's)."""
    instrument = ctx.instrument
    venue = ctx.venue
    if instrument is None:
        return Refusal(
            Reason.UNKNOWN_INSTRUMENT, f"venue={venue} symbol={ctx.symbol} instrument=none"
        )
    if instrument.symbol != ctx.symbol or instrument.venue != venue:
        return Refusal(
            Reason.UNKNOWN_INSTRUMENT,
            f"venue={venue} symbol={ctx.symbol} instrument={instrument.venue}:{instrument.symbol}",
        )
    return None


def check_price_known(ctx: GuardContext) -> Refusal | None:
    """Refuse an order when its market (symbol at venue) has no positive mark to value it at."""
    if ctx.mark is not None:
        return None
    market = ctx.market
    if market is None:
        detail = "market=none"
    elif market.symbol != ctx.symbol or market.venue != ctx.venue:
        detail = f"market_symbol={market.symbol} market_venue={market.venue} venue={ctx.venue}"
    else:
        detail = f"mark={'none' if market.mark is None else plain(market.mark)}"
    return Refusal(Reason.UNKNOWN_PRICE, f"symbol={ctx.symbol} {detail}")


def check_market_data_fresh(ctx: GuardContext) -> Refusal | None:
    """Refuse an order judged on market data older than ``max_market_data_age_s``."""
    market = ctx.market
    if market is None or market.symbol != ctx.symbol or market.venue != ctx.venue:
        return None
    age_ns = ctx.now_ns - market.updated_ns
    limit_ns = ctx.thresholds.max_market_data_age_ns
    if age_ns <= limit_ns:
        return None
    return Refusal(
        Reason.STALE_MARKET_DATA,
        f"symbol={ctx.symbol} age_s={plain_seconds(age_ns)} max_age_s={plain_seconds(limit_ns)}",
    )


def _on_grid(value: Decimal, increment: Decimal) -> bool | None:
    """Return whether ``value`` is a whole multiple of ``increment``; None if too big to tell."""
    try:
        return not value % increment
    except InvalidOperation:
        return None


def check_quantity_precision(ctx: GuardContext) -> Refusal | None:
    """Refuse a quantity that is not a whole number of the instrument's step size."""
    instrument = ctx.instrument
    if instrument is None:
        return None
    quantity = ctx.quantity
    step = instrument.step_size
    on_step = _on_grid(quantity, step)
    if on_step is None:
        on_step = instrument.is_on_step(quantity)
    if on_step:
        return None
    return Refusal(Reason.QUANTITY_PRECISION, f"quantity={plain(quantity)} step_size={plain(step)}")


def _off_tick(instrument: Instrument, price: Decimal) -> bool:
    """Return whether ``price`` is not a whole number of ticks."""
    on_tick = _on_grid(price, instrument.tick_size)
    if on_tick is None:
        on_tick = instrument.is_on_tick(price)
    return not on_tick


def check_price_precision(ctx: GuardContext) -> Refusal | None:
    """Refuse a limit or stop price that is not a whole number of the tick size."""
    instrument = ctx.instrument
    if instrument is None:
        return None
    limit_price = ctx.limit_price
    stop_price = ctx.stop_price
    if limit_price is not None and _off_tick(instrument, limit_price):
        name, price = "limit_price", limit_price
    elif stop_price is not None and _off_tick(instrument, stop_price):
        name, price = "stop_price", stop_price
    else:
        return None
    return Refusal(
        Reason.PRICE_PRECISION, f"{name}={plain(price)} tick_size={plain(instrument.tick_size)}"
    )


def check_min_quantity(ctx: GuardContext) -> Refusal | None:
    """Refuse a quantity below the venue's minimum order quantity."""
    instrument = ctx.instrument
    if instrument is None:
        return None
    minimum = instrument.min_quantity
    if ctx.quantity >= minimum:
        return None
    return Refusal(
        Reason.BELOW_MIN_QUANTITY,
        f"quantity={plain(ctx.quantity)} min_quantity={plain(minimum)}",
    )


def check_min_notional(ctx: GuardContext) -> Refusal | None:
    """Refuse an order whose quantity x price is below the venue's minimum notional.

    The price is the limit price, else the stop price, else the mark, as the venue will judge
    it when the order arrives or triggers.
    """
    instrument = ctx.instrument
    if instrument is None:
        return None
    price = ctx.limit_price
    if price is None:
        price = ctx.stop_price if ctx.stop_price is not None else ctx.mark
        if price is None:
            return None
    minimum = instrument.min_notional
    notional = ctx.quantity * price
    if notional > minimum:
        return None
    # Context rounding is monotonic, so only a rounded product equal to the minimum can hide
    # an exact one below it; let the instrument's exact arithmetic decide that case.
    if notional == minimum and not any(
        violation.field == "notional"
        for violation in instrument.check_minimums(ctx.quantity, price)
    ):
        return None
    return Refusal(
        Reason.BELOW_MIN_NOTIONAL,
        f"notional={plain(notional)} quantity={plain(ctx.quantity)} price={plain(price)} "
        f"min_notional={plain(minimum)}",
    )


def check_order_quantity(ctx: GuardContext) -> Refusal | None:
    """Refuse an order larger than the symbol's quantity cap (base units), when it has one."""
    cap = ctx.thresholds.max_order_quantity.get(ctx.symbol)
    if cap is None or ctx.quantity <= cap:
        return None
    return Refusal(
        Reason.ORDER_QUANTITY_LIMIT,
        f"symbol={ctx.symbol} quantity={plain(ctx.quantity)} limit={plain(cap)}",
    )


def check_order_notional(ctx: GuardContext) -> Refusal | None:
    """Refuse an order whose notional (at the higher of its price and the mark) is too large."""
    notional = ctx.order_notional_usd
    limit = ctx.thresholds.max_order_notional_usd
    if notional is None or notional <= limit:
        return None
    return Refusal(
        Reason.ORDER_NOTIONAL_LIMIT,
        f"notional={plain(notional)} quantity={plain(ctx.quantity)} limit={plain(limit)}",
    )


def check_price_band(ctx: GuardContext) -> Refusal | None:
    """Refuse a limit price further than ``price_band_frac`` from its reference price.

    The reference is the mark for a LIMIT order, and the stop price for a STOP_LIMIT (the
    order goes live at the stop, so its limit must sit near the stop, not near today's mark).
    Orders without a limit price have no price to check.
    """
    limit_price = ctx.limit_price
    if limit_price is None:
        return None
    if ctx.stop_price is not None:
        reference, name = ctx.stop_price, "stop_price"
    elif ctx.mark is not None:
        reference, name = ctx.mark, "mark"
    else:
        return None
    band = ctx.thresholds.price_band_frac
    distance = abs(limit_price - reference)
    if distance <= reference * band:
        return None
    return Refusal(
        Reason.PRICE_OUTSIDE_BAND,
        f"limit_price={plain(limit_price)} {name}={plain(reference)} "
        f"distance_frac={ratio(distance / reference)} band_frac={plain(band)}",
    )


def check_liquidity(ctx: GuardContext) -> Refusal | None:
    """Refuse an order too large for the measured liquidity, or when none was measured.

    Passes when notional <= liquidity x ``max_participation_frac``. A liquidity of zero or
    less refuses every order; a missing figure is LIQUIDITY_UNKNOWN, never a default. The kill
    switch's own flattening (``GuardContext.flattening``) also passes up to
    ``flatten_slice_floor_usd``, measured or not: a thin market must still be closed out, one
    slice of at most that notional at a time.
    """
    market = ctx.market
    notional = ctx.order_notional_usd
    if market is None or notional is None:
        return None
    thresholds = ctx.thresholds
    if ctx.flattening and notional <= thresholds.flatten_slice_floor_usd:
        return None
    liquidity = market.liquidity_usd
    if liquidity is None:
        return Refusal(Reason.LIQUIDITY_UNKNOWN, f"symbol={ctx.symbol} liquidity=none")
    participation = thresholds.max_participation_frac
    if notional <= liquidity * participation:
        return None
    source = "none" if market.liquidity_source is None else str(market.liquidity_source)
    return Refusal(
        Reason.INSUFFICIENT_LIQUIDITY,
        f"symbol={ctx.symbol} notional={plain(notional)} liquidity={plain(liquidity)} "
        f"source={source} max_participation_frac={plain(participation)}",
    )
