"""Judge an order with the whole guard chain and, only if nothing refuses it, sign it.

The engine is the only holder of the approval signer, so it is the only code that can produce an
``Approved[OrderSpec]``. It reads the trading state and latch from the kill switch, the time from
the injected clock, and everything else from what the caller passes in (portfolio snapshot,
market view, activity, mandate): it does no I/O and keeps no state of its own. Recording the
decision is the caller's job and comes first: ``decision_payload`` gives the event to append
before an approval is handed to the OMS (write ahead).

Hot path: ``GuardScreen.passes`` first answers, in one pass over the raw inputs, whether every
guard would pass (exactly, see ``guard_screen``); only when it says no is the ``GuardContext``
built and the full chain run, so each refusal and its numbers come from the guard that owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiswarm.clock import Clock
from aiswarm.risk.approval import ApprovalSigner, Approved
from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.guard_screen import GuardScreen
from aiswarm.risk.guards import run_guards
from aiswarm.risk.kill_switch import KillSwitch
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Refusal
from aiswarm.risk.views import ActivityView, MarketView
from aiswarm.types import Instrument, Mandate, OrderSpec, PortfolioSnapshot

__all__ = ["Decision", "Refused", "RiskEngine", "decision_payload"]


@dataclass(frozen=True, slots=True)
class Refused:
    """An order the guard chain refused, with every reason (never empty)."""

    item: OrderSpec
    refusals: tuple[Refusal, ...]

    def __str__(self) -> str:
        return "; ".join(str(refusal) for refusal in self.refusals)


Decision = Approved[OrderSpec] | Refused


class RiskEngine:
    """Run the guard chain and sign what passes; see the module docstring."""

    def __init__(
        self, signer: ApprovalSigner, limits: RiskLimits, kill_switch: KillSwitch, clock: Clock
    ) -> None:
        self._signer = signer
        self._limits = limits
        self._kill_switch = kill_switch
        self._clock = clock
        self._screen = GuardScreen(limits)

    def use_signer(self, signer: ApprovalSigner) -> None:
        """Sign every later approval with ``signer`` (an approval key rotation)."""
        self._signer = signer

    @property
    def limits(self) -> RiskLimits:
        """Return the limits every order is judged against."""
        return self._limits

    def evaluate(
        self,
        spec: OrderSpec,
        *,
        instrument: Instrument | None,
        portfolio: PortfolioSnapshot | None,
        mandate: Mandate | None,
        market: MarketView | None,
        activity: ActivityView,
        mandate_exposure_usd: Decimal | None,
        position_quantity: Decimal | None = None,
        working_sell_quantity: Decimal = Decimal(0),
        mandate_day_notional_usd: Decimal | None = None,
        strategy_types: frozenset[str] | None = None,
    ) -> Decision:
        """Return ``Approved`` (signed now, bound to every field) or ``Refused`` with reasons.

        A missing input (None) is refused by the guard that owns it: fail closed.
        ``working_sell_quantity`` is what the account's working sells in the order's market
        have still to sell (base units; see ``GuardContext.build``), as are
        ``mandate_day_notional_usd`` and ``strategy_types``.
        """
        now_ns = self._clock.now_ns()
        switch = self._kill_switch
        trading_state = switch.state
        latched = switch.is_latched()
        if self._screen.passes(
            spec,
            instrument,
            portfolio,
            mandate,
            market,
            activity,
            trading_state,
            latched,
            now_ns,
            mandate_exposure_usd,
            position_quantity,
            working_sell_quantity,
            mandate_day_notional_usd,
            strategy_types,
        ):
            return self._signer.approve(spec, now_ns)
        context = GuardContext.build(
            spec,
            instrument=instrument,
            portfolio=portfolio,
            mandate=mandate,
            market=market,
            activity=activity,
            limits=self._limits,
            trading_state=trading_state,
            kill_switch_latched=latched,
            now_ns=now_ns,
            mandate_exposure_usd=mandate_exposure_usd,
            position_quantity=position_quantity,
            working_sell_quantity=working_sell_quantity,
            mandate_day_notional_usd=mandate_day_notional_usd,
            strategy_types=strategy_types,
        )
        refusals = run_guards(context)
        if refusals:
            return Refused(spec, tuple(refusals))
        return self._signer.approve(spec, now_ns)


def decision_payload(decision: Decision) -> dict[str, Any]:
    """Return the `risk.decision` event for ``decision``: the order, the verdict, the reasons."""
    if isinstance(decision, Refused):
        return {
            "approved": False,
            "spec": decision.item.model_dump(mode="json"),
            "refusals": [
                {"code": refusal.code.value, "detail": refusal.detail}
                for refusal in decision.refusals
            ],
        }
    return {
        "approved": True,
        "spec": decision.item.model_dump(mode="json"),
        "approval": decision.approval.to_dict(),
    }
