"""Turn an arbitration decision into the order that moves a position towards its target. No I/O.

The allocator sizes a *target* position, then orders the difference from what is already
committed (the position plus working orders). Its rules, all derived in ``docs/allocation.md``:

* **Kelly, by risk.** For win probability ``p`` (the winning signal's confidence) and payoff
  ratio ``b`` (its ``payoff_ratio`` evidence: average win / average loss), the full Kelly
  fraction is ``f* = p - (1 - p) / b`` of NAV *at risk*. With ``L`` the loss per losing trade as
  a fraction of the position (the signal's stop distance, else its measured ``avg_loss``), the
  target notional is ``kelly_fraction x f* x NAV / L`` (``kelly.py``). No payoff ratio, ``f* <=
  0`` or no usable ``L``: nothing is opened or added, and the record says why.
* **Fixed.** FIXED_QUANTITY targets a constant base quantity, FIXED_NOTIONAL a constant USD
  notional at the mark; both ignore score and edge.
* **Caps.** The target's notional never exceeds the smallest of ``max_position_frac_of_nav`` x
  NAV, the mandate's ``max_position_usd`` and ``max_notional_usd``, and the risk limit passed in.
* **Only FLAT or a flip shrinks a position.** A LONG (SHORT) decision only adds; it never trims
  a long (short) that is above its new target, because the edge shrinking is not an exit. FLAT,
  and SHORT on a long-only account or a spot instrument, target 0.
* **No price, no order.** Without a positive mark there is no order, never a default price.
* **Rounding never breaches a cap.** The Kelly float becomes a Decimal rounded half-even to 12
  decimal places (absorbing float noise) *before* the caps, which are exact; divisions round
  towards zero, and the order quantity is quantized DOWN to the instrument's step. Orders below
  the venue minimums are not placed.

``size`` is called once per actionable decision. It reads no clock (``ts_event`` is passed in).
The config also says how an order is worked once sized (``slices``, ``slice_interval_s``,
``requote_every_s``); the coordinator's order schedule carries that out, pricing every limit
order it places with ``limit_price``, the same rule ``size`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Context, Decimal
from enum import StrEnum
from typing import Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from aiswarm.portfolio.exact import add, multiply, subtract
from aiswarm.portfolio.kelly import NoKelly, NoKellyReason, kelly_risk
from aiswarm.types import (
    AccountId,
    Direction,
    Instrument,
    InstrumentKind,
    Mandate,
    OrderIntent,
    OrderType,
    Side,
    Signal,
    Symbol,
    to_decimal,
)

__all__ = [
    "AllocationMode",
    "AllocatorConfig",
    "NoOrder",
    "NoOrderReason",
    "SizingDecision",
    "limit_price",
    "size",
]

_ZERO = Decimal(0)
# Positive quotients only, so FLOOR is "towards zero": a sized quantity never exceeds a cap.
_DIVIDE_DOWN = Context(prec=40, rounding=ROUND_FLOOR)


class AllocationMode(StrEnum):
    """How a directional decision becomes a target size."""

    KELLY = "kelly"
    FIXED_QUANTITY = "fixed_quantity"
    FIXED_NOTIONAL = "fixed_notional"


class NoOrderReason(StrEnum):
    """Why the allocator placed nothing."""

    NO_DECISION = "no_decision"
    NO_PRICE = "no_price"
    NO_EDGE = "no_edge"
    NO_EXPECTED_LOSS = "no_expected_loss"
    AT_TARGET = "at_target"
    BELOW_MINIMUM = "below_minimum"


_IDLE = {  # why a Kelly target of 0 places nothing
    NoKellyReason.NO_EDGE: NoOrderReason.NO_EDGE,
    NoKellyReason.NO_EXPECTED_LOSS: NoOrderReason.NO_EXPECTED_LOSS,
}


@dataclass(frozen=True, slots=True)
class NoOrder:
    """The allocator's answer when it places nothing: a reason code and the numbers behind it."""

    reason: NoOrderReason
    detail: str

    def __str__(self) -> str:
        """Return e.g. ``NO_PRICE no price: mark=None for BTC/USDT``."""
        return f"{self.reason.name} {self.detail}"


class SizingDecision(Protocol):
    """What the allocator reads from an arbitration decision (declared here, where it is used)."""

    @property
    def symbol(self) -> Symbol:
        """The symbol decided on."""

    @property
    def direction(self) -> Direction | None:
        """LONG, SHORT, FLAT ("go flat"), or None (no decision)."""

    @property
    def winning_signal(self) -> Signal | None:
        """The strongest signal on the chosen side: Kelly reads its confidence and evidence."""


class AllocatorConfig(BaseModel):
    """How targets are sized and orders shaped. Fractions are 0..1; amounts in USD or base units."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    mode: AllocationMode = Field(
        default=AllocationMode.KELLY,
        description="'kelly', 'fixed_quantity' (needs fixed_quantity) or 'fixed_notional' "
        "(needs fixed_notional_usd).",
    )
    kelly_fraction: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Share of the full Kelly fraction of NAV put at risk (0.25 is quarter "
        "Kelly); the position is that risk divided by the expected loss per trade.",
    )
    max_position_frac_of_nav: Decimal | None = Field(
        default=Decimal("0.2"),
        gt=0,
        description="Largest position notional as a fraction of NAV (0.2 means 20%); null "
        "removes this cap (the mandate and risk limits still cap). Never above 1: no leverage.",
    )
    fixed_quantity: Decimal | None = Field(
        default=None, gt=0, description="Target size in base units for mode fixed_quantity."
    )
    fixed_notional_usd: Decimal | None = Field(
        default=None, gt=0, description="Target notional in USD at the mark for fixed_notional."
    )
    long_only: bool = Field(
        default=False,
        description="Never hold a short: SHORT decisions target 0. Spot instruments are always "
        "long-only, whatever this says.",
    )
    order_type: OrderType = Field(
        default=OrderType.MARKET, description="'market', or 'limit' priced off the mark."
    )
    limit_offset_ticks: int = Field(
        default=0,
        ge=0,
        description="For limit orders: ticks away from the mark on the passive side (a buy "
        "below, a sell above). 0 prices at the mark.",
    )
    slices: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="TWAP: split each order into this many slices, placed slice_interval_s "
        "apart (the first at once); each is quantity / slices rounded down to the step, the "
        "last takes the remainder. 1 places the whole order at once.",
    )
    slice_interval_s: float = Field(
        default=60,
        gt=0,
        description="Seconds between TWAP slices (clock time; at most one slice per cycle). "
        "Only used when slices > 1.",
    )
    requote_every_s: float | None = Field(
        default=None,
        gt=0,
        description="For limit orders: every this many seconds, cancel a resting order that "
        "is still working and place its remaining quantity again at the current mark "
        "(offset by limit_offset_ticks). null never re-quotes. Needs order_type=limit.",
    )

    @field_validator("max_position_frac_of_nav")
    @classmethod
    def _refuse_percent(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        """Refuse a fraction above 1: it is almost certainly a percent."""
        if value is not None and value > 1:
            raise ValueError(
                f"{info.field_name} was {value}; expected a fraction of NAV at most 1 "
                "(0.2 means 20%). Fix the allocator config."
            )
        return value

    @model_validator(mode="after")
    def _check_mode(self) -> Self:
        """Refuse a mode without its amount, and settings the chosen mode would ignore."""
        errors: list[str] = []
        needed = {
            AllocationMode.FIXED_QUANTITY: ("fixed_quantity", self.fixed_quantity),
            AllocationMode.FIXED_NOTIONAL: ("fixed_notional_usd", self.fixed_notional_usd),
        }
        for mode, (name, value) in needed.items():
            if self.mode is mode and value is None:
                errors.append(f"mode={mode} needs {name}")
            if self.mode is not mode and value is not None:
                errors.append(f"{name}={value} is set but mode={self.mode} ignores it")
        if self.order_type not in (OrderType.MARKET, OrderType.LIMIT):
            errors.append(f"order_type={self.order_type}: the allocator places market or limit")
        if self.order_type is OrderType.MARKET and self.limit_offset_ticks:
            errors.append(f"limit_offset_ticks={self.limit_offset_ticks} needs order_type=limit")
        if self.order_type is OrderType.MARKET and self.requote_every_s is not None:
            errors.append(f"requote_every_s={self.requote_every_s:g} needs order_type=limit")
        if errors:
            raise ValueError("; ".join(errors) + ". Fix the allocator config.")
        return self


@dataclass(frozen=True, slots=True)
class _Sizing:
    """A target magnitude in base units, the reason when no order results, and the numbers."""

    quantity: Decimal
    idle: NoOrderReason
    text: str


def size(
    decision: SizingDecision,
    *,
    mark: Decimal | None,
    position: Decimal,
    open_order_quantity: Decimal,
    working_sell_quantity: Decimal,
    nav: Decimal,
    instrument: Instrument,
    mandate: Mandate,
    limit_position_notional_usd: Decimal,
    config: AllocatorConfig,
    ts_event: datetime,
    account: AccountId,
    reason: str,
) -> OrderIntent | NoOrder:
    """Return the order that moves the committed position to the decision's target, or why not.

    ``position`` and ``open_order_quantity`` are signed base units (+ long / buying); their sum
    is the committed position. ``working_sell_quantity`` (unsigned base units) is the part of
    the working orders that sells, at the instrument's venue: on a long-only account a sell
    fits in what is held beside every working sell, exactly as the spot-holding guard counts
    it, since working buys may never fill before the sell does. ``mark`` is the current mark
    price (quote per base unit), ``nav`` the account's NAV and ``limit_position_notional_usd``
    the risk limit on one symbol's notional, both USD. ``ts_event`` (an aware UTC datetime)
    becomes the intent's decision time. The order is reduce-only when, with the working
    orders on its side, it closes no more than is held.
    """
    if instrument.symbol != decision.symbol:
        raise ValueError(
            f"instrument.symbol={instrument.symbol} but decision.symbol={decision.symbol}: "
            "pass the instrument of the symbol decided on"
        )
    direction = decision.direction
    if direction is None:
        return NoOrder(
            NoOrderReason.NO_DECISION, f"arbitration made no decision on {decision.symbol}"
        )
    if mark is None:
        return NoOrder(NoOrderReason.NO_PRICE, f"no price: mark=None for {decision.symbol}")
    price = to_decimal(mark, "mark")
    if price <= 0:
        return NoOrder(NoOrderReason.NO_PRICE, f"no price: mark={price} for {decision.symbol}")
    held = to_decimal(position, "position")
    working = to_decimal(open_order_quantity, "open_order_quantity")
    selling = to_decimal(working_sell_quantity, "working_sell_quantity")
    committed = add(held, working)
    long_only = config.long_only or instrument.kind is InstrumentKind.SPOT
    if direction is Direction.FLAT or (direction is Direction.SHORT and long_only):
        why = "flat" if direction is Direction.FLAT else "short on a long-only account"
        sizing = _Sizing(_ZERO, NoOrderReason.AT_TARGET, f"{why}: target 0")
        target = _ZERO
    else:
        sizing = _desired(
            decision, price, to_decimal(nav, "nav"), mandate, limit_position_notional_usd, config
        )
        target = _target(direction, sizing.quantity, committed)
    change = subtract(target, committed)
    if long_only and change < 0:
        # Never sell what is not held, nor what working sells already sell.
        sellable = subtract(held, selling)
        change = max(change, -max(sellable, _ZERO))
    quantity = instrument.quantize_quantity(abs(change))
    numbers = f"target={target} position={held} open={working}; {sizing.text}"
    if quantity == 0:
        return NoOrder(sizing.idle, numbers)
    side = Side.BUY if change > 0 else Side.SELL
    quoted: Decimal | None = None
    if config.order_type is OrderType.LIMIT:
        quoted = limit_price(instrument, price, side, config.limit_offset_ticks)
        if quoted is None:
            detail = (
                f"no price: mark={price} less {config.limit_offset_ticks} ticks is below one tick"
            )
            return NoOrder(NoOrderReason.NO_PRICE, detail)
    violations = instrument.check_minimums(quantity, price if quoted is None else quoted)
    if violations:
        return NoOrder(NoOrderReason.BELOW_MINIMUM, "; ".join(str(v) for v in violations))
    # Reduce-only when it shrinks the position net of the working orders on its side (buys:
    # the net working quantity plus the sells), as the guard chain measures a close.
    same_side = selling if side is Side.SELL else add(working, selling)
    return OrderIntent(
        mandate_id=mandate.mandate_id,
        account=account,
        venue=instrument.venue,
        symbol=instrument.symbol,
        side=side,
        order_type=config.order_type,
        quantity=quantity,
        limit_price=quoted,
        reduce_only=held != 0 and side.sign * held < 0 and quantity + same_side <= abs(held),
        reason=f"{reason}; {direction} {numbers}",
        ts_event=ts_event,
    )


def _desired(
    decision: SizingDecision,
    price: Decimal,
    nav: Decimal,
    mandate: Mandate,
    limit_usd: Decimal,
    config: AllocatorConfig,
) -> _Sizing:
    """Return the target magnitude for a LONG or SHORT decision, capped, in base units."""
    caps = [
        ("mandate max_position_usd", mandate.max_position_usd),
        ("mandate max_notional_usd", mandate.max_notional_usd),
        ("risk max_position_notional_usd", to_decimal(limit_usd, "limit_position_notional_usd")),
    ]
    if config.max_position_frac_of_nav is not None:
        nav_cap = multiply(config.max_position_frac_of_nav, max(nav, _ZERO))
        caps.append(("max_position_frac_of_nav x nav", nav_cap))
    cap_name, cap_usd = min(caps, key=lambda named: named[1])
    cap_quantity = _DIVIDE_DOWN.divide(max(cap_usd, _ZERO), price)
    cap_text = f"cap {cap_usd} usd ({cap_name}) = {cap_quantity} at {price}"
    if config.mode is AllocationMode.FIXED_QUANTITY:
        assert config.fixed_quantity is not None  # the config validator guarantees it
        wanted, text = config.fixed_quantity, f"fixed quantity {config.fixed_quantity}"
    elif config.mode is AllocationMode.FIXED_NOTIONAL:
        assert config.fixed_notional_usd is not None  # the config validator guarantees it
        wanted = _DIVIDE_DOWN.divide(config.fixed_notional_usd, price)
        text = f"fixed notional {config.fixed_notional_usd} usd = {wanted}"
    else:
        risk = kelly_risk(decision.winning_signal, config.kelly_fraction)
        if isinstance(risk, NoKelly):
            return _Sizing(_ZERO, _IDLE[risk.reason], risk.text)
        at_risk = multiply(risk.risk_frac, max(nav, _ZERO))
        notional = _DIVIDE_DOWN.divide(at_risk, risk.loss_frac)
        wanted = _DIVIDE_DOWN.divide(notional, price)
        text = (
            f"{risk.text}: {at_risk} usd at risk of nav {nav} / {risk.loss_frac} "
            f"= {notional} usd = {wanted}"
        )
    return _Sizing(min(wanted, cap_quantity), NoOrderReason.AT_TARGET, f"{text}; {cap_text}")


def _target(direction: Direction, wanted: Decimal, committed: Decimal) -> Decimal:
    """Return the signed target: only adds on the decision's side, flips from the other side."""
    if direction is Direction.LONG:
        return max(wanted, committed) if committed >= 0 else wanted
    return min(-wanted, committed) if committed <= 0 else -wanted


def limit_price(
    instrument: Instrument, mark: Decimal, side: Side, offset_ticks: int
) -> Decimal | None:
    """Return the limit price ``offset_ticks`` on the passive side of the mark, or None if <= 0.

    A buy is priced below the mark and rounded down to the tick, a sell above and rounded up,
    so the order never pays more (or sells for less) than the offset asks.
    """
    offset = multiply(instrument.tick_size, Decimal(offset_ticks))
    raw = subtract(mark, offset) if side is Side.BUY else add(mark, offset)
    if raw < instrument.tick_size and side is Side.BUY:
        return None
    return instrument.quantize_price(raw, side)
