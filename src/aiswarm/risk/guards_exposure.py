"""Guard exposure and losses: per symbol, gross, net, leverage, drawdown and daily loss. Pure.

Each guard returns None to pass or a ``Refusal`` with the numbers that decided it. No I/O, no
clock, no logging, no mutation. Amounts are USD (the account's quote currency) at the mark.

Risk-reducing orders, flagged reduce-only *and* shrinking the position without flipping it, are
exempt from every guard here: they can only lower exposure, leverage and further loss, and the
account must be able to flatten exactly when these limits are breached. The reduce-only flag is
required, not just the arithmetic, because only the flag makes the venue guarantee the order
cannot grow the position if other fills land first.

An input these guards need but cannot see (no mark, no account) makes them pass silently; the
UNKNOWN_PRICE and UNKNOWN_ACCOUNT guards refuse such an order. Undefined ratios are refusals,
never zero: NAV <= 0 is LEVERAGE_UNDEFINED, a peak NAV <= 0 or a start-of-day NAV <= 0 with a
loss is a DRAWDOWN_LIMIT or DAILY_LOSS_LIMIT refusal.
"""

from __future__ import annotations

from decimal import Decimal

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.refusals import Reason, Refusal, ratio
from aiswarm.types import PortfolioSnapshot
from aiswarm.types.money import plain

__all__ = [
    "check_daily_loss",
    "check_drawdown",
    "check_gross_exposure",
    "check_leverage",
    "check_net_exposure",
    "check_symbol_exposure",
    "daily_loss_refusal",
    "drawdown_refusal",
    "leverage_refusal",
]

_ZERO = Decimal(0)


def check_symbol_exposure(ctx: GuardContext) -> Refusal | None:
    """Refuse when position after the order plus resting orders in the symbol exceeds its limit.

    The limit is ``max_position_notional_usd``, lowered to the mandate's ``max_position_usd``
    when that is smaller. Everything is valued at the mark.
    """
    after = ctx.symbol_notional_after_usd
    mark = ctx.mark
    if after is None or mark is None or ctx.risk_reducing:
        return None
    resting = ctx.activity.open_order_notional_usd(ctx.symbol)
    limit = ctx.thresholds.max_position_notional_usd
    mandate = ctx.mandate
    if mandate is not None and mandate.max_position_usd < limit:
        limit = mandate.max_position_usd
    if after + resting <= limit:
        return None
    return Refusal(
        Reason.EXPOSURE_SYMBOL_LIMIT,
        f"position={plain(abs(ctx.position_quantity) * mark)} open={plain(resting)} "
        f"order={plain(ctx.quantity * mark)} after={plain(after + resting)} "
        f"limit={plain(limit)}",
    )


def check_gross_exposure(ctx: GuardContext) -> Refusal | None:
    """Refuse when gross exposure after the order (resting orders included) exceeds its limit."""
    after = ctx.gross_after_usd
    portfolio = ctx.portfolio
    if after is None or portfolio is None or ctx.risk_reducing:
        return None
    limit = ctx.thresholds.max_gross_exposure_usd
    if after <= limit:
        return None
    return Refusal(
        Reason.GROSS_EXPOSURE_LIMIT,
        f"gross={plain(portfolio.gross_exposure)} "
        f"open={plain(ctx.activity.open_order_notional_total_usd)} "
        f"after={plain(after)} limit={plain(limit)}",
    )


def check_net_exposure(ctx: GuardContext) -> Refusal | None:
    """Refuse when |net exposure after the order| exceeds its limit.

    Resting orders are not counted here (the view does not say which way they lean); the
    symbol and gross limits bound them.
    """
    after = ctx.net_after_usd
    portfolio = ctx.portfolio
    if after is None or portfolio is None or ctx.risk_reducing:
        return None
    limit = ctx.thresholds.max_net_exposure_usd
    if abs(after) <= limit:
        return None
    return Refusal(
        Reason.NET_EXPOSURE_LIMIT,
        f"net={plain(portfolio.net_exposure)} after={plain(after)} limit={plain(limit)}",
    )


def check_leverage(ctx: GuardContext) -> Refusal | None:
    """Refuse when gross exposure after the order / NAV exceeds ``max_leverage``.

    Leverage is gross notional (USD) divided by NAV (USD), once. NAV <= 0 leaves it undefined,
    which refuses every order that is not risk-reducing.
    """
    portfolio = ctx.portfolio
    after = ctx.gross_after_usd
    if portfolio is None or after is None or ctx.risk_reducing:
        return None
    return leverage_refusal(
        portfolio.nav,
        after,
        ctx.thresholds.max_leverage,
        Reason.LEVERAGE_LIMIT,
        Reason.LEVERAGE_UNDEFINED,
    )


def leverage_refusal(
    nav: Decimal, gross_after: Decimal, limit: Decimal, code: Reason, undefined: Reason
) -> Refusal | None:
    """Return ``code`` when ``gross_after / nav`` exceeds ``limit``; ``undefined`` when NAV <= 0.

    Shared by the account's guard and a mandate's, which differ in the limit and the codes.
    """
    if nav <= _ZERO:
        return Refusal(undefined, f"nav={plain(nav)} gross_after={plain(gross_after)}")
    if gross_after <= nav * limit:
        return None
    return Refusal(
        code,
        f"gross_after={plain(gross_after)} nav={plain(nav)} "
        f"leverage={ratio(gross_after / nav)} limit={plain(limit)}",
    )


def check_drawdown(ctx: GuardContext) -> Refusal | None:
    """Refuse new risk once NAV has fallen ``max_drawdown_frac`` or more from its peak."""
    portfolio = ctx.portfolio
    if portfolio is None or ctx.risk_reducing:
        return None
    return drawdown_refusal(portfolio, ctx.thresholds.max_drawdown_frac, Reason.DRAWDOWN_LIMIT)


def check_daily_loss(ctx: GuardContext) -> Refusal | None:
    """Refuse new risk once today's loss reaches ``max_daily_loss_frac`` of the opening NAV."""
    portfolio = ctx.portfolio
    if portfolio is None or ctx.risk_reducing:
        return None
    return daily_loss_refusal(
        portfolio, ctx.thresholds.max_daily_loss_frac, Reason.DAILY_LOSS_LIMIT
    )


def drawdown_refusal(portfolio: PortfolioSnapshot, limit: Decimal, code: Reason) -> Refusal | None:
    """Return ``code`` when NAV is ``limit`` (a fraction) or more below its peak, else None.

    Shared by the account's guard and a mandate's (``guards_mandate_budget``), which differ
    only in the limit and the code. A peak that is not positive leaves drawdown undefined,
    which refuses.
    """
    peak = portfolio.peak_nav
    nav = portfolio.nav
    if peak <= _ZERO:
        return Refusal(code, f"peak_nav={plain(peak)} nav={plain(nav)} drawdown=undefined")
    fall = peak - nav
    if fall < peak * limit:
        return None
    return Refusal(
        code,
        f"drawdown={ratio(fall / peak)} nav={plain(nav)} peak_nav={plain(peak)} "
        f"limit={plain(limit)}",
    )


def daily_loss_refusal(
    portfolio: PortfolioSnapshot, limit: Decimal, code: Reason
) -> Refusal | None:
    """Return ``code`` when today's loss is ``limit`` (a fraction) or more of the opening NAV.

    The opening NAV is ``nav - daily_pnl``: NAV at 00:00 UTC, since ``daily_pnl`` is the change
    in NAV since then. The loss fraction is ``-daily_pnl / opening NAV``. Shared by the
    account's guard and a mandate's.
    """
    pnl = portfolio.daily_pnl
    if pnl >= _ZERO:
        return None
    opening = portfolio.nav - pnl
    if opening <= _ZERO:
        return Refusal(
            code,
            f"daily_pnl={plain(pnl)} start_of_day_nav={plain(opening)} daily_loss=undefined",
        )
    if -pnl < opening * limit:
        return None
    return Refusal(
        code,
        f"daily_loss={ratio(-pnl / opening)} daily_pnl={plain(pnl)} "
        f"start_of_day_nav={plain(opening)} limit={plain(limit)}",
    )
