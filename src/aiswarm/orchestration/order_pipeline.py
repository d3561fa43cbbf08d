"""Take one order intent through the safety spine: spec, guard chain, signed approval, OMS.

This is the only path from an intent to a venue. The client order id is derived from the
intent (every field and its decision time), so the same decision made again after a restart
names the same order, and the OMS's idempotency makes sure it is placed once. Every risk
decision, approved or refused, is recorded before anything acts on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from hashlib import sha256

from aiswarm.clock import to_ns
from aiswarm.execution import EventJournal, OrderManager, SubmitResult
from aiswarm.risk import MarketView, Refused, RiskEngine, decision_payload
from aiswarm.types import (
    ClientOrderId,
    EventType,
    Instrument,
    Mandate,
    OrderIntent,
    OrderSpec,
    PortfolioSnapshot,
    Side,
    Symbol,
    VenueId,
)

__all__ = ["OrderPipeline", "Placement", "client_order_id_for", "working_quantities"]


def working_quantities(
    oms: OrderManager, symbol: Symbol, venue: VenueId
) -> tuple[Decimal, Decimal]:
    """Return ``(net, sells)`` still working in ``symbol`` at ``venue``, in base units.

    ``net`` is signed (buys positive); ``sells`` the unsigned remaining quantity of the working
    sells. The allocator sizes from both and the spot-holding guard judges with ``sells``, so
    both read them here, the one way: an exit the allocator proposes is one the guard passes.
    """
    net = sells = Decimal(0)
    for order in oms.open_orders(symbol):
        if order.spec.venue != venue:
            continue
        remaining = order.remaining_quantity
        if order.spec.side is Side.SELL:
            sells += remaining
            net -= remaining
        else:
            net += remaining
    return net, sells


_log = logging.getLogger(__name__)


def client_order_id_for(intent: OrderIntent) -> ClientOrderId:
    """Return the deterministic client order id of ``intent`` ("ais-" and 24 hex digits)."""
    text = "|".join(
        (
            intent.mandate_id,
            intent.account,
            intent.venue,
            intent.symbol,
            intent.side.value,
            intent.order_type.value,
            str(intent.quantity.normalize()),
            "" if intent.limit_price is None else str(intent.limit_price.normalize()),
            "" if intent.stop_price is None else str(intent.stop_price.normalize()),
            intent.time_in_force.value,
            str(intent.reduce_only),
            str(intent.post_only),
            str(to_ns(intent.ts_event)),
        )
    )
    return ClientOrderId("ais-" + sha256(text.encode("utf-8")).hexdigest()[:24])


@dataclass(frozen=True, slots=True)
class Placement:
    """What became of an intent: refused by risk, or the OMS's answer."""

    spec: OrderSpec
    refused: Refused | None
    submitted: SubmitResult | None

    @property
    def is_live(self) -> bool:
        """Return True when the OMS accepted the order (or already held it)."""
        return self.submitted is not None and self.submitted.accepted


class OrderPipeline:
    """Intent -> spec -> guard chain and approval -> recorded decision -> OMS."""

    def __init__(self, engine: RiskEngine, oms: OrderManager, journal: EventJournal) -> None:
        self._engine = engine
        self._oms = oms
        self._journal = journal

    async def place(
        self,
        intent: OrderIntent,
        *,
        instrument: Instrument | None,
        portfolio: PortfolioSnapshot | None,
        mandate: Mandate | None,
        market: MarketView | None,
        mandate_exposure_usd: Decimal | None,
        strategy_types: frozenset[str] | None = None,
    ) -> Placement:
        """Judge ``intent`` and, if approved, hand it to the OMS; see the module docstring.

        ``strategy_types`` names the strategy types (agent registry names) the order comes
        from, for the mandate's strategy allowlist; what the mandate sent today is read from
        the OMS's activity at the intent's decision time.
        """
        spec = OrderSpec.from_intent(
            intent, client_order_id_for(intent), created_at=intent.ts_event
        )
        held = self._oms.orders.get(spec.client_order_id)
        if held is not None:
            # Decided and placed before (e.g. before a restart): never place it twice.
            return Placement(
                spec, None, SubmitResult(spec.client_order_id, True, held, duplicate=True)
            )
        position = None
        if portfolio is not None:
            found = portfolio.position(spec.symbol, spec.venue)
            position = found.quantity if found is not None else Decimal(0)
        net, selling = working_quantities(self._oms, spec.symbol, spec.venue)
        decision = self._engine.evaluate(
            spec,
            instrument=instrument,
            portfolio=portfolio,
            mandate=mandate,
            market=market,
            activity=self._oms.activity,
            mandate_exposure_usd=mandate_exposure_usd,
            position_quantity=position,
            working_sell_quantity=selling,
            working_buy_quantity=net + selling,
            mandate_day_notional_usd=self._oms.activity.mandate_day_notional_usd(
                spec.mandate_id, to_ns(intent.ts_event)
            ),
            strategy_types=strategy_types,
        )
        await self._journal.append(EventType.RISK_DECISION, decision_payload(decision))
        if isinstance(decision, Refused):
            _log.info(
                "order refused by risk",
                extra={
                    "client_order_id": spec.client_order_id,
                    "symbol": spec.symbol,
                    "reasons": [refusal.code.value for refusal in decision.refusals],
                },
            )
            return Placement(spec, decision, None)
        mark = market.mark if market is not None else None
        return Placement(spec, None, await self._oms.submit(decision, mark=mark))
