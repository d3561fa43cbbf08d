"""Live trading's settings: whether it is allowed, which venues, and where each symbol trades.

``live.enabled`` is the explicit switch: without it ``aiswarm run --mode live`` refuses to
start, whatever else is configured. ``live.venues`` describes each venue (any ccxt exchange
id, spot or USDⓈ-M perpetual ``swap``, testnet or not, base URLs for testnets and local fakes);
``live.routes`` maps each of our symbols to a venue and the venue's own symbol. Credentials are
never here: each venue's key and secret come from ``<credentials_env>_API_KEY`` and
``_API_SECRET`` (or ``_FILE`` variants), read only by the venue adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["LiveConfig", "RouteConfig", "VenueConfig"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VenueConfig(_Section):
    """One live venue reached through ccxt."""

    exchange: Annotated[
        str, Field(min_length=2, description="ccxt exchange id: binance, bybit, okx, ...")
    ]
    market_type: Annotated[
        Literal["spot", "swap"],
        Field(description="spot, or swap for USDⓈ-M perpetuals (ccxt's defaultType)."),
    ] = "spot"
    testnet: Annotated[
        bool, Field(description="Use the exchange's testnet URLs (ccxt sandbox mode).")
    ] = False
    base_url: Annotated[
        str | None,
        Field(
            description=(
                "Replace the origin (scheme, host, port) of every API URL, keeping the paths: "
                "a local fake or a proxy, e.g. http://127.0.0.1:9000."
            )
        ),
    ] = None
    urls: Annotated[
        dict[str, str],
        Field(description="Override single entries of ccxt's urls['api'] table by key."),
    ] = {}
    markets_file: Annotated[
        Path | None,
        Field(description="JSON of ccxt markets read at connect instead of asking the venue."),
    ] = None
    options: Annotated[
        dict[str, Any],
        Field(description="Extra ccxt options (e.g. fetchMarkets types, fetchMargins)."),
    ] = {}
    credentials_env: Annotated[
        str | None,
        Field(
            description=(
                "Prefix of the credential variables; default AIS_VENUE_<VENUE ID IN CAPITALS>."
            )
        ),
    ] = None
    timeout_ms: Annotated[
        int, Field(ge=100, le=120_000, description="Per-request timeout in milliseconds.")
    ] = 10_000
    request_window_ms: Annotated[
        int,
        Field(
            ge=100,
            le=60_000,
            description=(
                "recvWindow sent with signed requests: the venue refuses a request arriving "
                "later than this; an unanswered submit is sent again only after it (+ margin)."
            ),
        ),
    ] = 5_000
    retry_attempts: Annotated[
        int, Field(ge=1, le=10, description="Attempts per request on a transient fault.")
    ] = 4
    retry_base_delay_s: Annotated[
        float, Field(ge=0, le=60, description="First backoff (s); doubles, with jitter.")
    ] = 0.2
    retry_max_delay_s: Annotated[
        float, Field(ge=0, le=300, description="Largest backoff (s), Retry-After aside.")
    ] = 5.0


class RouteConfig(_Section):
    """Where one of our symbols trades."""

    symbol: Annotated[str, Field(min_length=3, description="Our symbol, BASE/QUOTE[:SETTLE].")]
    venue: Annotated[str, Field(min_length=1, description="A key of live.venues.")]
    venue_symbol: Annotated[
        str | None,
        Field(description="The venue's ccxt symbol; default the same as symbol."),
    ] = None

    @property
    def at_venue(self) -> str:
        """Return the symbol as the venue names it."""
        return self.venue_symbol or self.symbol


class LiveConfig(_Section):
    """Live trading: off unless ``enabled``; see the module docstring."""

    enabled: Annotated[
        bool,
        Field(description="Allow `aiswarm run --mode live`. Off: live mode refuses to start."),
    ] = False
    venues: Annotated[dict[str, VenueConfig], Field(description="Venues by our venue id.")] = {}
    routes: Annotated[
        tuple[RouteConfig, ...], Field(description="Our symbol -> venue and venue symbol.")
    ] = ()
    bar_interval_s: Annotated[
        int,
        Field(ge=60, le=86_400, description="Bar length the live driver steps on (whole minutes)."),
    ] = 60
    warmup_bars: Annotated[
        int, Field(ge=0, le=1_000, description="Closed bars shown to the agents at start.")
    ] = 100
    shadow_on_venue_data: Annotated[
        bool,
        Field(
            description=(
                "Shadow mode steps on the routed venue's closed bars (public data, no "
                "credentials) instead of paper.feeds; orders still only go to the record-only "
                "shadow venue."
            )
        ),
    ] = False

    @model_validator(mode="after")
    def _check_routes(self) -> Self:
        """Refuse a route to an unknown venue, and a symbol routed twice."""
        seen: set[str] = set()
        for route in self.routes:
            if route.venue not in self.venues:
                raise ValueError(
                    f"live.routes: {route.symbol} routes to venue {route.venue!r}, which "
                    f"live.venues does not define (defined: {sorted(self.venues) or 'none'})"
                )
            if route.symbol in seen:
                raise ValueError(f"live.routes lists {route.symbol} twice; keep one route")
            seen.add(route.symbol)
        if self.bar_interval_s % 60:
            raise ValueError(
                f"live.bar_interval_s={self.bar_interval_s}; use whole minutes (60, 300, ...)"
            )
        return self
