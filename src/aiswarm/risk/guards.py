"""Run the guard chain: every pure guard, in order, collecting every refusal. No I/O.

``GUARDS`` is the chain. Each guard is a pure function ``check_x(ctx) -> Refusal | None`` of a
``GuardContext`` (see ``guard_context``); the guards themselves live in ``guards_state``,
``guards_market``, ``guards_mandate``, ``guards_mandate_budget``, ``guards_spot``,
``guards_activity`` and ``guards_exposure``. The order runs cheapest and most decisive first:
kill switch and trading state, then the inputs the rest depend on (fail closed), then the
mandate, the order's own shape, activity, and last the exposure and loss arithmetic (the
account's, then the mandate's budget).

``run_guards`` runs all of them and returns every refusal, because every denial is recorded
with all its reasons; an empty list means the order passed. ``first_refusal`` stops at the first
refusal, for callers that only need a yes or no. Neither logs: the risk engine records the
decision as an event.
"""

from __future__ import annotations

from collections.abc import Callable

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.guards_activity import (
    check_circuit_breaker,
    check_duplicate_order,
    check_open_orders,
    check_order_rate_day,
    check_order_rate_second,
)
from aiswarm.risk.guards_exposure import (
    check_daily_loss,
    check_drawdown,
    check_gross_exposure,
    check_leverage,
    check_net_exposure,
    check_symbol_exposure,
)
from aiswarm.risk.guards_mandate import (
    check_mandate_active,
    check_mandate_budget,
    check_mandate_side,
    check_mandate_strategy,
    check_mandate_symbol,
    check_mandate_venue,
    check_mandate_window,
)
from aiswarm.risk.guards_mandate_budget import (
    check_mandate_allocation,
    check_mandate_daily_loss,
    check_mandate_day_notional,
    check_mandate_drawdown,
    check_mandate_leverage,
)
from aiswarm.risk.guards_market import (
    check_account_known,
    check_instrument_known,
    check_liquidity,
    check_market_data_fresh,
    check_min_notional,
    check_min_quantity,
    check_order_notional,
    check_order_quantity,
    check_price_band,
    check_price_known,
    check_price_precision,
    check_quantity_precision,
)
from aiswarm.risk.guards_spot import check_spot_holding
from aiswarm.risk.guards_state import (
    check_close_only,
    check_kill_switch,
    check_reduce_only,
    check_trading_state,
)
from aiswarm.risk.refusals import Refusal

__all__ = ["GUARDS", "Guard", "GuardContext", "first_refusal", "run_guards"]

Guard = Callable[[GuardContext], Refusal | None]
"""A pure check of one order: None to pass, or a refusal with the numbers that decided it."""

GUARDS: tuple[Guard, ...] = (
    # Modes: one flag read each, and they decide most orders while trading is stopped.
    check_kill_switch,
    check_trading_state,
    check_circuit_breaker,
    # Inputs: without them nothing below can be judged (fail closed).
    check_account_known,
    check_instrument_known,
    check_price_known,
    check_market_data_fresh,
    # Mandate: may this mandate trade this market, this way, now?
    check_mandate_active,
    check_mandate_symbol,
    check_mandate_venue,
    check_mandate_side,
    check_mandate_strategy,
    check_mandate_window,
    check_reduce_only,
    check_close_only,
    # Holdings: a spot sell fits in what is held beside the sells already working.
    check_spot_holding,
    # The order itself: venue rules, size and price.
    check_quantity_precision,
    check_price_precision,
    check_min_quantity,
    check_min_notional,
    check_order_quantity,
    check_order_notional,
    check_price_band,
    # Activity: open orders, rates, duplicates.
    check_open_orders,
    check_order_rate_second,
    check_order_rate_day,
    check_duplicate_order,
    # Liquidity, exposure and losses.
    check_liquidity,
    check_symbol_exposure,
    check_gross_exposure,
    check_net_exposure,
    check_leverage,
    check_drawdown,
    check_daily_loss,
    check_mandate_budget,
    check_mandate_allocation,
    check_mandate_day_notional,
    check_mandate_leverage,
    check_mandate_drawdown,
    check_mandate_daily_loss,
)
"""The whole chain, in the order it runs."""


def run_guards(ctx: GuardContext) -> list[Refusal]:
    """Run every guard on ``ctx`` and return every refusal, in chain order ([] = passed).

    The calls are written out rather than looped over ``GUARDS``: a loop calls a different
    function from one call site each time, which defeats CPython's call specialisation and
    measured about 0.8 us slower per order. A test checks that these calls are exactly
    ``GUARDS``, in order.
    """
    refusals: list[Refusal] = []
    append = refusals.append
    if (refusal := check_kill_switch(ctx)) is not None:
        append(refusal)
    if (refusal := check_trading_state(ctx)) is not None:
        append(refusal)
    if (refusal := check_circuit_breaker(ctx)) is not None:
        append(refusal)
    if (refusal := check_account_known(ctx)) is not None:
        append(refusal)
    if (refusal := check_instrument_known(ctx)) is not None:
        append(refusal)
    if (refusal := check_price_known(ctx)) is not None:
        append(refusal)
    if (refusal := check_market_data_fresh(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_active(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_symbol(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_venue(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_side(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_strategy(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_window(ctx)) is not None:
        append(refusal)
    if (refusal := check_reduce_only(ctx)) is not None:
        append(refusal)
    if (refusal := check_close_only(ctx)) is not None:
        append(refusal)
    if (refusal := check_spot_holding(ctx)) is not None:
        append(refusal)
    if (refusal := check_quantity_precision(ctx)) is not None:
        append(refusal)
    if (refusal := check_price_precision(ctx)) is not None:
        append(refusal)
    if (refusal := check_min_quantity(ctx)) is not None:
        append(refusal)
    if (refusal := check_min_notional(ctx)) is not None:
        append(refusal)
    if (refusal := check_order_quantity(ctx)) is not None:
        append(refusal)
    if (refusal := check_order_notional(ctx)) is not None:
        append(refusal)
    if (refusal := check_price_band(ctx)) is not None:
        append(refusal)
    if (refusal := check_open_orders(ctx)) is not None:
        append(refusal)
    if (refusal := check_order_rate_second(ctx)) is not None:
        append(refusal)
    if (refusal := check_order_rate_day(ctx)) is not None:
        append(refusal)
    if (refusal := check_duplicate_order(ctx)) is not None:
        append(refusal)
    if (refusal := check_liquidity(ctx)) is not None:
        append(refusal)
    if (refusal := check_symbol_exposure(ctx)) is not None:
        append(refusal)
    if (refusal := check_gross_exposure(ctx)) is not None:
        append(refusal)
    if (refusal := check_net_exposure(ctx)) is not None:
        append(refusal)
    if (refusal := check_leverage(ctx)) is not None:
        append(refusal)
    if (refusal := check_drawdown(ctx)) is not None:
        append(refusal)
    if (refusal := check_daily_loss(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_budget(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_allocation(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_day_notional(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_leverage(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_drawdown(ctx)) is not None:
        append(refusal)
    if (refusal := check_mandate_daily_loss(ctx)) is not None:
        append(refusal)
    return refusals


def first_refusal(ctx: GuardContext) -> Refusal | None:
    """Return the first refusal in chain order, or None when every guard passes."""
    for guard in GUARDS:
        refusal = guard(ctx)
        if refusal is not None:
            return refusal
    return None
