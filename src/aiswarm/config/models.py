"""The application's settings: what `config/aiswarm.yaml` and `AIS_…` variables may set.

Every model is frozen and rejects unknown keys, so a typo stops startup instead of silently
falling back to a default. Secrets never live in YAML: they come from the environment, from a
file named by `AIS_…_FILE`, or (paper mode only) from the local state directory.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from aiswarm.config.live import LiveConfig
from aiswarm.config.operations import DailyPnlConfig, ReconciliationConfig
from aiswarm.config.secret_bytes import secret_text
from aiswarm.orchestration import ArbitrationConfig
from aiswarm.portfolio import AllocationMode, AllocatorConfig
from aiswarm.risk import Algorithm, RiskLimits
from aiswarm.types import BarFileFormat, Mode

__all__ = [
    "AlertsConfig",
    "ApiConfig",
    "AppConfig",
    "BusConfig",
    "FeedFile",
    "FundingFile",
    "LogConfig",
    "LoopConfig",
    "PaperConfig",
    "StoreConfig",
    "TradingConfig",
]

ENV_PREFIX = "AIS_"
NESTED_DELIMITER = "__"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoreConfig(_Section):
    """Where the append-only event store lives."""

    url: Annotated[
        str,
        Field(
            description=(
                "SQLAlchemy URL of the event store: sqlite+aiosqlite:///path/file.db (embedded "
                "default) or postgresql+asyncpg://user@host:5432/db."
            )
        ),
    ] = "sqlite+aiosqlite:///state/aiswarm.db"


class BusConfig(_Section):
    """The event bus: in-process when ``url`` is null, Redis Streams when it names a Redis."""

    url: Annotated[
        str | None,
        Field(
            pattern=r"^(redis|rediss|unix)://",
            description=(
                "redis://host:6379/0 (rediss:// for TLS, unix:// for a socket) to share market "
                "data and events between processes over Redis Streams; null: the in-process bus."
            ),
        ),
    ] = None
    prefix: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Prefix of every Redis key the bus writes (one per deployment).",
        ),
    ] = "aiswarm:"
    max_deliveries: Annotated[
        int,
        Field(
            ge=1,
            le=1_000,
            description="Deliveries of a message to a group before it is dead-lettered.",
        ),
    ] = 5
    claim_idle_s: Annotated[
        float,
        Field(
            ge=0,
            le=86_400,
            description=(
                "Seconds a message may sit unacknowledged at one consumer before another of "
                "its group takes it over (the first is presumed dead)."
            ),
        ),
    ] = 30.0
    idempotency_ttl_s: Annotated[
        float,
        Field(
            gt=0,
            le=30 * 86_400,
            description="Seconds a publication's idempotency key is remembered.",
        ),
    ] = 86_400.0
    max_stream_length: Annotated[
        int,
        Field(ge=100, le=100_000_000, description="Messages kept per topic; older are trimmed."),
    ] = 100_000


class ApiConfig(_Section):
    """Where the control-plane HTTP API listens."""

    host: Annotated[str, Field(description="Interface to bind; keep 127.0.0.1 unless proxied.")] = (
        "127.0.0.1"
    )
    port: Annotated[int, Field(ge=1, le=65535, description="TCP port of the API.")] = 8000
    cors_origins: Annotated[
        tuple[str, ...],
        Field(
            description=(
                "Browser origins allowed to call the API (e.g. https://ops.example.com); "
                "empty (the default) sends no CORS headers, so browsers refuse cross-origin calls."
            )
        ),
    ] = ()
    rate_limit: Annotated[
        str,
        Field(
            pattern=r"^0*[1-9]\d*\s*/\s*\d*\s*(second|minute|hour|day)s?$",
            description=(
                "Requests each principal may make per window, e.g. '600/minute' (the `limits` "
                "package's notation; the count is at least 1); one more answers 429 until the "
                "window moves on."
            ),
        ),
    ] = "600/minute"
    metrics_public: Annotated[
        bool,
        Field(description="Serve /metrics without a credential (for a scraper); off by default."),
    ] = False
    docs_public: Annotated[
        bool,
        Field(
            description=(
                "Serve the API's description (/openapi.json, /docs, /redoc and their scripts) "
                "without a credential, so a browser can open /docs; off by default."
            )
        ),
    ] = False


class LoopConfig(_Section):
    """The trading loop's pace."""

    interval_s: Annotated[
        float, Field(gt=0, le=86_400, description="Seconds of clock time between cycles.")
    ] = 60.0
    speed: Annotated[
        float,
        Field(
            gt=0,
            le=100_000,
            description=(
                "Clock speed-up for paper replay: 60 runs a 60-second cycle every wall second. "
                "Must be 1 in live mode."
            ),
        ),
    ] = 1.0
    cancel_orders_on_stop: Annotated[
        bool,
        Field(
            description=(
                "On SIGTERM/Ctrl-C, cancel resting orders before stopping (true) or leave them "
                "working at the venue (false)."
            )
        ),
    ] = True


class FeedFile(_Section):
    """One market-data file replayed in paper and shadow mode (read as docs/feeds.md says)."""

    file: Annotated[
        Path,
        Field(
            description=(
                "Path under data_dir (or absolute) of a bar file: CSV, ccxt/freqtrade JSON, "
                "feather, parquet or a Lean trade zip."
            )
        ),
    ]
    venue: Annotated[str, Field(min_length=1, description="Venue id the bars are for.")]
    symbol: Annotated[str, Field(min_length=3, description="Symbol, BASE/QUOTE.")]
    format: Annotated[
        BarFileFormat | None,
        Field(description="The file's format; null detects it from the content."),
    ] = None
    price_decimals: Annotated[
        int | None,
        Field(
            ge=0,
            le=18,
            description=(
                "Decimal places prices are rounded to (2: tick 0.01), half to even; null infers "
                "them from the data and reports them."
            ),
        ),
    ] = None
    volume_decimals: Annotated[
        int | None,
        Field(
            ge=0,
            le=18,
            description="Decimal places volumes are rounded to; null infers them from the data.",
        ),
    ] = None


class FundingFile(_Section):
    """A perpetual's funding rates, replayed with the bars of the symbol they are for."""

    file: Annotated[
        Path,
        Field(description="Path under data_dir (or absolute): a timestamp,rate CSV or Lean CSV."),
    ]
    symbol: Annotated[
        str,
        Field(
            min_length=3,
            description=(
                "The paper feed's symbol the rates are for; its agents see them, and a "
                "perpetual (BASE/QUOTE:SETTLE) held at a settlement pays or receives them."
            ),
        ),
    ]


_SHIPPED_FEEDS = (
    FeedFile(file=Path("coinbase_btcusd_1m_2018-04-04_06.csv"), venue="coinbase", symbol="BTC/USD"),
    FeedFile(file=Path("coinbase_ethusd_1m_2018-04-04_05.csv"), venue="coinbase", symbol="ETH/USD"),
)


class PaperConfig(_Section):
    """The simulated account and data of paper (and shadow) mode."""

    feeds: Annotated[
        tuple[FeedFile, ...], Field(min_length=1, description="Files replayed, one per symbol.")
    ] = _SHIPPED_FEEDS
    funding: Annotated[
        tuple[FundingFile, ...],
        Field(description="Funding-rate files, each for one of the feeds' symbols."),
    ] = ()
    starting_cash: Annotated[
        Decimal, Field(gt=0, description="Quote currency deposited at the start of a session.")
    ] = Decimal(100_000)
    fee_frac: Annotated[
        Decimal, Field(ge=0, lt=Decimal("0.1"), description="Paper fee per fill (0.001 = 0.1%).")
    ] = Decimal("0.001")
    agent_timeout_s: Annotated[
        float, Field(gt=0, description="Wall seconds an agent may take per cycle.")
    ] = 5.0


def _paper_allocator() -> AllocatorConfig:
    """Quarter Kelly by capital at risk, long only: no measured edge, no trade.

    The NAV cap of 8% keeps a full-size order under the default ``max_order_notional_usd``
    (10,000) until NAV passes 125,000, so Kelly's size is not refused by the guard.
    """
    return AllocatorConfig(
        mode=AllocationMode.KELLY,
        kelly_fraction=0.25,
        max_position_frac_of_nav=Decimal("0.08"),
        long_only=True,
    )


class TradingConfig(_Section):
    """What trades and how: agents, arbitration, sizing, risk limits."""

    agents_file: Annotated[
        Path, Field(description="YAML listing the agents (see docs/agents.md).")
    ] = Path("config/agents.yaml")
    mandates_dir: Annotated[
        Path,
        Field(description="Directory of mandate files, one YAML per mandate (docs/mandates.md)."),
    ] = Path("mandates")
    mandate: Annotated[
        str,
        Field(
            min_length=1,
            description=(
                "Id of the mandate every agent trades under unless agent_mandates binds it to "
                "another."
            ),
        ),
    ] = "paper"
    agent_mandates: Annotated[
        dict[str, str],
        Field(
            description=(
                "Agent id -> mandate id, for agents that trade under another mandate than "
                "`mandate` (one mandate per agent; an engine runs several at once)."
            )
        ),
    ] = Field(default_factory=dict)
    enable_at_start: Annotated[
        bool,
        Field(
            description=(
                "Record an ENABLE of the kill switch at start. Off: trading stays HALTED until "
                "an operator enables it."
            )
        ),
    ] = False
    approval_algorithm: Annotated[
        Algorithm,
        Field(
            description=(
                "hmac-sha256 (both sides hold the secret) or ed25519 (the OMS holds only the "
                "public key, so it can verify approvals but never sign one)."
            )
        ),
    ] = Algorithm.HMAC_SHA256
    order_ttl_s: Annotated[
        float | None,
        Field(gt=0, description="Cancel resting (non-market) orders this long after sending."),
    ] = None
    arbitration: ArbitrationConfig = Field(default_factory=ArbitrationConfig)
    allocator: AllocatorConfig = Field(default_factory=_paper_allocator)
    risk: RiskLimits = Field(default_factory=RiskLimits)


class AlertsConfig(_Section):
    """Where alerts go (docs/alerts.md); no Alertmanager URL means the notifier is off."""

    alertmanager_url: Annotated[
        str | None,
        Field(
            pattern=r"^https?://[^\s/]+(/\S*)?$",
            description=(
                "Base URL of Alertmanager (http://127.0.0.1:9093); the runtime posts to its "
                "/api/v2/alerts. null: no notifier (the start-up log says so)."
            ),
        ),
    ] = None
    near_limit_frac: Annotated[
        Decimal,
        Field(
            gt=0,
            le=1,
            description="Alert when drawdown or daily loss reaches this fraction of its limit.",
        ),
    ] = Decimal("0.8")
    hold_s: Annotated[
        float,
        Field(
            gt=0,
            description=(
                "Seconds a firing alert stays firing in Alertmanager without a resend: it "
                "resolves by itself if this process dies."
            ),
        ),
    ] = 300.0
    resend_s: Annotated[
        float, Field(gt=0, description="Wall seconds between resends of a firing alert.")
    ] = 60.0
    timeout_s: Annotated[
        float, Field(gt=0, le=60, description="Seconds one request to Alertmanager may take.")
    ] = 5.0
    attempts: Annotated[
        int, Field(ge=1, le=20, description="Tries per post, with exponential backoff.")
    ] = 5


class LogConfig(_Section):
    """The process's log: JSON lines on stderr (docs/logging.md)."""

    level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"],
        Field(description="Lowest level written."),
    ] = "INFO"


class AppConfig(BaseSettings):
    """Everything the runtime needs to start; validated once, then frozen."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        case_sensitive=False,
    )

    mode: Annotated[Mode, Field(description="paper, shadow or live (backtests set their own).")] = (
        Mode.PAPER
    )
    state_dir: Annotated[
        Path, Field(description="Local state: generated paper-mode secrets, pid, checkpoints.")
    ] = Path("state")
    data_dir: Annotated[
        Path, Field(description="Market data replayed in paper and shadow mode.")
    ] = Path("backtest_data")
    store: StoreConfig = StoreConfig()
    api: ApiConfig = ApiConfig()
    bus: BusConfig = BusConfig()
    loop: LoopConfig = LoopConfig()
    paper: PaperConfig = PaperConfig()
    trading: TradingConfig = Field(default_factory=TradingConfig)
    live: LiveConfig = LiveConfig()
    alerts: AlertsConfig = AlertsConfig()
    log: LogConfig = LogConfig()
    reconciliation: ReconciliationConfig = ReconciliationConfig()
    pnl: DailyPnlConfig = DailyPnlConfig()
    approval_secret: Annotated[
        SecretStr | None,
        Field(
            description=(
                "Signs risk approvals: the HMAC key, or the Ed25519 key's PEM or seed source; "
                "at least 32 bytes once whitespace at either end is removed (docs/approvals.md)."
            )
        ),
    ] = None
    api_key: Annotated[
        SecretStr | None,
        Field(
            description=(
                "Optional bootstrap admin key: a bearer key standing for the principal "
                "'bootstrap' (scope admin); at least 32 bytes. Keys made with `aiswarm keys new` "
                "need no configuration."
            )
        ),
    ] = None

    @field_validator("approval_secret", "api_key", mode="before")
    @classmethod
    def _strip_secret(cls, value: object) -> object:
        """Apply the one secret rule (``secret_bytes``) to a variable's or a file's text."""
        return secret_text(value) if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Let `AIS_…` variables override the YAML file, which arrives as init values."""
        return (env_settings, init_settings)
