"""One ccxt client for one venue: built from settings, connected once, every request classified.

``CcxtSession`` owns what is about the connection rather than about our orders: building the
client (credentials read here, at ``connect``, and handed only to ccxt; URLs pointed at a
testnet or a local fake; ``enableRateLimit`` on, so ccxt's throttler spaces requests by the
venue's published weights), loading markets once, and making requests. ``once`` makes one
request and turns ccxt's exception into a ``TransientVenueError`` (retry) or a
``RefusedError`` with our code (never retried); ``ask`` retries a request that is safe to
repeat (``execution.venue_retry``). Reads that need no order state (balances, positions,
closed bars) are here too; the order logic is in ``ccxt_venue``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import ccxt.async_support as ccxt

from aiswarm.errors import ConfigError, TransientVenueError, VenueError
from aiswarm.execution.live_venue import Balance, VenuePosition
from aiswarm.execution.venue import RejectCode
from aiswarm.execution.venue_retry import retry_transient
from aiswarm.types import Bar, Symbol
from aiswarm.venues.ccxt_errors import classify
from aiswarm.venues.ccxt_markets import exact, load_markets
from aiswarm.venues.ccxt_settings import CcxtSettings
from aiswarm.venues.venue_credentials import read_credentials

__all__ = ["CcxtSession", "RefusedError", "timeframe"]

_log = logging.getLogger(__name__)
_MS = 1_000_000
_NS = 1_000_000_000
T = TypeVar("T")


class RefusedError(VenueError):
    """A venue refusal with our code: not retried (the adapter turns it into a refused ack)."""

    def __init__(self, code: RejectCode, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _point_at(urls: Any, base_url: str) -> Any:
    """Return ccxt's URL table with every http origin replaced by ``base_url``."""
    if isinstance(urls, dict):
        return {key: _point_at(value, base_url) for key, value in urls.items()}
    if isinstance(urls, str) and urls.startswith("http"):
        parts = urlsplit(urls)
        return base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
    return urls


def timeframe(interval_s: int) -> str:
    """Return ccxt's timeframe text for a bar interval (60 -> '1m', 3600 -> '1h')."""
    for unit, seconds in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if interval_s % seconds == 0:
            return f"{interval_s // seconds}{unit}"
    raise ConfigError(f"bar interval {interval_s}s is not whole minutes; use a multiple of 60")


class CcxtSession:
    """The ccxt client of one venue; see the module docstring."""

    def __init__(self, settings: CcxtSettings) -> None:
        self.settings = settings
        self._rng = random.Random(settings.retry.seed)  # noqa: S311 - jitter, seeded
        self._exchange: ccxt.Exchange | None = None

    def _build(self) -> ccxt.Exchange:
        settings = self.settings
        factory = getattr(ccxt, settings.exchange, None)
        if not isinstance(factory, type) or not issubclass(factory, ccxt.Exchange):
            raise ConfigError(
                f"venue {settings.venue_id}: exchange {settings.exchange!r} is not a ccxt "
                "exchange id; use one of ccxt.exchanges (binance, bybit, ...)"
            )
        keys: dict[str, str] = {}
        if not settings.market_data_only:
            credentials = read_credentials(settings.credentials_prefix)
            keys = {"apiKey": credentials.api_key, "secret": credentials.secret}
        exchange = factory(
            {
                **keys,
                "enableRateLimit": True,
                "timeout": settings.timeout_ms,
                "options": {
                    "defaultType": settings.market_type,
                    # Binance and Bybit send it with every signed request.
                    "recvWindow": settings.request_window_ms,
                    **settings.options,
                },
            }
        )
        if settings.testnet:
            exchange.set_sandbox_mode(True)
        if settings.base_url:
            exchange.urls["api"] = _point_at(exchange.urls["api"], settings.base_url)
        for key, url in settings.urls.items():
            exchange.urls["api"][key] = url
        return exchange

    async def connect(self) -> ccxt.Exchange:
        """Build the client and load its markets once; return it (already built: as is)."""
        if self._exchange is not None:
            return self._exchange
        self._exchange = exchange = self._build()
        try:
            await self.read(lambda: load_markets(exchange, self.settings.markets_file))
        except BaseException:
            await self.close()
            raise
        return exchange

    async def close(self) -> None:
        """Close the client's connections; safe to call twice."""
        exchange, self._exchange = self._exchange, None
        if exchange is not None:
            await exchange.close()

    @property
    def exchange(self) -> ccxt.Exchange:
        """Return the connected client."""
        if self._exchange is None:
            raise VenueError(
                f"venue {self.settings.venue_id} is not connected; call connect() first"
            )
        return self._exchange

    async def once(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make one request; raise a transient error to retry or ``RefusedError``."""
        try:
            return await call()
        except ccxt.BaseError as error:
            headers = getattr(self._exchange, "last_response_headers", None)
            outcome = classify(error, headers)
            if isinstance(outcome, TransientVenueError):
                _log.warning("venue %s transient fault: %s", self.settings.venue_id, outcome)
                raise outcome from None
            raise RefusedError(*outcome) from None

    async def ask(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make a request that is safe to repeat, retried on transient faults."""
        return await retry_transient(lambda: self.once(call), self.settings.retry, self._rng)

    async def read(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make a read, retried like ``ask``; a refusal reads as a fault to ask again later.

        A read changes nothing, so nothing is lost by asking again, and the caller (a poll, a
        reconciliation) must not crash a step over an answer it cannot use.
        """
        try:
            return await self.ask(call)
        except RefusedError as refused:
            raise TransientVenueError(f"{refused.code} {refused.reason}") from None

    @property
    def rng(self) -> random.Random:
        """Return the seeded generator the backoff jitter draws from."""
        return self._rng

    async def balances(self) -> dict[str, Balance]:
        """Return the account's balances by asset (exact)."""
        exchange = self.exchange
        raw = await self.read(lambda: exchange.fetch_balance())
        return {
            asset: Balance(
                asset, exact(raw["free"].get(asset) or 0), exact(raw["used"].get(asset) or 0)
            )
            for asset in raw.get("total", {})
        }

    async def positions(self) -> list[VenuePosition]:
        """Return open perpetual positions of the routed symbols (none on spot)."""
        if self.settings.market_type == "spot":
            return []
        exchange = self.exchange
        wanted = {venue: ours for ours, venue in self.settings.routes.items()}
        raw = await self.read(lambda: exchange.fetch_positions(list(wanted)))
        positions = []
        for item in raw:
            contracts = exact(item.get("contracts") or 0)
            if contracts and item.get("symbol") in wanted:
                sign = -1 if item.get("side") == "short" else 1
                entry = item.get("entryPrice")
                positions.append(
                    VenuePosition(
                        wanted[item["symbol"]],
                        sign * contracts * exact(item.get("contractSize") or 1),
                        None if entry is None else exact(entry),
                    )
                )
        return positions

    async def closed_bars(
        self, symbol: Symbol, interval_s: int, after_ns: int, now_ns: int
    ) -> list[Bar]:
        """Return ``symbol``'s bars that opened after ``after_ns`` and closed by ``now_ns``."""
        exchange = self.exchange
        venue_symbol = self.settings.routes[symbol]
        frame = timeframe(interval_s)
        rows = await self.read(
            lambda: exchange.fetch_ohlcv(venue_symbol, frame, after_ns // _MS + 1)
        )
        bars = []
        for row in rows:
            open_ns = int(row[0]) * _MS
            if open_ns > after_ns and open_ns + interval_s * _NS <= now_ns:
                bars.append(
                    Bar(
                        venue=self.settings.venue_id,
                        symbol=symbol,
                        ts_ns=open_ns,
                        interval_s=interval_s,
                        open=exact(row[1]),
                        high=exact(row[2]),
                        low=exact(row[3]),
                        close=exact(row[4]),
                        volume=exact(row[5]),
                    )
                )
        return bars
