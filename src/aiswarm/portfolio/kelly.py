"""Read a signal's measured edge and expected loss, and turn them into a Kelly risk budget. No I/O.

The Kelly fraction ``f* = p - (1 - p) / b`` is the share of wealth to *lose* on a losing bet
(see ``docs/allocation.md``). A trade that loses a fraction ``L`` of the position when it loses
(its stop distance, or its measured average loss) and wins ``b x L`` when it wins is that bet
with stake ``L x notional``, so the position that puts ``kelly_fraction x f*`` of NAV at risk is

    notional = kelly_fraction x f* x NAV / L

Everything here is read from the winning signal's evidence and is measured, never assumed:
``p`` is its confidence (the agent's realised win rate), ``b`` its ``payoff_ratio`` (average win
/ average loss) and ``L`` its ``stop_distance_frac`` when the agent exits at a stop, otherwise
its ``avg_loss``. Anything missing or unusable is no trade, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from aiswarm.types import Signal

__all__ = [
    "AVG_LOSS_KEY",
    "PAYOFF_RATIO_KEY",
    "STOP_DISTANCE_KEY",
    "KellyRisk",
    "NoKelly",
    "NoKellyReason",
    "full_kelly",
    "kelly_risk",
]

PAYOFF_RATIO_KEY = "payoff_ratio"
"""Evidence key of the average win / average loss ratio; agents omit it until a loss is seen."""

AVG_LOSS_KEY = "avg_loss"
"""Evidence key of the agent's mean loss per losing trade, a fraction of the entry price."""

STOP_DISTANCE_KEY = "stop_distance_frac"
"""Evidence key of the distance from entry to the stop the agent exits at, a fraction of the
entry price (0.02: a stop 2% away). When present it is the expected loss, not ``avg_loss``."""

_KELLY_QUANTUM = Decimal("1e-12")


class NoKellyReason(StrEnum):
    """Why a signal supports no Kelly position."""

    NO_EDGE = "no_edge"
    NO_EXPECTED_LOSS = "no_expected_loss"


@dataclass(frozen=True, slots=True)
class KellyRisk:
    """A risk budget: ``risk_frac`` of NAV to lose at ``loss_frac`` of the position's notional."""

    risk_frac: Decimal
    loss_frac: Decimal
    text: str


@dataclass(frozen=True, slots=True)
class NoKelly:
    """Why the signal supports no position, and the numbers behind it."""

    reason: NoKellyReason
    text: str


def full_kelly(win_probability: float, payoff_ratio: float) -> float:
    """Return the full Kelly fraction ``p - (1 - p) / b`` of wealth to risk on a binary bet.

    ``win_probability`` is ``p`` in [0, 1]; ``payoff_ratio`` is ``b`` > 0, what a win pays per
    unit lost on a loss. The result maximises ``p log(1 + b f) + (1 - p) log(1 - f)``; it is at
    most ``p`` and is negative when the bet has no edge (``b p < 1 - p``).
    """
    if not 0.0 <= win_probability <= 1.0:
        raise ValueError(f"win_probability={win_probability!r}: expected a probability in [0, 1]")
    if not (math.isfinite(payoff_ratio) and payoff_ratio > 0):
        raise ValueError(f"payoff_ratio={payoff_ratio!r}: expected average win / loss above 0")
    return win_probability - (1.0 - win_probability) / payoff_ratio


def kelly_risk(signal: Signal | None, kelly_fraction: float) -> KellyRisk | NoKelly:
    """Return the share of NAV to put at risk on ``signal`` and the loss it is measured at."""
    if signal is None:
        return NoKelly(NoKellyReason.NO_EDGE, "no edge: no winning signal to read p and b from")
    evidence = signal.evidence
    payoff = _positive(evidence.get(PAYOFF_RATIO_KEY))
    if payoff is None:
        found = evidence.get(PAYOFF_RATIO_KEY)
        why = "yet" if found is None else f"that is a number above 0 (got {found!r})"
        return NoKelly(
            NoKellyReason.NO_EDGE, f"no edge: no {PAYOFF_RATIO_KEY} from {signal.agent_id} {why}"
        )
    p = signal.confidence
    f_star = full_kelly(p, payoff)
    kelly_text = f"kelly p={p:g} b={payoff:g} f*={f_star:.6g}"
    # Rounding to 12 places absorbs float noise (0.6 - 0.4 / 1 is 0.19999999999999996); the
    # caps are applied afterwards in exact Decimal, so this rounding can never breach one.
    risk = Decimal(kelly_fraction * f_star).quantize(_KELLY_QUANTUM, ROUND_HALF_EVEN)
    if risk <= 0:
        return NoKelly(NoKellyReason.NO_EDGE, f"no edge: {kelly_text}")
    key = STOP_DISTANCE_KEY if STOP_DISTANCE_KEY in evidence else AVG_LOSS_KEY
    loss = _positive(evidence.get(key))
    if loss is None:
        return NoKelly(
            NoKellyReason.NO_EXPECTED_LOSS,
            f"no expected loss: {key}={evidence.get(key)!r} from {signal.agent_id}, need a "
            f"fraction above 0; {kelly_text}",
        )
    # The shortest repr is the number the agent computed, without binary expansion digits.
    loss_frac = Decimal(repr(loss))
    text = (
        f"{kelly_text} x {kelly_fraction:g} = {risk.normalize()} of nav at risk, "
        f"losing {key}={loss:g} of the position"
    )
    return KellyRisk(risk, loss_frac, text)


def _positive(value: object) -> float | None:
    """Return ``value`` as a float if it is a finite number above 0, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None
