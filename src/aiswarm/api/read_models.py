"""The typed answers of the read, trading-state, reconciliation and PnL routes (OpenAPI schemas).

Money is exact decimal text (``"100000.5"``), times are integer nanoseconds with an ISO 8601
sibling (see ``presentation``). Models name the fields a client can rely on and allow more
(``extra="allow"``): a recorded payload carries what its writer recorded, shown as stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Balance",
    "Check",
    "Cycle",
    "FillOut",
    "OrderStep",
    "OrderWithHistory",
    "PnlDay",
    "PnlStatus",
    "Portfolio",
    "Readiness",
    "ReconciliationOut",
    "Refusals",
    "StreamedEvent",
    "TradingStateOut",
]

Money = str | None


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Check(BaseModel):
    """One readiness check."""

    ok: bool
    detail: str


class Readiness(BaseModel):
    """Whether the store, the venue and the loop are healthy (503 when not)."""

    ready: bool
    checks: dict[str, Check]


class Portfolio(_Open):
    """The account's cash, NAV and PnL, the drawdown baselines and fees (USD)."""

    account: str
    cash: str
    nav: Money = Field(description="None while an open position has no price yet.")
    pnl: Money
    starting_cash: str
    peak_nav: Money
    day: str | None = Field(description="The UTC day the day-open NAV belongs to.")
    day_open_nav: Money
    total_fees: str
    open_positions: int


class Balance(BaseModel):
    """Cash in one currency as the engine books it."""

    currency: str
    amount: str


class OrderStep(_Open):
    """One recorded step of an order: its record's seq and type, the trigger, the numbers."""

    seq: int
    recorded_ns: int
    type: str


class OrderWithHistory(_Open):
    """An order's current state and every recorded step, oldest first."""

    client_order_id: str
    status: str
    filled_quantity: str
    average_fill_price: Money
    spec: dict[str, Any]
    history: list[OrderStep]


class FillOut(_Open):
    """One fill as recorded for accounting."""

    seq: int
    client_order_id: str
    symbol: str
    side: str
    quantity: str
    price: str
    fee: str
    trade_id: str


class Cycle(_Open):
    """One completed cycle: its checkpoint, the agents' signals and the decisions taken."""

    seq: int
    step: int
    now_ns: int
    signals: list[Any]
    agent_failures: list[Any]
    decisions: list[Any]
    allocations: list[Any]
    risk_decisions: list[Any]


class Refusals(BaseModel):
    """Refusals counted by reason code: by the risk engine's guards and by the OMS."""

    risk: dict[str, int]
    oms: dict[str, int]
    total: int


class TradingStateOut(BaseModel):
    """ACTIVE, REDUCING or HALTED, the latch, and the session."""

    state: str
    latched: bool
    flatten_owed: bool
    session: str


class PnlDay(BaseModel):
    """One UTC day's opening NAV, last NAV, PnL and the state changes the PnL bounds made."""

    day: str
    open_nav: Money
    last_nav: Money
    pnl: Money
    state_changes: list[dict[str, Any]]


class PnlStatus(BaseModel):
    """Today's PnL, the configured bounds, and every recorded day."""

    account: str
    day: str
    today_pnl: Money
    profit_target_usd: Money
    loss_limit_usd: Money
    on_profit_target: str
    trading_state: str
    days: list[PnlDay]


class ReconciliationOut(_Open):
    """One reconciliation report (docs/reconciliation.md); ``markdown`` when just run."""

    report_id: str
    account: str
    venue: str
    ts_ns: int
    sections: list[dict[str, Any]]
    mismatches: list[dict[str, Any]]
    unknown_rounds: int
    action: str
    action_reason: str


class StreamedEvent(BaseModel):
    """The data of one server-sent event; the SSE ``id`` is ``seq``, the ``event`` the type."""

    seq: int
    ts_ns: int
    account: str
    type: str
    payload: dict[str, Any]
