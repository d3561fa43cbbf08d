"""A trading desk: one account's bars, venue, safety spine and coordinator, and its context.

Backtest and paper mode both trade through a desk, so they build the coordinator's trading
context the same way: each symbol is marked at its latest closed bar's exact close, the
portfolio snapshot is taken at the clock's time, and each symbol's market view carries the
measured liquidity (traded notional over the last ``liquidity_window_bars`` bars, from the data
itself). Only when and how often a cycle runs differs between the modes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal

import numpy as np

from aiswarm.agents import Agent
from aiswarm.clock import Clock
from aiswarm.execution import Venue
from aiswarm.market.bar_arrays import BarArrays
from aiswarm.orchestration import (
    AgentWeights,
    ArbitrationConfig,
    Coordinator,
    FlattenInputs,
    TradingContext,
)
from aiswarm.portfolio import AllocatorConfig
from aiswarm.risk import LiquiditySource, MarketView, RiskLimits
from aiswarm.runtime.spine import Spine
from aiswarm.types import AccountId, BarSeries, Instrument, Mandate, Position, Symbol

__all__ = ["TradingDesk", "traded_notional"]


def traded_notional(bars: BarArrays, window: int) -> list[float]:
    """Return each bar's traded notional over the last ``window`` bars (quote units)."""
    notional = np.cumsum(bars.close * bars.volume)
    earlier = np.zeros(len(notional))
    if window < len(notional):
        earlier[window:] = notional[:-window]
    sums: list[float] = (notional - earlier).tolist()
    return sums


class TradingDesk:
    """Everything one account needs to run cycles over a set of symbols' bars."""

    def __init__(
        self,
        *,
        feeds: Mapping[Symbol, BarArrays],
        instruments: Mapping[Symbol, Instrument],
        venue: Venue,
        spine: Spine,
        agents: list[Agent],
        arbitration: ArbitrationConfig,
        allocator: AllocatorConfig,
        limits: RiskLimits,
        mandate: Mandate,
        clock: Clock,
        account: AccountId,
        liquidity_window_bars: int = 60,
    ) -> None:
        self.feeds = dict(feeds)
        self.instruments = dict(instruments)
        self.venue = venue
        self.spine = spine
        self.limits = limits
        self.mandate = mandate
        self.clock = clock
        self.series = {
            symbol: BarSeries(bars.ts_ns, bars.open, bars.high, bars.low, bars.close, bars.volume)
            for symbol, bars in self.feeds.items()
        }
        self._liquidity = {
            symbol: traded_notional(bars, liquidity_window_bars)
            for symbol, bars in self.feeds.items()
        }
        self.coordinator = Coordinator(
            agents=agents,
            weights=AgentWeights(arbitration),
            arbitration=arbitration,
            allocator=allocator,
            pipeline=spine.pipeline,
            oms=spine.oms,
            journal=spine.journal,
            clock=clock,
            account=account,
        )

    def market_view(self, symbol: Symbol, index: int) -> tuple[MarketView, Decimal]:
        """Return the market view at bar ``index`` (closed) and that bar's exact close.

        The view is dated at the bar's close, so the stale-data guard measures how old the
        price really is on the session's clock (an accelerated replay ages data faster).
        """
        bars = self.feeds[symbol]
        close = bars.bar_at(index).close
        liquidity = self._liquidity[symbol][index]
        view = MarketView(
            symbol=symbol,
            mark=close,
            best_bid=None,
            best_ask=None,
            # The data is as fresh as the bar's close, not as the moment we looked at it.
            updated_ns=int(bars.ts_ns[index]) + bars.interval_s * 1_000_000_000,
            liquidity_usd=Decimal(repr(liquidity)) if math.isfinite(liquidity) else None,
            liquidity_source=LiquiditySource.TRADED_VOLUME,
        )
        return view, close

    def flatten_inputs(self, context: TradingContext) -> Callable[[Position], FlattenInputs]:
        """Return what the guard chain needs to judge each closing order after a trip."""

        def inputs(position: Position) -> FlattenInputs:
            return FlattenInputs(
                instrument=self.instruments.get(position.symbol),
                mandate=self.mandate,
                market=context.markets.get(position.symbol),
                mandate_exposure_usd=context.portfolio.gross_exposure
                + self.spine.oms.activity.open_order_notional_total_usd,
            )

        return inputs

    def context(self, ends: Mapping[Symbol, int]) -> TradingContext:
        """Mark every symbol at its latest closed bar and return the cycle's context.

        ``ends[symbol]`` is how many of its bars have closed (at least one for each listed).
        """
        portfolio = self.spine.portfolio
        markets: dict[Symbol, MarketView] = {}
        for symbol, end in ends.items():
            if end <= 0:
                continue
            view, close = self.market_view(symbol, end - 1)
            markets[symbol] = view
            portfolio.mark(self.feeds[symbol].venue, symbol, close)
        snapshot = portfolio.snapshot(self.clock.now())
        return TradingContext(
            portfolio=snapshot,
            markets=markets,
            instruments=self.instruments,
            mandate=self.mandate,
            limit_position_notional_usd=self.limits.max_position_notional_usd,
        )
