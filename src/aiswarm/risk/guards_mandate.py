"""Guard the mandate an order trades under: status, validity, market, side, strategy, window
and absolute budget. Pure; the rest of its budget is in ``guards_mandate_budget``.

Each guard returns None to pass or a ``Refusal`` with the numbers that decided it. No I/O, no
clock (``now_ns`` comes in the context), no logging, no mutation.

An unknown mandate is MANDATE_INACTIVE; the other mandate guards then pass silently, since
there is nothing to compare against. Risk-reducing orders (reduce-only and shrinking the
position net of the working orders on their side) are exempt from the status, validity, side,
strategy, window and budget guards, which only restrict new risk: a buy-only mandate can still
sell what it bought, an over-budget mandate can still shrink, and the kill switch can flatten
at any hour and after its mandate expired, was paused or was revoked. They are not exempt from
an unknown or mismatched mandate, symbol or venue, which say whether the mandate may trade this
market at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.refusals import Reason, Refusal
from aiswarm.types import MandateStatus
from aiswarm.types.money import plain

__all__ = [
    "check_mandate_active",
    "check_mandate_budget",
    "check_mandate_side",
    "check_mandate_strategy",
    "check_mandate_symbol",
    "check_mandate_venue",
    "check_mandate_window",
]

_ACTIVE = MandateStatus.ACTIVE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@lru_cache(maxsize=1024)
def _window_us(valid_from: datetime, valid_until: datetime) -> tuple[int, int]:
    """Return a validity window as whole microseconds since the epoch (exact).

    Memoised because datetime arithmetic costs about 150 ns a bound and mandates change
    rarely; the function is pure, so the cache cannot change an answer.
    """
    return (valid_from - _EPOCH) // _MICROSECOND, (valid_until - _EPOCH) // _MICROSECOND


def check_mandate_active(ctx: GuardContext) -> Refusal | None:
    """Refuse an order whose mandate is unknown, not ACTIVE, or outside its validity window.

    The window is ``valid_from <= now < valid_until``, compared exactly in microseconds (the
    resolution of the mandate's datetimes). A risk-reducing order passes a known mandate
    whatever its status and window: closing a position takes no new risk.
    """
    mandate = ctx.mandate
    wanted = ctx.spec.mandate_id
    if mandate is None:
        return Refusal(Reason.MANDATE_INACTIVE, f"mandate={wanted} status=unknown")
    if mandate.mandate_id != wanted:
        return Refusal(
            Reason.MANDATE_INACTIVE, f"mandate={wanted} given_mandate={mandate.mandate_id}"
        )
    if ctx.risk_reducing:
        return None
    if mandate.status is not _ACTIVE:
        return Refusal(Reason.MANDATE_INACTIVE, f"mandate={wanted} status={mandate.status}")
    start_us, end_us = _window_us(mandate.valid_from, mandate.valid_until)
    if start_us <= ctx.now_ns // 1_000 < end_us:
        return None
    return Refusal(
        Reason.MANDATE_INACTIVE,
        f"mandate={wanted} now_ns={ctx.now_ns} "
        f"valid_from={mandate.valid_from.isoformat()} "
        f"valid_until={mandate.valid_until.isoformat()}",
    )


def check_mandate_symbol(ctx: GuardContext) -> Refusal | None:
    """Refuse an order in a symbol the mandate does not list."""
    mandate = ctx.mandate
    if mandate is None or ctx.symbol in mandate.symbols:
        return None
    return Refusal(
        Reason.MANDATE_SYMBOL,
        f"mandate={mandate.mandate_id} symbol={ctx.symbol} allowed={','.join(mandate.symbols)}",
    )


def check_mandate_venue(ctx: GuardContext) -> Refusal | None:
    """Refuse an order at a venue the mandate does not list."""
    mandate = ctx.mandate
    venue = ctx.venue
    if mandate is None or venue in mandate.venues:
        return None
    return Refusal(
        Reason.MANDATE_VENUE,
        f"mandate={mandate.mandate_id} venue={venue} allowed={','.join(mandate.venues)}",
    )


def check_mandate_side(ctx: GuardContext) -> Refusal | None:
    """Refuse a side the mandate does not allow, unless the order is risk-reducing."""
    mandate = ctx.mandate
    if mandate is None or ctx.side in mandate.allowed_sides or ctx.risk_reducing:
        return None
    return Refusal(
        Reason.MANDATE_SIDE,
        f"mandate={mandate.mandate_id} side={ctx.side} allowed={','.join(mandate.allowed_sides)}",
    )


def check_mandate_strategy(ctx: GuardContext) -> Refusal | None:
    """Refuse an order from a strategy type the mandate does not allow (or an unknown one)."""
    mandate = ctx.mandate
    if mandate is None or mandate.strategy_types is None or ctx.risk_reducing:
        return None
    types = ctx.strategy_types
    allowed = mandate.strategy_types
    if types is not None and types and types.issubset(allowed):
        return None
    shown = "unknown" if not types else ",".join(sorted(types))
    return Refusal(
        Reason.MANDATE_STRATEGY,
        f"mandate={mandate.mandate_id} strategy={shown} allowed={','.join(allowed)}",
    )


def check_mandate_window(ctx: GuardContext) -> Refusal | None:
    """Refuse new risk outside the mandate's trading window (UTC weekdays and hours)."""
    mandate = ctx.mandate
    if mandate is None or ctx.risk_reducing:
        return None
    window = mandate.trading_window
    if window is None or window.contains(ctx.now_ns):
        return None
    shown = window.describe().replace(" ", "_")  # refusal details carry no spaces
    return Refusal(
        Reason.MANDATE_WINDOW, f"mandate={mandate.mandate_id} now_ns={ctx.now_ns} window={shown}"
    )


def check_mandate_budget(ctx: GuardContext) -> Refusal | None:
    """Refuse when the mandate's exposure plus this order exceeds ``max_notional_usd``.

    The mandate's exposure comes from the portfolio (positions and resting orders under the
    mandate, USD at the mark); when it is not known, the order is refused.
    """
    mandate = ctx.mandate
    notional = ctx.order_notional_usd
    if mandate is None or notional is None or ctx.risk_reducing:
        return None
    exposure = ctx.mandate_exposure_usd
    limit = mandate.max_notional_usd
    if exposure is None:
        return Refusal(
            Reason.MANDATE_BUDGET,
            f"mandate={mandate.mandate_id} exposure=unknown order={plain(notional)} "
            f"limit={plain(limit)}",
        )
    if exposure + notional <= limit:
        return None
    return Refusal(
        Reason.MANDATE_BUDGET,
        f"mandate={mandate.mandate_id} exposure={plain(exposure)} order={plain(notional)} "
        f"limit={plain(limit)}",
    )
