"""Route each agent's signals to the mandate it trades under, and value a mandate's exposure.

An engine can run several mandates at once: one mandate per agent (strategy), not one per
account. ``MandateRouting`` holds which mandate each agent trades under (agents not named trade
under the default) and each agent's strategy type (its registry name), which the guard chain
checks against the mandate's allowlist. The coordinator arbitrates each mandate's signals on
their own, so two mandates never net each other's votes, and sizes and judges each decision
under its own mandate. Pure: no I/O, no clock.

A mandate's exposure is what its budget guards count: the positions in the symbols it lists
(at the mark) plus the resting orders in them. Positions are held per account, not per
mandate, so two mandates that list the same symbol each count the whole position: the fail-safe
direction. When the mandate lists every symbol the account holds or works orders in, this is
exactly the account's gross exposure plus its resting notional.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType

from aiswarm.agents import Agent, strategy_type_of
from aiswarm.orchestration.arbitration import ArbitrationDecision
from aiswarm.risk import ActivityView, MarketView
from aiswarm.types import AgentId, Mandate, MandateId, PortfolioSnapshot, Signal, Symbol

__all__ = ["MandateRouting", "mandate_exposure_usd"]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class MandateRouting:
    """Which mandate and strategy type each agent has; see the module docstring."""

    default: MandateId | None = None
    mandate_of: Mapping[AgentId, MandateId] = field(default_factory=lambda: MappingProxyType({}))
    strategy_of: Mapping[AgentId, str] = field(default_factory=lambda: MappingProxyType({}))

    def mandate_for(self, agent_id: AgentId, fallback: MandateId) -> MandateId:
        """Return the mandate ``agent_id`` trades under (``fallback`` when none is set)."""
        return self.mandate_of.get(agent_id, self.default or fallback)

    def group(
        self, signals: Sequence[Signal], fallback: MandateId
    ) -> dict[MandateId, list[Signal]]:
        """Split ``signals`` by their agent's mandate, mandates in order of first appearance."""
        groups: dict[MandateId, list[Signal]] = {}
        for signal in signals:
            groups.setdefault(self.mandate_for(signal.agent_id, fallback), []).append(signal)
        return groups

    def with_types_of(self, agents: Iterable[Agent]) -> MandateRouting:
        """Return this routing with the strategy type of each built-in agent it lacks."""
        known = {a.agent_id: t for a in agents if (t := strategy_type_of(a)) is not None}
        return replace(self, strategy_of=MappingProxyType({**known, **self.strategy_of}))

    def strategy_types(
        self, decision: ArbitrationDecision | None, mandate_id: MandateId, fallback: MandateId
    ) -> frozenset[str] | None:
        """Return the strategy types an order comes from: the agents that voted with weight.

        Without a decision (a slice or re-quote the order schedule places later), the types of
        every agent trading under ``mandate_id`` (``fallback`` is the default when the routing
        names none). None when no agent's type is known.
        """
        if decision is not None:
            agents: Iterable[AgentId] = (c.agent_id for c in decision.contributions if c.weight)
        else:
            agents = (
                agent
                for agent in self.strategy_of
                if self.mandate_for(agent, fallback) == mandate_id
            )
        types = frozenset(self.strategy_of[agent] for agent in agents if agent in self.strategy_of)
        return types or None


def mandate_exposure_usd(
    mandate: Mandate,
    portfolio: PortfolioSnapshot,
    markets: Mapping[Symbol, MarketView],
    activity: ActivityView,
) -> Decimal | None:
    """Return the mandate's exposure (USD at the mark); None when a position has no mark."""
    symbols = mandate.symbols
    resting = activity.open_order_notional_total_usd
    outside = [position for position in portfolio.positions if position.symbol not in symbols]
    resting_inside = sum((activity.open_order_notional_usd(s) for s in symbols), _ZERO)
    if not outside and resting_inside == resting:
        return portfolio.gross_exposure + resting
    held = _ZERO
    for position in portfolio.positions:
        if position.symbol not in symbols or not position.quantity:
            continue
        market = markets.get(position.symbol)
        mark = None if market is None else market.mark
        if mark is None:
            return None
        held += abs(position.quantity) * mark
    return held + resting_inside
