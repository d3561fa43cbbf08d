"""Weigh the agents' signals on each symbol into one decision: which way, how strongly, and why.

Per symbol, each signal that passes the filters scores

    score = weight x confidence x edge x liquidity_score,   edge = max(expected_return, 0)

signed + for LONG and - for SHORT; a FLAT signal scores 0. ``expected_return`` is the expected
gain of taking the position the signal asks for, as a fraction per trade: for a SHORT it is
positive when the agent expects the price to fall. A signal never votes against its own
direction: an agent that expects to lose on its own call (``expected_return < 0``) keeps its
direction but carries no edge (score 0).

Conflicts resolve by ``ConflictRule``: NET acts on the sign of the summed scores; STRONGER_WINS
acts only when the stronger side beats the weaker by ``conflict_margin_frac`` of the stronger
side's total. When every score is zero (no measured edge yet), the decision follows the signals
if they all agree (LONG, SHORT or FLAT) with score 0, and makes no decision otherwise. FLAT
signals therefore ask for an exit that happens only when no directional edge outweighs them.
Every signal is recorded: the ones that vote as ``Contribution``, the others as
``FilteredSignal`` with the reason. ``docs/allocation.md`` gives the rules with examples.

``arbitrate`` is pure and runs every cycle, so decisions are slotted frozen dataclasses rather
than pydantic models; ``ArbitrationConfig`` is the validated, frozen configuration. No I/O.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from aiswarm.types import AgentId, Direction, Signal, Symbol

__all__ = [
    "MAX_ADAPTIVE_MULTIPLIER",
    "REGIME_KEY",
    "AgentWeights",
    "ArbitrationConfig",
    "ArbitrationDecision",
    "ConflictRule",
    "Contribution",
    "FilterReason",
    "FilteredSignal",
    "arbitrate",
]

REGIME_KEY = "regime"
"""Evidence key under which the regime agent puts its label (e.g. "trend", "volatile")."""

MAX_ADAPTIVE_MULTIPLIER = 2.0
"""Largest factor an agent's realised record can put on its weight (all wins)."""


def _refuse_negative(value: Mapping[AgentId, float], name: str) -> Mapping[AgentId, float]:
    """Refuse a weight or multiplier that is negative or not finite; return a read-only copy."""
    bad = sorted(f"{agent}={w}" for agent, w in value.items() if not (math.isfinite(w) and w >= 0))
    if bad:
        raise ValueError(
            f"{name} has values that are not finite numbers >= 0 ({', '.join(bad)}): "
            "use 0 to silence an agent, 1 for no change. Fix the arbitration config."
        )
    return MappingProxyType(dict(value))


def _freeze_weights(value: Mapping[AgentId, float]) -> Mapping[AgentId, float]:
    """Validate and freeze the base weights."""
    return _refuse_negative(value, "weights")


def _freeze_regimes(
    value: Mapping[str, Mapping[AgentId, float]],
) -> Mapping[str, Mapping[AgentId, float]]:
    """Validate and freeze the per-regime multipliers, both levels."""
    return MappingProxyType(
        {
            regime: _refuse_negative(row, f"regime_multipliers[{regime}]")
            for regime, row in value.items()
        }
    )


_Weights = Annotated[
    Mapping[AgentId, float],
    AfterValidator(_freeze_weights),
    PlainSerializer(dict, return_type=dict[str, float]),
]
_RegimeMultipliers = Annotated[
    Mapping[str, Mapping[AgentId, float]],
    AfterValidator(_freeze_regimes),
    PlainSerializer(
        lambda value: {regime: dict(row) for regime, row in value.items()},
        return_type=dict[str, dict[str, float]],
    ),
]


class ConflictRule(StrEnum):
    """How opposing LONG and SHORT scores on one symbol resolve."""

    NET = "net"
    STRONGER_WINS = "stronger_wins"


class FilterReason(StrEnum):
    """Why a signal did not vote."""

    SUPERSEDED = "superseded"
    BELOW_MIN_CONFIDENCE = "below_min_confidence"
    ZERO_WEIGHT = "zero_weight"


class ArbitrationConfig(BaseModel):
    """How signals are filtered, weighted and resolved. Scores and weights are plain numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    min_confidence: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Signals with confidence strictly below this (0..1) are filtered, not voted.",
    )
    conflict_rule: ConflictRule = Field(
        default=ConflictRule.NET,
        description="'net': act on the sign of the summed scores. 'stronger_wins': act only "
        "when the stronger side beats the weaker by conflict_margin_frac.",
    )
    conflict_margin_frac: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Under stronger_wins, the fraction of the stronger side's total score by "
        "which it must exceed the weaker side (0.2: 1.0 beats 0.79 but not 0.8). Ignored by net.",
    )
    default_weight: float = Field(
        default=1.0, ge=0, description="Weight of an agent not listed in weights."
    )
    weights: _Weights = Field(
        default_factory=lambda: MappingProxyType({}),
        description="Base weight per agent id (>= 0; 0 means the agent does not vote).",
    )
    regime_multipliers: _RegimeMultipliers = Field(
        default_factory=lambda: MappingProxyType({}),
        description="regime label -> agent id -> factor on that agent's weight while the latest "
        "regime label for the symbol is that regime. Unlisted pairs keep factor 1.",
    )
    adapt: bool = Field(
        default=False,
        description="Scale each agent's weight by its rolling realised record (see AgentWeights).",
    )
    adapt_window: int = Field(
        default=50, ge=1, description="Realised outcomes per agent kept in the rolling window."
    )
    adapt_min_outcomes: int = Field(
        default=10,
        ge=1,
        description="Outcomes needed before the record changes a weight (factor 1 until then).",
    )
    adapt_floor: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Smallest adaptive factor (0..1); an agent that only loses keeps this much.",
    )

    @model_validator(mode="after")
    def _check_window(self) -> Self:
        """Refuse a minimum number of outcomes that the window can never hold."""
        if self.adapt_min_outcomes > self.adapt_window:
            raise ValueError(
                f"adapt_min_outcomes={self.adapt_min_outcomes} is above adapt_window="
                f"{self.adapt_window}: weights would never adapt. Lower it or widen the window."
            )
        return self


class AgentWeights:
    """Give each agent its weight: base x regime factor x rolling realised record.

    The base is the arbitration config's ``weights[agent]`` (``default_weight`` when unlisted)
    times the agent's own ``weight`` from the agents file (``agent_weights``; 1 when not given),
    so a 0 in either place mutes the agent.

    The adaptive factor is ``1 + sum(r) / sum(|r|)`` over the agent's last ``adapt_window``
    realised returns ``r``, clamped to ``[adapt_floor, MAX_ADAPTIVE_MULTIPLIER]``. The ratio is
    (gains - losses) / (gains + losses), so it is bounded in [-1, 1] whatever the scale of the
    returns: 2 when every outcome won, 1 when gains and losses balance, 0 (then the floor) when
    every outcome lost. It stays 1 until ``adapt_min_outcomes`` outcomes are in, and always when
    ``adapt`` is off. This object is the one mutable piece: the coordinator feeds it outcomes
    between cycles; ``arbitrate`` only reads it.
    """

    __slots__ = ("_agent_weights", "_config", "_multipliers", "_outcomes")

    def __init__(
        self, config: ArbitrationConfig, agent_weights: Mapping[AgentId, float] | None = None
    ) -> None:
        self._config = config
        self._agent_weights = dict(agent_weights or {})  # validated by the agents' config
        self._outcomes: dict[AgentId, deque[float]] = {}
        self._multipliers: dict[AgentId, float] = {}

    def record_outcome(self, agent_id: AgentId, realised_return: float) -> None:
        """Add a closed trade's realised return (a fraction: 0.01 is +1%) to the agent's window."""
        if not math.isfinite(realised_return):
            raise ValueError(
                f"realised_return={realised_return!r} for agent {agent_id} is not finite: "
                "pass the closed trade's return as a fraction (0.01 means +1%)"
            )
        window = self._outcomes.get(agent_id)
        if window is None:
            window = self._outcomes[agent_id] = deque(maxlen=self._config.adapt_window)
        window.append(float(realised_return))
        self._multipliers[agent_id] = self._record_multiplier(window)

    def multiplier(self, agent_id: AgentId) -> float:
        """Return the agent's adaptive factor (1 when adapt is off or the record is short)."""
        if not self._config.adapt:
            return 1.0
        return self._multipliers.get(agent_id, 1.0)

    def weight(self, agent_id: AgentId, regime: str | None = None) -> float:
        """Return the agent's weight now, in the given regime (None: no regime known)."""
        config = self._config
        base = config.weights.get(agent_id, config.default_weight)
        base *= self._agent_weights.get(agent_id, 1.0)
        if regime is not None:
            row = config.regime_multipliers.get(regime)
            if row is not None:
                base *= row.get(agent_id, 1.0)
        return base * self.multiplier(agent_id)

    def _record_multiplier(self, window: deque[float]) -> float:
        """Return the clamped factor for one agent's window (see the class docstring)."""
        if len(window) < self._config.adapt_min_outcomes:
            return 1.0
        magnitude = math.fsum(abs(r) for r in window)
        if magnitude == 0:
            return 1.0
        factor = 1.0 + math.fsum(window) / magnitude
        return max(self._config.adapt_floor, min(MAX_ADAPTIVE_MULTIPLIER, factor))


@dataclass(frozen=True, slots=True)
class Contribution:
    """One voting signal: its agent, direction, weight in force, and signed score."""

    agent_id: AgentId
    direction: Direction
    weight: float
    score: float


@dataclass(frozen=True, slots=True)
class FilteredSignal:
    """A signal that did not vote, the reason code, and the numbers that decided it."""

    signal: Signal
    reason: FilterReason
    detail: str


@dataclass(frozen=True, slots=True)
class ArbitrationDecision:
    """What arbitration concluded for one symbol.

    ``direction`` is the position wanted: LONG, SHORT, FLAT ("go flat"), or None ("no decision:
    leave the position as it is"). ``score`` is always the net signed score (long total minus
    short total); it is 0 for a no-edge agreement. ``winning_signal`` is the strongest signal on
    the chosen side (largest |score|, then confidence, then first seen); the allocator reads its
    confidence and payoff evidence. ``regime`` is the label the weights were taken in.
    """

    symbol: Symbol
    direction: Direction | None
    score: float
    winning_signal: Signal | None
    contributions: tuple[Contribution, ...]
    filtered: tuple[FilteredSignal, ...]
    regime: str | None
    explanation: str

    @property
    def is_actionable(self) -> bool:
        """Return whether the decision asks for a position (LONG, SHORT or FLAT)."""
        return self.direction is not None


def arbitrate(
    signals: Sequence[Signal], weights: AgentWeights, config: ArbitrationConfig
) -> dict[Symbol, ArbitrationDecision]:
    """Return one decision per symbol that has any signal, in order of first appearance.

    Pure: reads ``weights``, changes nothing. Per agent and symbol only the latest signal (by
    ``ts_event``; the later one in ``signals`` on a tie) votes; earlier ones are SUPERSEDED.
    """
    groups: dict[Symbol, list[Signal]] = {}
    for signal in signals:
        groups.setdefault(signal.symbol, []).append(signal)
    return {symbol: _decide(symbol, group, weights, config) for symbol, group in groups.items()}


def _decide(
    symbol: Symbol, group: list[Signal], weights: AgentWeights, config: ArbitrationConfig
) -> ArbitrationDecision:
    """Filter, weigh and resolve one symbol's signals."""
    filtered: list[FilteredSignal] = []
    confident: list[Signal] = []
    for signal in _latest_per_agent(group, filtered):
        if signal.confidence < config.min_confidence:
            detail = f"confidence={signal.confidence} min_confidence={config.min_confidence}"
            filtered.append(FilteredSignal(signal, FilterReason.BELOW_MIN_CONFIDENCE, detail))
        else:
            confident.append(signal)
    # The regime is read before weights, so a labelling agent with weight 0 still sets it.
    regime = _regime(confident)
    voters: list[tuple[Signal, Contribution]] = []
    for signal in confident:
        weight = weights.weight(signal.agent_id, regime)
        if weight > 0:
            contribution = Contribution(
                signal.agent_id, signal.direction, weight, _score(signal, weight)
            )
            voters.append((signal, contribution))
        else:
            detail = f"weight={weight} agent={signal.agent_id} regime={regime}"
            filtered.append(FilteredSignal(signal, FilterReason.ZERO_WEIGHT, detail))
    direction, net, explanation = _resolve(voters, config)
    return ArbitrationDecision(
        symbol=symbol,
        direction=direction,
        score=net,
        winning_signal=_strongest(voters, direction),
        contributions=tuple(contribution for _, contribution in voters),
        filtered=tuple(filtered),
        regime=regime,
        explanation=explanation,
    )


def _latest_per_agent(group: list[Signal], filtered: list[FilteredSignal]) -> list[Signal]:
    """Return each agent's latest signal; append the older ones to ``filtered``."""
    latest: dict[AgentId, Signal] = {}
    for signal in group:
        held = latest.get(signal.agent_id)
        if held is None:
            latest[signal.agent_id] = signal
            continue
        newer, older = (signal, held) if signal.ts_event >= held.ts_event else (held, signal)
        latest[signal.agent_id] = newer
        detail = f"ts_event={older.ts_event.isoformat()} newer={newer.ts_event.isoformat()}"
        filtered.append(FilteredSignal(older, FilterReason.SUPERSEDED, detail))
    return list(latest.values())


def _regime(signals: list[Signal]) -> str | None:
    """Return the regime label of the latest signal that carries one, or None."""
    label: str | None = None
    labelled_at = None
    for signal in signals:
        value = signal.evidence.get(REGIME_KEY)
        if isinstance(value, str) and (labelled_at is None or signal.ts_event >= labelled_at):
            label, labelled_at = value, signal.ts_event
    return label


def _score(signal: Signal, weight: float) -> float:
    """Return the signal's signed score: + for LONG, - for SHORT, 0 for FLAT."""
    if signal.direction is Direction.FLAT:
        return 0.0
    edge = max(signal.expected_return, 0.0)
    magnitude = weight * signal.confidence * edge * signal.liquidity_score
    if signal.direction is Direction.LONG:
        return magnitude
    return -magnitude if magnitude else 0.0


def _resolve(
    voters: list[tuple[Signal, Contribution]], config: ArbitrationConfig
) -> tuple[Direction | None, float, str]:
    """Return (direction or None, net score, explanation) under the configured rule."""
    if not voters:
        return None, 0.0, "no signal passed the filters"
    long_total = math.fsum(c.score for _, c in voters if c.score > 0)
    short_total = -math.fsum(c.score for _, c in voters if c.score < 0)
    net = long_total - short_total
    larger = max(long_total, short_total)
    totals = f"long={long_total:.6g} short={short_total:.6g} net={net:.6g}"
    if larger > 0:
        rule = config.conflict_rule
        margin = config.conflict_margin_frac if rule is ConflictRule.STRONGER_WINS else 0.0
        if abs(net) > margin * larger:
            direction = Direction.LONG if net > 0 else Direction.SHORT
            return direction, net, f"{rule}: {totals} -> {direction}"
        return None, net, f"{rule}: {totals} within margin {margin:g} of {larger:.6g}: no trade"
    wanted = {c.direction for _, c in voters}
    if len(wanted) == 1:
        (direction,) = wanted
        return direction, 0.0, f"no edge; all {len(voters)} signal(s) agree -> {direction}"
    names = ", ".join(sorted(wanted))
    return None, 0.0, f"no edge and no agreement ({names}): no trade"


def _strongest(
    voters: list[tuple[Signal, Contribution]], direction: Direction | None
) -> Signal | None:
    """Return the chosen side's strongest signal: largest |score|, then confidence, first seen."""
    best: Signal | None = None
    best_key = (-1.0, -1.0)
    for signal, contribution in voters:
        if contribution.direction is not direction:
            continue
        key = (abs(contribution.score), signal.confidence)
        if key > best_key:
            best, best_key = signal, key
    return best
