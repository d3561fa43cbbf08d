"""Paper and shadow trading: replay shipped bars on the injected clock through the full pipeline.

Each cycle, at the clock's time ``now``, the session shows the venue every bar that has closed
since the last cycle (in time order, so resting orders match as they would have), applies the
venue's reports, then runs one coordinator cycle over the frame of closed bars, and finally lets
the kill switch evaluate the marked portfolio (a trip cancels resting orders and is recorded
before it takes effect). Paper mode matches on a ``PaperVenue``; shadow mode sends the same
orders to a ``ShadowVenue``, which records them and never fills.

A paper session is a fresh simulated account: the journal is replayed only from this session's
``session.started`` record, so an earlier session's positions do not leak into a new replay of
the same history. A ``CycleCounts`` with ``finished`` set means every bar has been replayed.

Decisions within one cycle share one instant, as in a backtest: the close of the newest bar the
cycle sees. The session keeps a decision clock that it moves there when a cycle begins. Without
it an accelerated replay would age its own data while it thinks or waits (at speed 300, a 50 ms
cycle is 15 replayed seconds, past the stale-data limit) and refuse orders for a reason that is
not real; a symbol whose own data lags (its file ended, or has a gap) is still refused as stale.
"""

from __future__ import annotations

import bisect
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from aiswarm.agents import Agent, build_agents, parse_agents_config
from aiswarm.clock import Clock, SimulatedClock, from_ns
from aiswarm.config import AppConfig
from aiswarm.errors import ConfigError
from aiswarm.execution import Venue
from aiswarm.market.bar_arrays import BarArrays, load_bar_arrays
from aiswarm.market.feed import FeedId, FeedSchema
from aiswarm.market.feed_registry import FeedRegistry
from aiswarm.market.replay import ReplayFeed
from aiswarm.risk import KillTrigger
from aiswarm.runtime.desk import TradingDesk
from aiswarm.runtime.loop import CycleCounts
from aiswarm.runtime.spine import BASELINE, baseline_payload, open_spine
from aiswarm.store import EventStore
from aiswarm.types import (
    AccountId,
    Instrument,
    InstrumentKind,
    Mandate,
    MandateId,
    MandateStatus,
    MarketFrame,
    Mode,
    Side,
    Symbol,
    SymbolFrame,
    VenueId,
)
from aiswarm.venues import PaperVenue, ShadowVenue
from aiswarm.venues.fill_models import FeeModel

__all__ = [
    "SESSION_STARTED",
    "PaperSession",
    "feed_registry",
    "first_close_ns",
    "instrument_for",
    "load_agents",
    "load_feeds",
]

_log = logging.getLogger(__name__)

SESSION_STARTED = "session.started"
_NS = 1_000_000_000


def _close_times(bars: BarArrays) -> list[int]:
    times: list[int] = (bars.ts_ns + bars.interval_s * _NS).tolist()
    return times


def first_close_ns(feeds: dict[Symbol, BarArrays]) -> int:
    """Return when the earliest bar closes (epoch ns): where a replay clock starts."""
    return min(_close_times(bars)[0] for bars in feeds.values())


def feed_registry(feeds: dict[Symbol, BarArrays], config: AppConfig, clock: Clock) -> FeedRegistry:
    """Register a replay feed for every configured file, for operators to list and read."""
    registry = FeedRegistry()
    for feed in config.paper.feeds:
        bars = feeds[Symbol(feed.symbol)]
        feed_id = FeedId(bars.venue, bars.symbol, FeedSchema.BARS, bars.interval_s)
        path = feed.file if feed.file.is_absolute() else config.data_dir / feed.file
        registry.register(ReplayFeed.from_files(feed_id, path, clock))
    return registry


def load_agents(config: AppConfig) -> list[Agent]:
    """Build the agents ``trading.agents_file`` lists (an unknown agent or parameter is named)."""
    path = config.trading.agents_file
    return build_agents(parse_agents_config(_read_yaml(path), str(path)), str(path))


def load_feeds(config: AppConfig) -> dict[Symbol, BarArrays]:
    """Load every configured feed file (relative paths are under ``data_dir``)."""
    feeds: dict[Symbol, BarArrays] = {}
    for feed in config.paper.feeds:
        path = feed.file if feed.file.is_absolute() else config.data_dir / feed.file
        if not path.exists():
            raise ConfigError(
                f"paper feed file {path} does not exist; fix paper.feeds in the config or "
                f"data_dir ({config.data_dir})"
            )
        symbol = Symbol(feed.symbol)
        if symbol in feeds:
            raise ConfigError(f"paper.feeds lists {symbol} twice; keep one file per symbol")
        feeds[symbol] = load_bar_arrays(path, VenueId(feed.venue), symbol)
    return feeds


def instrument_for(bars: BarArrays) -> Instrument:
    """Return a spot instrument whose tick and step are the data's own recorded precision."""
    base, _, quote = bars.symbol.partition("/")
    step = Decimal(1).scaleb(-max(bars.volume_decimals, 6))
    return Instrument(
        venue=bars.venue,
        symbol=bars.symbol,
        base=base,
        quote=quote or "USD",
        kind=InstrumentKind.SPOT,
        tick_size=Decimal(1).scaleb(-bars.price_decimals),
        step_size=step,
        min_quantity=step,
        min_notional=Decimal(1),
    )


def _mandate(config: AppConfig, feeds: dict[Symbol, BarArrays], account: str) -> Mandate:
    first = min(int(bars.ts_ns[0]) for bars in feeds.values())
    last = max(int(bars.ts_ns[-1]) for bars in feeds.values())
    cash = config.paper.starting_cash
    return Mandate(
        mandate_id=MandateId(f"{account}-mandate"),
        owner=account,
        description="paper session over the configured feeds",
        venues=tuple(sorted({bars.venue for bars in feeds.values()})),
        symbols=tuple(feeds),
        max_notional_usd=cash,
        max_position_usd=min(cash, config.trading.risk.max_position_notional_usd),
        allowed_sides=(Side.BUY, Side.SELL),
        strategy_template="agents",
        params={},
        valid_from=from_ns(first),
        valid_until=from_ns(last + 7 * 86_400 * _NS),
        status=MandateStatus.ACTIVE,
    )


class PaperSession:
    """One paper or shadow session over the configured feeds; see the module docstring."""

    def __init__(
        self,
        desk: TradingDesk,
        feeds: dict[Symbol, BarArrays],
        agent_timeout_s: float | None,
        replay_clock: Clock,
        decision_clock: SimulatedClock,
    ) -> None:
        self.desk = desk
        self._replay_clock = replay_clock
        self._decision_clock = decision_clock
        self._feeds = feeds
        self._close_ns: dict[Symbol, list[int]] = {
            symbol: _close_times(bars) for symbol, bars in feeds.items()
        }
        self._fed = dict.fromkeys(feeds, 0)
        self._timeout = agent_timeout_s
        self.cycles = 0
        self.orders = 0
        self.signals = 0
        self.starting_cash = Decimal(0)
        self._recorded_baselines: tuple[object, ...] = (None, None, None)

    @classmethod
    async def open(
        cls,
        config: AppConfig,
        store: EventStore,
        clock: Clock,
        approval_secret: bytes,
        feeds: dict[Symbol, BarArrays] | None = None,
        agent_timeout_s: float | None = None,
    ) -> PaperSession:
        """Record a new session, wire the desk over ``store``, fund it and enable trading."""
        feeds = feeds if feeds is not None else load_feeds(config)
        replay_clock = clock
        clock = SimulatedClock(replay_clock.now())
        account = f"{config.mode.value}-{clock.now_ns()}"
        started = await store.append(
            SESSION_STARTED,
            {"mode": config.mode.value, "account": account, "symbols": sorted(feeds)},
            account=account,
        )
        instruments = {symbol: instrument_for(bars) for symbol, bars in feeds.items()}
        venues = {bars.venue for bars in feeds.values()}
        if len(venues) != 1:
            raise ConfigError(
                f"paper.feeds span venues {sorted(venues)}; use one venue per session"
            )
        venue_id = venues.pop()
        venue: Venue
        if config.mode is Mode.SHADOW:
            venue = ShadowVenue(venue_id, clock)
        else:
            fee = config.paper.fee_frac
            venue = PaperVenue(
                venue_id,
                instruments,
                clock,
                fee_model=FeeModel(maker_fee_frac=fee, taker_fee_frac=fee),
            )
        spine = await open_spine(
            store=store,
            venue=venue,
            clock=clock,
            account=AccountId(account),
            instruments=instruments,
            approval_secret=approval_secret,
            limits=config.trading.risk,
            operators=config.trading.operators,
            since_seq=started.seq,
            order_ttl_s=config.trading.order_ttl_s,
            algorithm=config.trading.approval_algorithm,
        )
        agents = load_agents(config)
        desk = TradingDesk(
            feeds=feeds,
            instruments=instruments,
            venue=venue,
            spine=spine,
            agents=agents,
            arbitration=config.trading.arbitration,
            allocator=config.trading.allocator,
            limits=config.trading.risk,
            mandate=_mandate(config, feeds, account),
            clock=clock,
            account=AccountId(account),
        )
        session = cls(desk, feeds, agent_timeout_s, replay_clock, clock)
        await spine.deposit(config.paper.starting_cash)
        session.starting_cash = config.paper.starting_cash
        if config.trading.enable_at_start:
            await spine.kill_switch.command(KillTrigger.ENABLE, "config enables trading at start")
        return session

    async def cycle(self, number: int) -> CycleCounts:
        """Run one cycle at the clock's time; see the module docstring."""
        desk = self.desk
        replay_now = self._replay_clock.now_ns()
        ends = {
            symbol: bisect.bisect_right(times, replay_now)
            for symbol, times in self._close_ns.items()
        }
        closes = [self._close_ns[symbol][end - 1] for symbol, end in ends.items() if end > 0]
        now = max([self._decision_clock.now_ns(), *closes])
        self._decision_clock.set_ns(now)
        self._show_venue(ends)
        await desk.spine.oms.process_reports()
        live = {symbol: end for symbol, end in ends.items() if end > 0}
        self.cycles += 1
        if not live:
            return CycleCounts(len(desk.coordinator.agents), 0, 0)
        frame = MarketFrame(
            now,
            {
                symbol: SymbolFrame(
                    self._feeds[symbol].venue,
                    symbol,
                    self._feeds[symbol].interval_s,
                    desk.series[symbol],
                    end,
                )
                for symbol, end in live.items()
            },
        )
        outcome = await desk.coordinator.cycle(
            frame, lambda: desk.context(live), agent_timeout_s=self._timeout
        )
        context = desk.context(live)
        await self._checkpoint_baselines()
        await desk.spine.kill_switch.check(context.portfolio, desk.flatten_inputs(context))
        self.signals += len(outcome.signals)
        self.orders += outcome.orders_placed
        finished = all(end >= len(self._feeds[symbol]) for symbol, end in ends.items())
        return CycleCounts(
            agents=len(desk.coordinator.agents),
            signals=len(outcome.signals),
            orders=outcome.orders_placed,
            finished=finished,
            nav=context.portfolio.nav,
            pnl=context.portfolio.nav - self.starting_cash,
            trading_state=desk.spine.kill_switch.switch.state.value,
        )

    async def _checkpoint_baselines(self) -> None:
        """Record the peak NAV and the day's opening NAV whenever either changes.

        They are what drawdown and daily loss are measured from; recorded, they survive a
        restart instead of starting again from the first snapshot after it.
        """
        baselines = self.desk.spine.portfolio.baselines()
        if baselines != self._recorded_baselines:
            await self.desk.spine.journal.append(BASELINE, baseline_payload(*baselines))
            self._recorded_baselines = baselines

    def _show_venue(self, ends: dict[Symbol, int]) -> None:
        venue = self.desk.venue
        if not isinstance(venue, PaperVenue | ShadowVenue):
            self._fed.update(ends)
            return
        pending: list[tuple[int, Symbol, int]] = []
        for symbol, end in ends.items():
            times = self._close_ns[symbol]
            pending.extend((times[i], symbol, i) for i in range(self._fed[symbol], end))
            self._fed[symbol] = end
        for _, symbol, index in sorted(pending):
            venue.on_bar(self._feeds[symbol].bar_at(index))

    def status(self) -> dict[str, Any]:
        """Return counters and the account's state for the API."""
        spine = self.desk.spine
        return {
            "cycles": self.cycles,
            "signals": self.signals,
            "orders": self.orders,
            "open_orders": spine.oms.activity.open_orders_count,
            "cash": str(spine.portfolio.cash),
            "trading_state": spine.kill_switch.switch.state.value,
            "kill_switch_latched": spine.kill_switch.switch.is_latched(),
            "symbols": sorted(self._feeds),
        }


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"agents file {path} cannot be read ({exc.strerror}); fix trading.agents_file"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"agents file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"agents file {path} must hold a mapping with an 'agents' list")
    return data
