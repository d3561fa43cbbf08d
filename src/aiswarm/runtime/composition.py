"""The composition root: config in, a recovered trading engine out. The only place that chooses.

Three things change with the mode, and this module picks all three from config: the clock (the
host paces a replay on a scaled clock; the engine decides on its own simulated decision clock),
the feeds (file replay today; venue feeds with the live adapters) and the venue (``VENUES``:
simulated matching for paper, record-only for shadow). Everything else is the same engine.

Starting is recovering. ``open_engine`` reads the account's stream from the store and rebuilds
the engine from it: cash and positions from deposits and fills, open orders and the nonce
ledger, the kill switch with its latch, drawdown baselines, the session state (a paused account
comes back paused) and how far the replay got (``cycle.completed``). A simulated venue takes its
book back before the OMS reconciles with it. A fresh account is made only when asked
(``new_account``) or when the store holds no account of this mode at all (the first start);
a restart never records ENABLE by itself: ``trading.enable_at_start`` applies when an account
is opened, and a tripped kill switch stays tripped until an authorised reset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from aiswarm.agents import Agent, AgentsConfig, build_agents, parse_agents_config
from aiswarm.clock import Clock, SimulatedClock, to_ns
from aiswarm.config import AppConfig
from aiswarm.errors import ConfigError
from aiswarm.execution import EventJournal, OrderState, Venue
from aiswarm.execution.live_venue import LiveVenue
from aiswarm.execution.venue import VenueAck
from aiswarm.mandates import (
    MANDATE_CHANGED,
    MandateBindings,
    MandateFile,
    bind_agents,
    load_mandate_files,
    reconcile,
    recorded_mandates,
)
from aiswarm.market import BarArrays, BarFile, BarFileOptions, read_bar_file, read_funding_rates
from aiswarm.market.market_state import MarketState, SymbolSeries
from aiswarm.orchestration.mandate_routing import MandateRouting
from aiswarm.risk import KillSwitch, KillTrigger
from aiswarm.runtime.approval_rotation import ApprovalKeyRotation
from aiswarm.runtime.engine import SESSION_CHANGED, EngineSetup, TradingEngine
from aiswarm.runtime.mandate_book import resend_refusal
from aiswarm.runtime.session_state import SessionState, SessionTrigger
from aiswarm.runtime.spine import DEPOSIT, Spine, account_records, assemble_spine, open_spine
from aiswarm.runtime.venue_timing import TimedVenue, VenueTimer
from aiswarm.store import EventStore
from aiswarm.types import (
    AccountId,
    Bar,
    EventType,
    Fill,
    FundingRate,
    Instrument,
    InstrumentKind,
    MandateId,
    Mode,
    OrderStatus,
    Symbol,
    VenueId,
)
from aiswarm.venues import FeeModel, PaperVenue, ShadowVenue, SlippageModel
from aiswarm.venues.restored_book import RestoredOrder, judge_trigger

__all__ = [
    "ACCOUNT_OPENED",
    "CYCLE_COMPLETED",
    "VENUES",
    "AccountMarkets",
    "Recovered",
    "accounts_in",
    "instrument_for",
    "load_agents",
    "load_feeds",
    "load_funding",
    "load_mandates",
    "open_engine",
    "preloaded_engine",
]

ACCOUNT_OPENED = EventType.ACCOUNT_OPENED
ORDER_SUBMITTED = EventType.ORDER_SUBMITTED
ORDER_EVENT = EventType.ORDER_EVENT
CYCLE_COMPLETED = EventType.CYCLE_COMPLETED
FUNDING = EventType.FUNDING
_NS = 1_000_000_000
_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Recovered:
    """An engine and where its replay stands: ``resume_ns`` is the last step's time, if any.

    ``cancel_asked_before_reconcile`` names the open orders whose cancel the log holds (sent to
    the venue, or waiting for the venue to acknowledge the order): the restart cancels them.
    """

    engine: TradingEngine
    opened: bool
    resume_ns: int | None
    records: int
    open_before_reconcile: tuple[str, ...] = ()
    cancel_asked_before_reconcile: tuple[str, ...] = ()
    session_records: tuple[tuple[str, Mapping[str, Any]], ...] = ()


VenueFactory = Callable[[AppConfig, VenueId, Mapping[Symbol, Instrument], Clock], Venue]


@dataclass(frozen=True)
class AccountMarkets:
    """What an account trades: its venue, instruments, bar series and opening cash.

    Its mandates come from the mandate files (``load_mandates``), in every mode.

    Paper and shadow build it from the feed files (``paper_markets``); live mode from the
    connected venue's markets and balance (``runtime.live``). ``series`` gives each symbol's
    venue and bar interval in seconds.
    """

    venue: Venue
    instruments: Mapping[Symbol, Instrument]
    series: Mapping[Symbol, tuple[VenueId, int]]
    starting_cash: Decimal


def _paper_venue(
    config: AppConfig, venue_id: VenueId, instruments: Mapping[Symbol, Instrument], clock: Clock
) -> Venue:
    fee = config.paper.fee_frac
    return PaperVenue(
        venue_id, instruments, clock, fee_model=FeeModel(maker_fee_frac=fee, taker_fee_frac=fee)
    )


def _shadow_venue(
    config: AppConfig, venue_id: VenueId, instruments: Mapping[Symbol, Instrument], clock: Clock
) -> Venue:
    return ShadowVenue(venue_id, clock)


VENUES: Mapping[Mode, VenueFactory] = {Mode.PAPER: _paper_venue, Mode.SHADOW: _shadow_venue}
"""The venue each runnable mode trades on; live adapters join this table."""


def load_feeds(config: AppConfig) -> dict[Symbol, BarFile]:
    """Read every configured feed file (relative paths are under ``data_dir``).

    Each file goes through the one bar reader with the feed's ``format``, ``price_decimals``
    and ``volume_decimals`` (null: detected or inferred; ``BarFile.describe`` reports them).
    """
    feeds: dict[Symbol, BarFile] = {}
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
        options = BarFileOptions(feed.format, feed.price_decimals, feed.volume_decimals)
        feeds[symbol] = read_bar_file(path, VenueId(feed.venue), symbol, options)
    return feeds


def load_funding(config: AppConfig) -> dict[Symbol, list[FundingRate]]:
    """Read every configured funding file (``paper.funding``) for the symbol it names.

    The rates are labelled with that symbol's feed venue, so they reach the same market state,
    agents and venue as its bars.
    """
    venues = {Symbol(feed.symbol): VenueId(feed.venue) for feed in config.paper.feeds}
    rates: dict[Symbol, list[FundingRate]] = {}
    for funding in config.paper.funding:
        path = funding.file if funding.file.is_absolute() else config.data_dir / funding.file
        symbol = Symbol(funding.symbol)
        venue = venues.get(symbol)
        if venue is None:
            raise ConfigError(
                f"paper.funding names {symbol}, which no paper feed replays (feeds: "
                f"{', '.join(sorted(venues))}); add its bars to paper.feeds or fix the symbol"
            )
        if not path.exists():
            raise ConfigError(
                f"funding file {path} does not exist; fix paper.funding in the config or "
                f"data_dir ({config.data_dir})"
            )
        if symbol in rates:
            raise ConfigError(f"paper.funding lists {symbol} twice; keep one file per symbol")
        rates[symbol] = read_funding_rates(path, venue, symbol)
    return rates


def instrument_for(bars: BarArrays) -> Instrument:
    """Return the instrument of a feed, its tick and step the data's own recorded precision.

    A ccxt-unified symbol with a settle currency (``BTC/USD:BTC``, ``BTC/USDT:USDT``) is a
    perpetual, which pays funding; any other (``BTC/USD``) is spot.
    """
    base, _, quote = bars.symbol.partition(":")[0].partition("/")
    step = Decimal(1).scaleb(-max(bars.volume_decimals, 6))
    return Instrument(
        venue=bars.venue,
        symbol=bars.symbol,
        base=base,
        quote=quote or "USD",
        kind=InstrumentKind.of_symbol(bars.symbol),
        tick_size=Decimal(1).scaleb(-bars.price_decimals),
        step_size=step,
        min_quantity=step,
        min_notional=Decimal(1),
    )


def load_agents(config: AppConfig) -> list[Agent]:
    """Build the agents ``trading.agents_file`` lists (an unknown agent or parameter is named)."""
    path = config.trading.agents_file
    return build_agents(load_agents_config(config), str(path))


def paper_markets(
    config: AppConfig, feeds: Mapping[Symbol, BarArrays], clock: Clock, account: str
) -> AccountMarkets:
    """Return a paper or shadow account's markets: the feed files' symbols at one venue."""
    factory = VENUES.get(config.mode)
    if factory is None:
        raise ConfigError(
            f"mode {config.mode.value} has no simulated venue; use --mode paper or --mode shadow"
        )
    instruments = {symbol: instrument_for(bars) for symbol, bars in feeds.items()}
    venue_ids = {bars.venue for bars in feeds.values()}
    if len(venue_ids) != 1:
        raise ConfigError(f"paper.feeds span venues {sorted(venue_ids)}; use one venue per account")
    return AccountMarkets(
        venue=factory(config, venue_ids.pop(), instruments, clock),
        instruments=instruments,
        series={symbol: (bars.venue, bars.interval_s) for symbol, bars in feeds.items()},
        starting_cash=config.paper.starting_cash,
    )


def load_agents_config(config: AppConfig) -> AgentsConfig:
    """Read and validate ``trading.agents_file`` (the agents' entries, not yet built)."""
    path = config.trading.agents_file
    return parse_agents_config(_read_yaml(path), str(path))


def load_mandates(config: AppConfig) -> tuple[dict[MandateId, MandateFile], MandateBindings]:
    """Read and validate every mandate file and bind the agents to them.

    Raises ``ConfigError`` naming the file (or setting), the field and the reason: an invalid
    mandate stops start-up before anything is recorded.
    """
    trading = config.trading
    files = load_mandate_files(trading.mandates_dir)
    bindings = bind_agents(
        files,
        load_agents_config(config),
        default=trading.mandate,
        agent_mandates=trading.agent_mandates,
        agents_source=trading.agents_file,
    )
    return files, bindings


def preloaded_engine(
    *,
    feeds: Mapping[Symbol, BarArrays],
    instruments: Mapping[Symbol, Instrument],
    agents: Sequence[Agent],
    setup: EngineSetup,
    journal: EventJournal,
    clock: SimulatedClock,
    approval_secret: bytes,
    fee_model: FeeModel,
    slippage: SlippageModel | None = None,
    max_participation_frac: Decimal | None = Decimal("0.1"),
    liquidity_window_bars: int = 60,
    order_ttl_s: float | None = None,
    kept_fills: list[Fill] | None = None,
) -> TradingEngine:
    """Wire an engine over whole files held in memory: a backtest's (or a benchmark's).

    Same spine, same engine; only the journal (in memory), the clock (simulated) and the
    market state (each file preloaded, stepped with ``BarClosed``) differ from paper mode.
    ``kept_fills`` receives every booked fill (see ``assemble_spine``).
    """
    venue_ids = {bars.venue for bars in feeds.values()}
    if len(venue_ids) != 1:
        raise ConfigError(f"a backtest spans venues {sorted(venue_ids)}; use one venue")
    venue = PaperVenue(
        venue_ids.pop(),
        instruments,
        clock,
        fee_model=fee_model,
        slippage=slippage,
        max_participation_frac=max_participation_frac,
    )
    spine = assemble_spine(
        journal=journal,
        venue=venue,
        clock=clock,
        account=setup.account,
        instruments=instruments,
        approval_secret=approval_secret,
        limits=setup.limits,
        switch=KillSwitch(),
        order_ttl_s=order_ttl_s,
        kept_fills=kept_fills,
    )
    market = MarketState()
    for symbol, bars in feeds.items():
        market.add(
            SymbolSeries(
                bars.venue,
                symbol,
                bars.interval_s,
                liquidity_window=liquidity_window_bars,
                preloaded=bars,
            )
        )
    return TradingEngine(
        setup=setup, market=market, venue=venue, spine=spine, agents=agents, clock=clock
    )


async def accounts_in(store: EventStore) -> list[tuple[str, dict[str, Any]]]:
    """Return every opened account as (account, its ``account.opened`` payload), oldest first."""
    return [(event.account, event.payload) async for event in store.replay(types=[ACCOUNT_OPENED])]


async def choose_account(
    store: EventStore, mode: Mode, *, requested: str | None, new_account: bool
) -> tuple[AccountId, bool]:
    """Return the account to run and whether it must be opened now.

    Without a request: the newest account of ``mode``, or a new one when asked for or when the
    store holds none of this mode. With ``requested``: that account, which must exist unless
    ``new_account`` asks to open it.
    """
    known = [(name, payload) for name, payload in await accounts_in(store)]
    of_mode = [name for name, payload in known if payload.get("mode") == mode.value]
    if requested is not None:
        if not _ACCOUNT.match(requested):
            raise ConfigError(
                f"--account was {requested!r}; use 1-64 letters, digits, '.', '_' or '-'"
            )
        exists = any(name == requested for name, _ in known)
        if new_account and exists:
            raise ConfigError(
                f"--account {requested} already exists; drop --new-account to resume it"
            )
        if not new_account and not exists:
            raise ConfigError(
                f"account {requested} is not in the store; add --new-account to open it"
            )
        return AccountId(requested), new_account
    if of_mode and not new_account:
        return AccountId(of_mode[-1]), False
    return AccountId(f"{mode.value}-{len(of_mode) + 1}"), True


async def open_engine(
    config: AppConfig,
    store: EventStore,
    approval_secret: bytes,
    *,
    account: AccountId,
    open_new: bool,
    feeds: Mapping[Symbol, BarArrays],
    clock: SimulatedClock,
    agent_timeout_s: float | None = None,
    markets: AccountMarkets | None = None,
    venue_timer: VenueTimer | None = None,
    operators: Container[str] = (),
    approval_keys: ApprovalKeyRotation | None = None,
    hold_resends: bool = False,
) -> Recovered:
    """Open a new account, or rebuild ``account`` from its stream; see the module docstring.

    ``markets`` is what the account trades; by default the paper feeds' (``paper_markets``).
    With ``venue_timer`` the OMS calls the venue through ``TimedVenue`` (metrics).
    ``operators`` are the names allowed to reset the kill switch (the host passes its admin
    principals); ``approval_keys`` the host's approval key rotation.
    With ``hold_resends`` the recovery sends no order the venue never saw; the OMS's next
    pass (``process_reports``) does, so a live start can refuse first.
    """
    mode = config.mode
    if markets is None:
        markets = paper_markets(config, feeds, clock, account)
    instruments = markets.instruments
    venue = markets.venue
    agents = load_agents(config)  # a bad agents file must stop start-up before any record
    mandate_files, bindings = load_mandates(config)  # so must a bad mandate file
    records = [] if open_new else await account_records(store, account)
    if open_new:
        await store.append(
            ACCOUNT_OPENED,
            {
                "mode": mode.value,
                "symbols": sorted(instruments),
                "starting_cash": str(markets.starting_cash),
            },
            account=account,
        )
    last_cycle = next(
        (payload for kind, payload in reversed(records) if kind == CYCLE_COMPLETED), None
    )
    resume_ns = None if last_cycle is None else int(last_cycle["now_ns"])
    # Decisions resume no earlier than the last one recorded: an order recorded in a step the
    # crash cut short must not be (re)sent at an earlier time than it was decided.
    decided_ns = max(
        [resume_ns or 0]
        + [int(payload["ts_ns"]) for kind, payload in records if kind == ORDER_SUBMITTED]
    )
    clock.set_ns(max(clock.now_ns(), decided_ns))
    session, _ = recorded_session(records)
    # Mandates take effect only once recorded: the file versions the log lacks go in first,
    # before the OMS reconciles, so an order it would resend is judged on the mandates in force.
    in_use = {key: mandate_files[key] for key in sorted(bindings.in_use)}
    mandates, changes = reconcile(in_use, recorded_mandates(records))
    for payload in changes:
        await store.append(MANDATE_CHANGED, payload, account=account)

    open_in_log: list[str] = []
    cancel_asked: list[str] = []

    def take_book_back(spine: Spine) -> None:
        spine.oms.resend_refusal = partial(resend_refusal, mandates)
        # A paused or stopped account must not resend anything while it reconciles.
        spine.pause.paused = session is not SessionState.RUNNING and bool(records)
        spine.pause.reason = f"session {session.value} at restart"
        for order in spine.oms.open_orders():
            open_in_log.append(order.client_order_id)
            if spine.oms.is_cancel_asked(order.client_order_id):
                cancel_asked.append(order.client_order_id)
        restored = list(restored_orders(spine.oms.open_orders()))
        orders = spine.oms.orders.values()
        acknowledged = sum(1 for order in orders if order.venue_order_id is not None)
        if isinstance(venue, PaperVenue):
            positions = {
                (account, symbol): position.quantity
                for symbol, bars in feeds.items()
                if (position := spine.portfolio.position(bars.venue, symbol)) is not None
            }
            trades = sum(len(order.trade_ids) for order in orders)
            restored = [
                judge_trigger(order, bars_matched(feeds.get(order.spec.symbol), order, resume_ns))
                for order in restored
            ]
            venue.restore(restored, positions, acknowledged, trades)
        elif isinstance(venue, ShadowVenue):
            venue.restore(restored, acknowledged)
        elif isinstance(venue, LiveVenue):
            # Every query after a restart must know the order's symbol: hand the log's back.
            for order in spine.oms.open_orders():
                venue.adopt(order.spec, order.venue_order_id)

    spine = await open_spine(
        store=store,
        venue=venue if venue_timer is None else TimedVenue(venue, venue_timer),
        clock=clock,
        account=account,
        instruments=instruments,
        approval_secret=approval_secret,
        limits=config.trading.risk,
        operators=operators,
        order_ttl_s=config.trading.order_ttl_s,
        algorithm=config.trading.approval_algorithm,
        records=records,
        before_reconcile=take_book_back,
        approval_keys=approval_keys,
        resend_at_reconcile=not hold_resends,
    )
    market = MarketState()
    for symbol, (series_venue, interval_s) in markets.series.items():
        market.add(SymbolSeries(series_venue, symbol, interval_s))
    engine = TradingEngine(
        setup=EngineSetup(
            account=account,
            instruments=instruments,
            mandate=mandates[bindings.default],
            mandates=mandates,
            routing=MandateRouting(bindings.default, bindings.mandate_of, bindings.strategy_of),
            limits=config.trading.risk,
            arbitration=config.trading.arbitration,
            allocator=config.trading.allocator,
            agent_timeout_s=agent_timeout_s,
        ),
        market=market,
        venue=venue,
        spine=spine,
        agents=agents,
        clock=clock,
    )
    spine.oms.resend_refusal = engine.mandates.resend_refusal  # the engine's book from now on
    if not any(kind == DEPOSIT for kind, _ in records):
        # A new account, or one whose opening a crash cut short: fund it and, if configured,
        # enable trading. Only here is ENABLE ever recorded by a start.
        await engine.fund(markets.starting_cash)
        if config.trading.enable_at_start and not spine.kill_switch.switch.is_latched():
            await spine.kill_switch.command(KillTrigger.ENABLE, "config enables trading at start")
    if records:
        _restore_engine(engine, records, last_cycle)
    sessions = tuple((kind, payload) for kind, payload in records if kind == SESSION_CHANGED)
    return Recovered(
        engine,
        open_new,
        resume_ns,
        len(records),
        tuple(open_in_log),
        tuple(cancel_asked),
        sessions,
    )


def recorded_session(
    records: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[SessionState, SessionTrigger | None]:
    """Return the session state to restore and the move that resumes it at ``Host.begin``.

    A crashed session comes back as it was (RUNNING or PAUSED). One that was stopping or
    stopped comes back STOPPED, to be started again, or paused again if it was paused when it
    stopped: a clean stop never lifts an operator's pause.
    """
    changes = [payload for kind, payload in records if kind == SESSION_CHANGED]
    if not changes:
        return SessionState.CREATED, SessionTrigger.START
    state = SessionState(changes[-1]["to"])
    if state not in (SessionState.STOPPING, SessionState.STOPPED):
        return state, None
    stops = [payload for payload in changes if payload["trigger"] == SessionTrigger.STOP.value]
    was_paused = bool(stops) and stops[-1]["from"] == SessionState.PAUSED.value
    return SessionState.STOPPED, SessionTrigger.PAUSE if was_paused else SessionTrigger.START


def bars_matched(
    bars: BarArrays | None, order: RestoredOrder, through_ns: int | None
) -> Iterator[Bar]:
    """Yield the bars a paper venue matched ``order`` against before the restart.

    Those that opened at or after the order's time and closed by ``through_ns``, the last
    recorded step: every step shows the venue its bars while an order rests.
    """
    if bars is None or through_ns is None:
        return
    ts_ns = bars.ts_ns
    first = int(np.searchsorted(ts_ns, order.ts_ns, side="left"))
    last = int(np.searchsorted(ts_ns, through_ns - bars.interval_s * _NS, side="right"))
    for index in range(first, last):
        yield bars.bar_at(index)


def restored_orders(orders: Iterable[OrderState]) -> Iterator[RestoredOrder]:
    """Yield the acknowledged, unfinished orders among ``orders`` as the venue knew them."""
    for order in orders:
        if order.is_terminal or order.venue_order_id is None:
            continue
        status = OrderStatus.PARTIALLY_FILLED if order.filled_quantity else OrderStatus.ACCEPTED
        ack = VenueAck(
            client_order_id=order.client_order_id,
            accepted=True,
            ts_ns=order.last_ts_ns,
            venue_order_id=order.venue_order_id,
        )
        yield RestoredOrder(order.spec, ack, status, order.filled_quantity, order.last_ts_ns)


def _restore_engine(
    engine: TradingEngine,
    records: Sequence[tuple[str, Mapping[str, Any]]],
    last_cycle: Mapping[str, Any] | None,
) -> None:
    """Put back what the spine does not hold: session, counters, funding, checkpoints."""
    session, _ = recorded_session(records)
    engine.restore_session(session, f"session {session.value} at restart")
    engine.starting_cash = sum(
        (Decimal(payload["amount"]) for kind, payload in records if kind == DEPOSIT), Decimal(0)
    )
    if last_cycle is not None:
        engine.steps = int(last_cycle.get("step", 0))
        engine.signals = int(last_cycle.get("signals_total", 0))
        engine.orders = int(last_cycle.get("orders_total", 0))
        engine.trips = int(last_cycle.get("trips_total", 0))
    engine.restore_checkpoint(
        engine.spine.portfolio.baselines(),
        shown_through=_newest_fill_per_symbol(records),
        funded_through=_newest_funding_per_symbol(records),
    )
    # TWAP slices still owed and resting limits still watched for re-quotes resume, each once.
    engine.coordinator.restore(records)
    engine.strategies.restore(records)


def _newest_fill_per_symbol(records: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[Symbol, int]:
    """Return, per symbol, when its newest logged fill happened (epoch ns): the venue matched
    every bar up to that one before the restart."""
    newest: dict[Symbol, int] = {}
    for kind, payload in records:
        fill = payload.get("fill") if kind == ORDER_EVENT else None
        if fill is not None:
            symbol = Symbol(fill["symbol"])
            at = to_ns(datetime.fromisoformat(fill["ts_event"]))
            newest[symbol] = max(newest.get(symbol, at), at)
    return newest


def _newest_funding_per_symbol(
    records: Sequence[tuple[str, Mapping[str, Any]]],
) -> dict[Symbol, int]:
    """Return, per symbol, the time of its newest logged funding settlement (epoch ns)."""
    newest: dict[Symbol, int] = {}
    for kind, payload in records:
        if kind == FUNDING:
            symbol, at = Symbol(payload["symbol"]), int(payload["ts_ns"])
            newest[symbol] = max(newest.get(symbol, at), at)
    return newest


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
