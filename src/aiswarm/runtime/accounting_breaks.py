"""Describe what the books held aside: the kill switch's reason, the record, the dedupe key.

A break is a fill (``AccountingBreak``) or a funding payment (``FundingBreak``) the venue
reported and the portfolio could not book. ``Spine.halt_on_breaks`` halts trading for each one
once, naming it, and records ``portfolio.break``; a restart reads the keys of those records
back so no break is reported twice. A fill is named by (venue, trade id), a funding payment by
(venue, symbol, funding time), as each is deduplicated when booked. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiswarm.portfolio import AccountingBreak, FundingBreak
from aiswarm.types import to_payload

__all__ = ["BreakKey", "break_key", "break_payload", "break_reason", "recorded_break_key"]

BreakKey = tuple[str, ...]
"""("fill", venue, trade id) or ("funding_payment", venue, symbol, funding time in ISO 8601)."""


def break_key(broken: AccountingBreak | FundingBreak) -> BreakKey:
    """Return the key that names ``broken`` among the breaks already reported."""
    if isinstance(broken, AccountingBreak):
        return ("fill", broken.fill.venue, broken.fill.trade_id)
    return ("funding_payment", broken.venue, broken.symbol, broken.ts.isoformat())


def recorded_break_key(payload: Mapping[str, Any]) -> BreakKey:
    """Return the key of the break a ``portfolio.break`` record reported."""
    fill = payload.get("fill")
    if fill is not None:
        return ("fill", fill["venue"], fill["trade_id"])
    funding = payload["funding_payment"]
    return ("funding_payment", funding["venue"], funding["symbol"], funding["ts"])


def break_payload(broken: AccountingBreak | FundingBreak) -> dict[str, Any]:
    """Return the ``portfolio.break`` record: the fill or the funding payment, and why."""
    if isinstance(broken, AccountingBreak):
        return {"fill": to_payload(broken.fill), "reason": broken.reason}
    funding = {
        "venue": broken.venue,
        "symbol": broken.symbol,
        "amount": str(broken.amount),
        "ts": broken.ts.isoformat(),
    }
    return {"funding_payment": funding, "reason": broken.reason}


def break_reason(broken: AccountingBreak | FundingBreak) -> str:
    """Return the kill switch's reason for halting on ``broken``: what was reported, and why."""
    if isinstance(broken, AccountingBreak):
        fill = broken.fill
        return (
            f"accounting break: fill trade_id={fill.trade_id} client_order_id="
            f"{fill.client_order_id} {fill.side} {fill.quantity} {fill.symbol} at {fill.venue} "
            f"price={fill.price} was not booked: {broken.reason}"
        )
    return (
        f"accounting break: funding payment amount={broken.amount} for {broken.symbol} at "
        f"{broken.venue} at {broken.ts.isoformat()} was not booked: {broken.reason}"
    )
