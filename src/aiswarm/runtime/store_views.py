"""Read what operators ask about from the event store: order histories, fills, cycles, refusals.

Everything here is rebuilt from the account's stream on each call, so it is the same after a
restart as before it (nothing is kept in memory that the log does not hold). Each function reads
only the event types it needs. Answers are plain data: ``seq`` and ``ts_ns`` integers, payload
values as stored (decimals as their exact text).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import aclosing
from typing import Any

from aiswarm.store import EventStore
from aiswarm.types import EventType

__all__ = [
    "ORDER_HISTORY_TYPES",
    "STREAMED_TYPES",
    "cycles",
    "fills",
    "order_histories",
    "reconciliation_reports",
    "refusals_by_reason",
]

ORDER_HISTORY_TYPES = (
    EventType.ORDER_SUBMITTED,
    EventType.ORDER_EVENT,
    EventType.ORDER_REFUSED,
    EventType.ORDER_ANOMALY,
    EventType.ORDER_CANCEL_DEFERRED,
)
_CYCLE_TYPES = (
    EventType.CYCLE_SIGNALS,
    EventType.AGENT_FAILED,
    EventType.ARBITRATION_DECISION,
    EventType.ALLOCATION,
    EventType.RISK_DECISION,
    EventType.CYCLE_COMPLETED,
)
STREAMED_TYPES = (
    *ORDER_HISTORY_TYPES,
    EventType.RISK_DECISION,
    EventType.KILL_SWITCH_CHANGED,
    EventType.KILL_SWITCH_FLATTEN,
    EventType.KILL_SWITCH_FLATTEN_STOPPED,
    EventType.PORTFOLIO_BREAK,
    EventType.RECONCILIATION_REPORT,
    EventType.AGENT_FAILED,
    EventType.SESSION_CHANGED,
    EventType.RUNTIME_STARTED,
    EventType.RUNTIME_STOPPED,
)
"""What ``/events/stream`` carries: orders, fills, risk events, alerts, state changes."""


async def _records(
    store: EventStore, types: Collection[str], account: str, after_seq: int = 0
) -> AsyncIterator[tuple[int, int, str, dict[str, Any]]]:
    replay = store.replay(types=types, account=account, after_seq=after_seq)
    async with aclosing(replay) as events:
        async for event in events:
            yield event.seq, event.ts_ns, event.type, event.payload


def _step(seq: int, ts_ns: int, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return one step of an order's history: what happened, when, and its numbers."""
    step: dict[str, Any] = {"seq": seq, "recorded_ns": ts_ns, "type": kind}
    for key in ("trigger", "ts_ns", "reason", "code", "detail", "fill_quantity", "fill_price"):
        if key in payload:
            step[key] = payload[key]
    return step


async def order_histories(
    store: EventStore, account: str, client_order_ids: Collection[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Return each order's recorded steps, oldest first (only ``client_order_ids`` if given)."""
    histories: dict[str, list[dict[str, Any]]] = {}
    async for seq, ts_ns, kind, payload in _records(store, ORDER_HISTORY_TYPES, account):
        spec = payload.get("spec")
        order_id = spec.get("client_order_id") if isinstance(spec, Mapping) else None
        order_id = order_id or payload.get("client_order_id")
        if not isinstance(order_id, str):
            continue
        if client_order_ids is not None and order_id not in client_order_ids:
            continue
        histories.setdefault(order_id, []).append(_step(seq, ts_ns, kind, payload))
    return histories


async def fills(
    store: EventStore, account: str, after_seq: int, limit: int
) -> list[dict[str, Any]]:
    """Return up to ``limit`` fills recorded after ``after_seq``, oldest first."""
    found: list[dict[str, Any]] = []
    types = (EventType.ORDER_EVENT,)
    async for seq, _, _, payload in _records(store, types, account, after_seq):
        fill = payload.get("fill")
        if payload.get("trigger") == "fill" and isinstance(fill, Mapping):
            found.append({"seq": seq, **fill})
            if len(found) >= limit:
                break
    return found


async def cycles(store: EventStore, account: str, last: int) -> list[dict[str, Any]]:
    """Return the ``last`` completed cycles, newest last, each with its signals and decisions.

    A cycle is the records between two ``cycle.completed`` checkpoints: the agents' signals and
    failures, arbitration's decisions, the allocations and the risk decisions.
    """
    done: deque[dict[str, Any]] = deque(maxlen=last)
    current: dict[str, list[Any]] = {"signals": [], "agent_failures": [], "decisions": []}
    current |= {"allocations": [], "risk_decisions": []}
    key = {
        EventType.CYCLE_SIGNALS: "signals",
        EventType.AGENT_FAILED: "agent_failures",
        EventType.ARBITRATION_DECISION: "decisions",
        EventType.ALLOCATION: "allocations",
        EventType.RISK_DECISION: "risk_decisions",
    }
    async for seq, _, kind, payload in _records(store, _CYCLE_TYPES, account):
        if kind != EventType.CYCLE_COMPLETED:
            current[key[EventType(kind)]].append(payload)
            continue
        done.append({"seq": seq, **payload, **current})
        current = {name: [] for name in current}
    return list(done)


async def refusals_by_reason(store: EventStore, account: str) -> dict[str, Any]:
    """Count the risk engine's and the OMS's refusals by reason code."""
    risk: Counter[str] = Counter()
    oms: Counter[str] = Counter()
    types = (EventType.RISK_DECISION, EventType.ORDER_REFUSED)
    async for _, _, kind, payload in _records(store, types, account):
        if kind == EventType.ORDER_REFUSED:
            oms[str(payload.get("code"))] += 1
        elif payload.get("approved") is False:
            for refusal in payload.get("refusals", ()):
                risk[str(refusal.get("code"))] += 1
    return {
        "risk": dict(sorted(risk.items())),
        "oms": dict(sorted(oms.items())),
        "total": sum(risk.values()) + sum(oms.values()),
    }


async def reconciliation_reports(
    store: EventStore, account: str, last: int
) -> list[dict[str, Any]]:
    """Return the ``last`` reconciliation reports, newest last."""
    kept: deque[dict[str, Any]] = deque(maxlen=last)
    types = (EventType.RECONCILIATION_REPORT,)
    async for seq, _, _, payload in _records(store, types, account):
        kept.append({"seq": seq, **payload})
    return list(kept)
