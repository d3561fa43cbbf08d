"""Build domain objects with safe, valid defaults; override only what a test is about.

Every builder takes keyword overrides for any model field. Defaults describe one BTC/USDT spot
market at a fixed instant (``T0``), so tests never read the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiswarm.types import (
    AccountId,
    AgentId,
    ClientOrderId,
    Direction,
    Fill,
    Instrument,
    InstrumentKind,
    Mandate,
    MandateId,
    MandateStatus,
    OrderIntent,
    OrderSpec,
    OrderType,
    PortfolioSnapshot,
    Position,
    Side,
    Signal,
    Symbol,
    TimeInForce,
    TradeId,
    VenueId,
    VenueOrderId,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
VENUE = VenueId("binance")
ACCOUNT = AccountId("acct-1")
SYMBOL = Symbol("BTC/USDT")
MANDATE = MandateId("mandate-1")


def instrument(**overrides: Any) -> Instrument:
    """Return BTC/USDT spot: tick 0.01, step 0.00001, min quantity 0.0001, min notional 5."""
    fields: dict[str, Any] = {
        "venue": VENUE,
        "symbol": SYMBOL,
        "base": "BTC",
        "quote": "USDT",
        "kind": InstrumentKind.SPOT,
        "tick_size": Decimal("0.01"),
        "step_size": Decimal("0.00001"),
        "min_quantity": Decimal("0.0001"),
        "min_notional": Decimal("5"),
    }
    return Instrument(**(fields | overrides))


def _order_fields(overrides: dict[str, Any]) -> dict[str, Any]:
    """Return order fields for a limit buy, with prices that fit an overridden order type."""
    order_type = OrderType(overrides.get("order_type", OrderType.LIMIT))
    fields: dict[str, Any] = {
        "mandate_id": MANDATE,
        "account": ACCOUNT,
        "venue": VENUE,
        "symbol": SYMBOL,
        "side": Side.BUY,
        "order_type": order_type,
        "quantity": Decimal("0.01"),
        "limit_price": Decimal("50000") if order_type.needs_limit_price else None,
        "stop_price": Decimal("49000") if order_type.needs_stop_price else None,
        "time_in_force": TimeInForce.GTC,
        "reduce_only": False,
        "post_only": False,
    }
    return fields | overrides


def order_intent(**overrides: Any) -> OrderIntent:
    """Return a limit buy of 0.01 BTC at 50000 as the allocator would propose it."""
    fields = {"reason": "test intent", "ts_event": T0} | overrides
    return OrderIntent(**_order_fields(fields))


def order_spec(**overrides: Any) -> OrderSpec:
    """Return a limit buy of 0.01 BTC at 50000; STOP_* types get a stop price of 49000."""
    fields = {"client_order_id": ClientOrderId("cid-1"), "created_at": T0} | overrides
    return OrderSpec(**_order_fields(fields))


def fill(**overrides: Any) -> Fill:
    """Return a taker buy of 0.01 BTC at 50000 with a 0.5 USDT fee."""
    fields: dict[str, Any] = {
        "venue": VENUE,
        "account": ACCOUNT,
        "symbol": SYMBOL,
        "client_order_id": ClientOrderId("cid-1"),
        "venue_order_id": VenueOrderId("v-1"),
        "trade_id": TradeId("t-1"),
        "side": Side.BUY,
        "quantity": Decimal("0.01"),
        "price": Decimal("50000"),
        "fee": Decimal("0.5"),
        "fee_currency": "USDT",
        "is_maker": False,
        "ts_event": T0,
        "ts_init": T0,
    }
    return Fill(**(fields | overrides))


def signal(**overrides: Any) -> Signal:
    """Return a moderately confident long signal on BTC/USDT with a one-hour horizon."""
    fields: dict[str, Any] = {
        "agent_id": AgentId("agent-1"),
        "symbol": SYMBOL,
        "direction": Direction.LONG,
        "confidence": 0.6,
        "expected_return": 0.01,
        "liquidity_score": 0.9,
        "horizon_s": 3600,
        "ts_event": T0,
        "evidence": {},
    }
    return Signal(**(fields | overrides))


def position(**overrides: Any) -> Position:
    """Return a long of 0.01 BTC entered at 50000."""
    fields: dict[str, Any] = {
        "account": ACCOUNT,
        "venue": VENUE,
        "symbol": SYMBOL,
        "kind": InstrumentKind.SPOT,
        "quantity": Decimal("0.01"),
        "average_entry_price": Decimal("50000"),
    }
    return Position(**(fields | overrides))


def snapshot(**overrides: Any) -> PortfolioSnapshot:
    """Return a flat 10,000 USDT account at its peak."""
    fields: dict[str, Any] = {
        "ts": T0,
        "account": ACCOUNT,
        "cash": Decimal("10000"),
        "positions": (),
        "nav": Decimal("10000"),
        "peak_nav": Decimal("10000"),
        "gross_exposure": Decimal("0"),
        "net_exposure": Decimal("0"),
        "daily_pnl": Decimal("0"),
    }
    return PortfolioSnapshot(**(fields | overrides))


def mandate(**overrides: Any) -> Mandate:
    """Return an active BTC/USDT mandate at binance, valid for 2024, capped at 10,000 USD."""
    fields: dict[str, Any] = {
        "mandate_id": MANDATE,
        "owner": "owner-1",
        "description": "test mandate",
        "venues": (VENUE,),
        "symbols": (SYMBOL,),
        "max_notional_usd": Decimal("10000"),
        "max_position_usd": Decimal("5000"),
        "allowed_sides": (Side.BUY, Side.SELL),
        "strategy_template": "direct_buy",
        "params": {},
        "valid_from": T0,
        "valid_until": datetime(2025, 1, 1, tzinfo=UTC),
        "status": MandateStatus.ACTIVE,
    }
    return Mandate(**(fields | overrides))
