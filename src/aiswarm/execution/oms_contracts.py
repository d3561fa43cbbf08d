"""What the OMS needs from its collaborators, and what it answers.

The OMS declares the journal it writes to (the event store provides it), its own refusal
codes, and the result of a submit. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from aiswarm.execution.order_state import OrderState
from aiswarm.types import ClientOrderId

__all__ = ["EventJournal", "OmsRefusal", "SubmitResult"]


class EventJournal(Protocol):
    """Where the OMS records what happens, durably, before it takes effect (the event store)."""

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> object:
        """Return once the event is durably recorded."""
        ...

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> object:
        """Return once every event is durably recorded, in order."""
        ...


class OmsRefusal(StrEnum):
    """Why the OMS refused an order, besides an approval that did not verify."""

    CLIENT_ORDER_ID_CONFLICT = "CLIENT_ORDER_ID_CONFLICT"
    KILL_SWITCH_TRIPPED = "KILL_SWITCH_TRIPPED"
    SESSION_PAUSED = "SESSION_PAUSED"
    TRADING_HALTED = "TRADING_HALTED"
    TRADING_REDUCING_ONLY = "TRADING_REDUCING_ONLY"
    WRONG_ACCOUNT = "WRONG_ACCOUNT"
    """The order (and so its approval, which signs the account) is for another account."""
    WRONG_VENUE = "WRONG_VENUE"


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The OMS's answer: accepted (with the order) or refused (with a code and the detail).

    ``duplicate`` is True when the order was already held and nothing new was created.
    """

    client_order_id: ClientOrderId
    accepted: bool
    order: OrderState | None
    code: str | None = None
    detail: str = ""
    duplicate: bool = False
