"""Live mode's wiring: venue settings from config, the start checks, and the account's markets.

``aiswarm run --mode live`` starts only when all four hold, and says which failed, one line
each (``LiveRefused``):

1. ``live.enabled`` is true in the config (trading real money is never a default);
2. every venue a route uses has its credentials (the variable names are listed, never the
   values; the venue adapter is the only reader);
3. no mandate the account's agents trade under has ``live_requires_approval: true``: there is
   no approval workflow yet, so a mandate that asks for one cannot be honoured, and live mode
   refuses rather than trade it unapproved;
4. reconciliation at start is clean: after the OMS has settled every order in the log with the
   venue, the venue holds no open order this account did not place, the venue's last day of
   our fills is in the log, and every perpetual position equals what the log's fills add up
   to (``reconciliation_failures``); then, once the orders the venue never saw have been sent
   again, no order of ours is still waiting for the venue to say whether it has it
   (``unconfirmed_failures``).

The first three are checked before any connection; the fourth needs the connected venue and the
recovered engine, so it runs in ``Host.start`` before anything trades. The recovery holds back
the orders it would send again until ``reconciliation_failures`` is clean, so a start that is
refused has sent no order.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from aiswarm.clock import Clock
from aiswarm.config import AppConfig
from aiswarm.errors import ConfigError
from aiswarm.execution.live_venue import LiveVenue
from aiswarm.execution.venue import Venue
from aiswarm.execution.venue_retry import RetryPolicy
from aiswarm.runtime.composition import AccountMarkets, load_mandates
from aiswarm.runtime.engine import TradingEngine
from aiswarm.types import (
    InstrumentKind,
    Mode,
    OrderStatus,
    Symbol,
    VenueId,
)
from aiswarm.venues.ccxt_settings import CcxtSettings
from aiswarm.venues.venue_credentials import credentials_prefix, missing_credentials

_RECONCILE_FILLS_NS = 86_400 * 1_000_000_000
"""How far back the start's reconciliation reads the venue's trade history (one day)."""

__all__ = [
    "LiveRefused",
    "ccxt_settings",
    "live_markets",
    "live_venue",
    "reconciliation_failures",
    "shadow_failures",
    "start_failures",
    "steps_on_venue_data",
    "unconfirmed_failures",
]


class LiveRefused(ConfigError):  # noqa: N818 - reads as the fact it reports
    """Live mode may not start; ``failures`` holds one line per unmet precondition."""

    def __init__(self, failures: list[str]) -> None:
        lines = "\n".join(f"  - {failure}" for failure in failures)
        super().__init__(f"live mode refused to start ({len(failures)} unmet):\n{lines}")
        self.failures = failures


def _routed_venue(config: AppConfig) -> str:
    venues = sorted({route.venue for route in config.live.routes})
    if len(venues) != 1:
        raise ConfigError(
            f"live.routes use venues {venues or 'none'}; an account trades at one venue: "
            "route every symbol of this account to the same live.venues entry"
        )
    return venues[0]


def ccxt_settings(config: AppConfig, venue_id: str) -> CcxtSettings:
    """Return the adapter settings of ``live.venues[venue_id]`` with its routes."""
    venue = config.live.venues[venue_id]
    return CcxtSettings(
        venue_id=VenueId(venue_id),
        exchange=venue.exchange,
        routes={
            Symbol(route.symbol): route.at_venue
            for route in config.live.routes
            if route.venue == venue_id
        },
        market_type=venue.market_type,
        testnet=venue.testnet,
        base_url=venue.base_url,
        urls=dict(venue.urls),
        markets_file=venue.markets_file,
        options=dict(venue.options),
        credentials_prefix=credentials_prefix(venue_id, venue.credentials_env),
        timeout_ms=venue.timeout_ms,
        request_window_ms=venue.request_window_ms,
        retry=RetryPolicy(
            attempts=venue.retry_attempts,
            base_delay_s=venue.retry_base_delay_s,
            max_delay_s=max(venue.retry_base_delay_s, venue.retry_max_delay_s),
        ),
    )


def start_failures(config: AppConfig) -> list[str]:
    """Return what stops live mode before connecting: switch, routes, credentials, mandates."""
    failures: list[str] = []
    live = config.live
    if not live.enabled:
        failures.append(
            "live trading is not enabled: set live.enabled: true in the config (or "
            "AIS_LIVE__ENABLED=true) once you mean to trade real money"
        )
    if not live.routes:
        failures.append("live.routes is empty: route at least one symbol to a live.venues entry")
    for venue_id in sorted({route.venue for route in live.routes}):
        prefix = credentials_prefix(venue_id, live.venues[venue_id].credentials_env)
        missing = missing_credentials(prefix)
        if missing:
            failures.append(
                f"credentials for venue {venue_id} are missing: set {' and '.join(missing)} "
                "(or the same names with _FILE pointing at a 0600 file)"
            )
    failures.extend(_approval_failures(config))
    return failures


def _approval_failures(config: AppConfig) -> list[str]:
    """Return one line per mandate in use that asks for live approval (none can be given yet).

    An invalid mandate file or binding is a failure too (its ``ConfigError`` line): what the
    account would trade under must be known before live mode may start.
    """
    try:
        files, bindings = load_mandates(config)
    except ConfigError as error:
        return [str(error)]
    return [
        f"mandate {mandate_id} in {files[mandate_id].path} has live_requires_approval: true, "
        "and live approval is not available yet: set live_requires_approval: false in that "
        "file to trade it live without an operator's approval"
        for mandate_id in sorted(bindings.in_use)
        if files[mandate_id].mandate.live_requires_approval
    ]


def steps_on_venue_data(config: AppConfig) -> bool:
    """Return whether the account steps on a live venue's bars (live, or shadow on venue data)."""
    mode = config.mode
    return mode is Mode.LIVE or (mode is Mode.SHADOW and config.live.shadow_on_venue_data)


def shadow_failures(config: AppConfig) -> list[str]:
    """Return what stops shadow mode on a venue's data: it needs routes, nothing else."""
    if config.live.routes:
        return []
    return [
        "live.shadow_on_venue_data is true but live.routes is empty: route the symbols whose "
        "bars shadow mode should follow, or set it false to replay paper.feeds"
    ]


def live_venue(config: AppConfig, clock: Clock, *, market_data_only: bool = False) -> LiveVenue:
    """Return the (not yet connected) adapter of the one venue this account's routes use.

    ``market_data_only`` reads no credentials: shadow mode's source of real bars.
    """
    # Imported here: ccxt loads every exchange class (about a second of CPU), which paper
    # runs, and every other command, never need.
    from aiswarm.venues.ccxt_venue import CcxtVenue

    settings = ccxt_settings(config, _routed_venue(config))
    return CcxtVenue(replace(settings, market_data_only=market_data_only), clock)


async def live_markets(
    config: AppConfig,
    venue: LiveVenue,
    clock: Clock,
    account: str,
    *,
    orders_to: Venue | None = None,
) -> AccountMarkets:
    """Return the account's markets from the connected venue: instruments and cash.

    The opening deposit of a new live account is the venue's free balance of the quote
    currency (the one the risk limits are measured in), so NAV starts as what the venue holds.
    A shadow account (``orders_to`` its record-only venue) starts with ``paper.starting_cash``.
    """
    instruments = dict(venue.instruments)
    quotes = sorted({instrument.quote for instrument in instruments.values()})
    if len(quotes) != 1:
        raise ConfigError(
            f"live.routes trade against quote currencies {quotes}; route one quote currency"
        )
    if orders_to is None:
        balances = await venue.balances()
        held = balances.get(quotes[0])
        cash = held.free if held is not None else Decimal(0)
    else:
        cash = config.paper.starting_cash
    interval_s = config.live.bar_interval_s
    return AccountMarkets(
        venue=venue if orders_to is None else orders_to,
        instruments=instruments,
        series={symbol: (venue.venue_id, interval_s) for symbol in instruments},
        starting_cash=cash,
    )


async def reconciliation_failures(
    engine: TradingEngine, venue: LiveVenue, clock: Clock
) -> list[str]:
    """Return why the start's reconciliation is not clean (empty when it is).

    No foreign open order at the venue; every fill of our orders in the venue's last day of trade
    history must be in the log (the OMS's reconcile has just fetched what it lacked), and on
    a derivatives venue every position must equal the one the log's fills add up to.
    """
    failures: list[str] = []
    oms = engine.spine.oms
    known = {trade for order in oms.orders.values() for trade in order.trade_ids}
    since_ns = clock.now_ns() - _RECONCILE_FILLS_NS
    missing = [f.trade_id for f in await venue.fills_since(since_ns) if f.trade_id not in known]
    if missing:
        failures.append(
            f"reconciliation at start is not clean: the venue reports {len(missing)} fill(s) of "
            f"our orders the log lacks ({', '.join(str(t) for t in missing[:5])}); inspect "
            "the event store before trading"
        )
    portfolio = engine.spine.portfolio
    at_venue = {held.symbol: held.quantity for held in await venue.positions()}
    for symbol, instrument in venue.instruments.items():
        if instrument.kind is not InstrumentKind.PERPETUAL:
            continue  # spot holdings are balances, shared with whatever else the account holds
        ours = portfolio.position(venue.venue_id, symbol)
        logged = ours.quantity if ours is not None else Decimal(0)
        held = at_venue.get(symbol, Decimal(0))
        if logged != held:
            failures.append(
                f"reconciliation at start is not clean: the {symbol} position at "
                f"{venue.venue_id} is {held}, the log's fills add up to {logged}; flatten or "
                "book the difference before trading"
            )
    foreign = await venue.foreign_open_orders()
    if foreign:
        failures.append(
            f"reconciliation at start is not clean: the venue holds {len(foreign)} open "
            f"order(s) this account did not place ({', '.join(foreign[:5])}); cancel them at "
            f"{venue.venue_id} or trade this account elsewhere"
        )
    return failures


def unconfirmed_failures(engine: TradingEngine) -> list[str]:
    """Return why orders of the log are still unconfirmed by the venue (empty when none are).

    Run after the held orders were sent again (the OMS's pass): one still SUBMITTED is one
    the venue has not answered about.
    """
    failures: list[str] = []
    unsettled = [
        order.client_order_id
        for order in engine.spine.oms.open_orders()
        if order.status is OrderStatus.SUBMITTED
    ]
    if unsettled:
        failures.append(
            f"reconciliation at start is not clean: {len(unsettled)} order(s) in the log are "
            f"still unconfirmed by the venue ({', '.join(unsettled[:5])}); retry when it answers"
        )
    return failures
