"""Build guard-chain inputs with safe defaults: a context in which every guard passes.

The default is the benchmark's order: BUY 0.02 BTC at 50,000 (1,000 USDT) on a flat
100,000 USDT account, an hour into 2024-01-01 UTC, with fresh market data and deep liquidity.
Override only what a test is about.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiswarm.clock import to_ns
from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.views import ActivitySnapshot, LiquiditySource, MarketView
from aiswarm.types import (
    InstrumentKind,
    OrderSpec,
    OrderType,
    PortfolioSnapshot,
    Side,
    TimeInForce,
    TradingState,
)
from kit import builders
from kit.builders import ACCOUNT, SYMBOL, T0, VENUE, mandate, order_spec, position, snapshot

SECOND_NS = 1_000_000_000
NOW_NS = to_ns(T0) + 3_600 * SECOND_NS
MARK = Decimal("50000")


def market_view(**overrides: Any) -> MarketView:
    """Return BTC/USDT marked at 50,000, updated 0.1 s ago, 2,000,000 USDT of book depth."""
    fields: dict[str, Any] = {
        "venue": VENUE,
        "symbol": SYMBOL,
        "mark": MARK,
        "best_bid": Decimal("49999.99"),
        "best_ask": Decimal("50000.01"),
        "updated_ns": NOW_NS - SECOND_NS // 10,
        "liquidity_usd": Decimal("2000000"),
        "liquidity_source": LiquiditySource.BOOK_DEPTH,
    }
    return MarketView(**(fields | overrides))


def account(
    held: Decimal | None = None, mark: Decimal = MARK, **overrides: Any
) -> PortfolioSnapshot:
    """Return a 100,000 USDT account at its peak, holding ``held`` BTC (signed) if given.

    Gross and net exposure are set from the position at ``mark`` unless overridden.
    """
    fields: dict[str, Any] = {
        "cash": Decimal("100000"),
        "nav": Decimal("100000"),
        "peak_nav": Decimal("100000"),
    }
    if held is not None and held != 0:
        fields["positions"] = (
            position(
                account=ACCOUNT,
                venue=VENUE,
                symbol=SYMBOL,
                kind=InstrumentKind.SPOT,
                quantity=held,
                average_entry_price=mark,
            ),
        )
        fields["gross_exposure"] = abs(held) * mark
        fields["net_exposure"] = held * mark
    return snapshot(**(fields | overrides))


def guard_context(spec: OrderSpec | None = None, **overrides: Any) -> GuardContext:
    """Return the context for ``spec`` (default: the 1,000 USDT buy) where every guard passes.

    Keyword overrides go to ``GuardContext.build`` (``portfolio=``, ``limits=``, ``market=``,
    ``activity=``, ``trading_state=``, ``now_ns=`` ...).
    """
    fields: dict[str, Any] = {
        "instrument": builders.instrument(),
        "portfolio": account(),
        "mandate": mandate(max_notional_usd=Decimal("50000"), max_position_usd=Decimal("25000")),
        "market": market_view(),
        "activity": ActivitySnapshot(),
        "limits": RiskLimits(),
        "trading_state": TradingState.ACTIVE,
        "kill_switch_latched": False,
        "now_ns": NOW_NS,
        "mandate_exposure_usd": Decimal("0"),
    }
    order = spec if spec is not None else order_spec(quantity=Decimal("0.02"))
    return GuardContext.build(order, **(fields | overrides))


def flattening_context(quantity: str = "0.02", **overrides: Any) -> GuardContext:
    """Return the context of the kill switch's own flatten: a reduce-only sell of
    ``quantity`` BTC from 0.05 held, the switch latched and HALTED, ``flatten_on_trip`` set.
    """
    fields: dict[str, Any] = {
        "portfolio": account(held=Decimal("0.05")),
        "limits": RiskLimits(flatten_on_trip=True),
        "trading_state": TradingState.HALTED,
        "kill_switch_latched": True,
    }
    spec = order_spec(
        side=Side.SELL,
        order_type=OrderType.MARKET,
        quantity=Decimal(quantity),
        reduce_only=True,
        time_in_force=TimeInForce.IOC,
    )
    return guard_context(spec, **(fields | overrides))


def sell(quantity: str, **overrides: Any) -> OrderSpec:
    """Return a limit sell of ``quantity`` BTC at 50,000."""
    return order_spec(side=Side.SELL, quantity=Decimal(quantity), **overrides)


def buy(quantity: str, **overrides: Any) -> OrderSpec:
    """Return a limit buy of ``quantity`` BTC at 50,000."""
    return order_spec(quantity=Decimal(quantity), **overrides)
