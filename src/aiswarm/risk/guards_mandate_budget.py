"""Guard a mandate's risk budget: allocation share, daily notional, leverage and losses. Pure.

Each guard passes when the mandate sets no such limit (the field is None): the account's own
limits (``guards_exposure``) still apply to every order. Risk-reducing orders are exempt, as
they are from the account's budget guards, so a mandate over its budget can still shrink. An
input a limit needs but that is not known (the mandate's exposure, what it sent today) refuses:
fail closed. No I/O, no clock, no logging, no mutation.

The loss and leverage budgets are measured on the account the mandate trades in (its NAV, peak
and day-opening NAV), with the mandate's own, usually tighter, limits: positions are held per
account, so a loss is the account's. The allocation share counts the mandate's exposure (what
the runtime attributes to it) against NAV.
"""

from __future__ import annotations

from decimal import Decimal

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.guards_exposure import daily_loss_refusal, drawdown_refusal, leverage_refusal
from aiswarm.risk.refusals import Reason, Refusal
from aiswarm.types.money import plain

__all__ = [
    "check_mandate_allocation",
    "check_mandate_daily_loss",
    "check_mandate_day_notional",
    "check_mandate_drawdown",
    "check_mandate_leverage",
]

_ZERO = Decimal(0)


def check_mandate_allocation(ctx: GuardContext) -> Refusal | None:
    """Refuse when the mandate's exposure plus this order exceeds its share of NAV."""
    mandate = ctx.mandate
    notional = ctx.order_notional_usd
    portfolio = ctx.portfolio
    if mandate is None or mandate.max_allocation_frac is None:
        return None
    if notional is None or portfolio is None or ctx.risk_reducing:
        return None
    share = mandate.max_allocation_frac
    exposure = ctx.mandate_exposure_usd
    nav = portfolio.nav
    limit = nav * share
    if exposure is not None and nav > _ZERO and exposure + notional <= limit:
        return None
    shown = "unknown" if exposure is None else plain(exposure)
    return Refusal(
        Reason.MANDATE_ALLOCATION,
        f"mandate={mandate.mandate_id} exposure={shown} order={plain(notional)} "
        f"nav={plain(nav)} share={plain(share)} limit={plain(limit)}",
    )


def check_mandate_day_notional(ctx: GuardContext) -> Refusal | None:
    """Refuse when what the mandate sent today plus this order exceeds its per-day notional."""
    mandate = ctx.mandate
    notional = ctx.order_notional_usd
    if mandate is None or mandate.max_day_notional_usd is None:
        return None
    if notional is None or ctx.risk_reducing:
        return None
    used = ctx.mandate_day_notional_usd
    limit = mandate.max_day_notional_usd
    if used is not None and used + notional <= limit:
        return None
    shown = "unknown" if used is None else plain(used)
    return Refusal(
        Reason.MANDATE_DAY_NOTIONAL,
        f"mandate={mandate.mandate_id} sent_today={shown} order={plain(notional)} "
        f"limit={plain(limit)}",
    )


def check_mandate_leverage(ctx: GuardContext) -> Refusal | None:
    """Refuse when the account's gross exposure after the order / NAV exceeds the mandate's."""
    mandate = ctx.mandate
    portfolio = ctx.portfolio
    after = ctx.gross_after_usd
    if mandate is None or mandate.max_leverage is None:
        return None
    if portfolio is None or after is None or ctx.risk_reducing:
        return None
    return leverage_refusal(
        portfolio.nav, after, mandate.max_leverage, Reason.MANDATE_LEVERAGE, Reason.MANDATE_LEVERAGE
    )


def check_mandate_drawdown(ctx: GuardContext) -> Refusal | None:
    """Refuse new risk once NAV is the mandate's ``max_drawdown_frac`` below its peak."""
    mandate = ctx.mandate
    portfolio = ctx.portfolio
    if mandate is None or mandate.max_drawdown_frac is None:
        return None
    if portfolio is None or ctx.risk_reducing:
        return None
    return drawdown_refusal(portfolio, mandate.max_drawdown_frac, Reason.MANDATE_DRAWDOWN)


def check_mandate_daily_loss(ctx: GuardContext) -> Refusal | None:
    """Refuse new risk once today's loss reaches the mandate's ``max_daily_loss_frac``."""
    mandate = ctx.mandate
    portfolio = ctx.portfolio
    if mandate is None or mandate.max_daily_loss_frac is None:
        return None
    if portfolio is None or ctx.risk_reducing:
        return None
    return daily_loss_refusal(portfolio, mandate.max_daily_loss_frac, Reason.MANDATE_DAILY_LOSS)
