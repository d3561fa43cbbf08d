"""Name the events we record, and hold a stored event record. No I/O.

``EventType`` is the one registry of what the event store holds: the store and the in-memory
backtest journal refuse any other type, so a typo in a constant fails its first append instead
of writing records that replay silently ignores. ``DomainEvent`` is the base for facts other
rooms record (each carries when it happened and when we learned of it). ``EventRecord`` is one
row of the append-only, hash-chained event store; its payload is the event dumped with
``to_payload`` (JSON-safe: Decimals become strings).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from aiswarm.types._model import FrozenModel
from aiswarm.types.timestamps import UtcDatetime

__all__ = ["DomainEvent", "EventRecord", "EventType", "to_payload"]


class EventType(StrEnum):
    """Every kind of event the store accepts; a record's ``type`` is one of these values.

    To record a new kind of event, add a member here first (name: the value upper-cased with
    dots as underscores); ``EventStore.append`` refuses a type that is not listed. Values are
    written into hashed records, so a value never changes once released: rename the member,
    never the string. The comment above each group says who appends it today.
    """

    # orchestration/coordinator.py: one cycle's agent outputs and the decisions taken on them
    CYCLE_SIGNALS = "cycle.signals"
    AGENT_FAILED = "agent.failed"
    ARBITRATION_DECISION = "arbitration.decision"
    ALLOCATION = "allocation"
    # orchestration/order_schedule.py: sliced (TWAP/DCA) and re-quoted allocations
    ALLOCATION_SLICE = "allocation.slice"
    ALLOCATION_REQUOTE = "allocation.requote"
    ALLOCATION_WATCH = "allocation.watch"
    # orchestration/order_pipeline.py and kill_switch_control.py
    RISK_DECISION = "risk.decision"
    KILL_SWITCH_CHANGED = "kill_switch.changed"
    # orchestration/flatten_duty.py: each attempt to close a position after a trip, with its
    # outcome (operators alert on any outcome but "placed"), and an operator's stop of it
    KILL_SWITCH_FLATTEN = "kill_switch.flatten"
    KILL_SWITCH_FLATTEN_STOPPED = "kill_switch.flatten_stopped"
    # execution/oms.py (payloads in execution/order_journal.py); ORDER_CANCEL_DEFERRED is a
    # cancel asked before the venue acknowledged the order
    ORDER_SUBMITTED = "order.submitted"
    ORDER_REFUSED = "order.refused"
    ORDER_EVENT = "order.event"
    ORDER_ANOMALY = "order.anomaly"
    ORDER_CANCEL_DEFERRED = "order.cancel_deferred"
    FUNDING = "funding"
    # runtime/spine.py and runtime/engine.py: the account's cash and risk baselines, and a fill
    # or funding payment the books could not take (held aside, trading halted: alert on it)
    PORTFOLIO_DEPOSIT = "portfolio.deposit"
    PORTFOLIO_BASELINE = "portfolio.baseline"
    PORTFOLIO_BREAK = "portfolio.break"
    # Written by versions before the trading engine (each start opened a new account); kept so
    # that such a log still lists by type. Nothing appends it now.
    SESSION_STARTED = "session.started"
    # runtime/engine.py and runtime/host.py: an account's session and the process
    SESSION_CHANGED = "session.changed"
    RUNTIME_STARTED = "runtime.started"
    RUNTIME_STOPPED = "runtime.stopped"
    CYCLE_COMPLETED = "cycle.completed"
    # runtime/composition.py: an account is opened (only when asked, or at the first start)
    ACCOUNT_OPENED = "account.opened"
    # runtime/approval_keys.py (when open_spine starts an account in Ed25519 mode): the public
    # key approvals are signed with, once per key, before the first approval it signs
    APPROVAL_KEY = "approval.key"
    # runtime/approval_rotation.py: a new approval key id (derived from the approval secret,
    # never stored) signs from now on; an older id is refused once its approvals have expired
    APPROVAL_KEY_ROTATED = "approval_key.rotated"
    APPROVAL_KEY_RETIRED = "approval_key.retired"
    # runtime/access_keys.py: API keys (the key's SHA-256, never the key) and their revocation
    ACCESS_KEY_CREATED = "access_key.created"
    ACCESS_KEY_REVOKED = "access_key.revoked"
    # runtime/stream_admin.py: an operator put a dead letter of the bus back on its topic
    BUS_REQUEUED = "bus.requeued"
    # runtime/reconciler.py: one comparison of the engine's book with the venue's, with the
    # action it called for (monitoring/reconciliation.py holds the payload's model)
    RECONCILIATION_REPORT = "reconciliation.report"
    # runtime/monitor.py: an alert started or stopped holding (recorded before Alertmanager is
    # told), and an operator acknowledged one (an Alertmanager silence was created)
    ALERT_CHANGED = "alert.changed"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    # runtime/composition.py (a mandate file's version the log lacks, at start) and
    # runtime/mandate_book.py (an expiry, each step): a mandate, recorded before it takes effect
    MANDATE_CHANGED = "mandate.changed"
    # orchestration/strategy_tracker.py: a strategy (mandate, symbol) moves through its table
    STRATEGY_STATE_CHANGED = "strategy.state_changed"


class DomainEvent(FrozenModel):
    """A fact: ``ts_event`` is when it happened, ``ts_init`` when we learned of it (both UTC)."""

    ts_event: UtcDatetime
    ts_init: UtcDatetime


class EventRecord(FrozenModel):
    """One stored event: its place in the log, time, account, type, payload and hash.

    ``seq`` is the position in the log (gapless, from 0 or 1 as the store decides), ``ts_ns``
    the time appended in nanoseconds since the Unix epoch (UTC), ``account`` the stream it
    belongs to (``""`` only on records written before events carried accounts), and ``hash``
    the lower-case hex SHA-256 digest that chains this record to the one before it. The payload
    dict is not deeply frozen: treat it as read-only.
    """

    seq: int = Field(ge=0)
    ts_ns: int = Field(ge=0)
    account: str = Field(max_length=128)
    type: str = Field(min_length=1)
    payload: dict[str, Any]
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


def to_payload(model: BaseModel) -> dict[str, Any]:
    """Return ``model`` as a JSON-safe dict: Decimals as strings, datetimes as ISO 8601 UTC."""
    return model.model_dump(mode="json")
