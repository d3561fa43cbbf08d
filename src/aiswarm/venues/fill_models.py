"""Price what a simulated fill costs: maker/taker fees and seeded, whole-tick slippage. No I/O.

The paper venue asks these models two questions per fill: what fee does this notional pay,
and how many ticks against us did the taker price move. Both answers are exact: fees are
computed in a context that raises instead of rounding, and slippage moves a price by whole
ticks only, so every simulated price is one the venue could have printed.

Randomness is injected: ``TickSlippage`` draws from its own ``random.Random(seed)``, so the
same inputs and seed give the same fills, run after run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from typing import Protocol

__all__ = ["EXACT", "FeeModel", "NoSlippage", "SlippageModel", "TickSlippage"]

EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])
"""A Decimal context for money products: it raises rather than drop a digit."""


@dataclass(frozen=True, slots=True)
class FeeModel:
    """Charge ``maker_fee_frac`` or ``taker_fee_frac`` of a fill's notional.

    Fractions, not basis points: 0.001 means 0.1%. A negative maker fraction is a rebate (the
    fee comes out negative, which ``Fill`` reads as money received). The taker fraction must
    not be negative: no venue pays takers, and a sign slip here would make every backtest
    look profitable.
    """

    maker_fee_frac: Decimal = Decimal("0.0002")
    taker_fee_frac: Decimal = Decimal("0.0005")

    def __post_init__(self) -> None:
        """Refuse floats, a negative taker fee and fractions that read like percentages."""
        for name, value in (("maker", self.maker_fee_frac), ("taker", self.taker_fee_frac)):
            if not isinstance(value, Decimal) or not value.is_finite():
                raise TypeError(
                    f"{name}_fee_frac={value!r} must be a finite Decimal, e.g. Decimal('0.0005')"
                )
            if abs(value) >= 1:
                raise ValueError(
                    f"{name}_fee_frac={value} is 100% or more of the notional; it is a "
                    "fraction (0.0005 means 0.05%)"
                )
        if self.taker_fee_frac < 0:
            raise ValueError(
                f"taker_fee_frac={self.taker_fee_frac} is negative: takers pay a fee; "
                "only a maker fee may be a rebate"
            )

    def fee(self, notional: Decimal, *, is_maker: bool) -> Decimal:
        """Return the fee on ``notional`` (quote units), exact: positive cost, negative rebate."""
        frac = self.maker_fee_frac if is_maker else self.taker_fee_frac
        return EXACT.multiply(notional, frac)


class SlippageModel(Protocol):
    """How far a taker fill moves against the taker, in whole ticks (0 or more)."""

    def slip_ticks(self) -> int:
        """Return the number of ticks the next taker fill moves against the taker."""
        ...


class NoSlippage:
    """Fill takers at the reference price: for tests that check exact prices."""

    def slip_ticks(self) -> int:
        """Return 0: no slippage."""
        return 0


class TickSlippage:
    """With probability ``probability``, move a taker fill ``ticks`` ticks against the taker.

    Bars carry no order book, so the spread and the depth a market order walks are unknown;
    this model says so by charging a chance of a whole-tick miss rather than inventing a
    spread. One draw per taker fill, from a generator seeded here, keeps runs repeatable.
    """

    def __init__(self, probability: float, *, seed: int, ticks: int = 1) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability={probability} must be within [0, 1] (0.5 means 50%)")
        if ticks < 0:
            raise ValueError(f"ticks={ticks} is negative: slippage only ever moves against us")
        self._probability = probability
        self._ticks = ticks
        self._rng = random.Random(seed)  # noqa: S311 - simulation, not cryptography

    def slip_ticks(self) -> int:
        """Return ``ticks`` with the configured probability, else 0."""
        return self._ticks if self._rng.random() < self._probability else 0
