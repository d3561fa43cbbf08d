"""The reconciliation report: what is compared, how each section came out, each mismatch.

Pydantic models because a report crosses boundaries: it is stored as an event, served by the
API and printed by the CLI. Both sides of a mismatch are text (exact decimals, ``absent`` or
``unknown``) so nothing is lost or rounded on the way. No I/O.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "UNKNOWN",
    "Action",
    "Mismatch",
    "MismatchKind",
    "ReconciliationReport",
    "Section",
    "SectionResult",
    "SectionStatus",
]

UNKNOWN = "unknown"
"""The venue side of a section whose query failed: not zero, not empty, not known."""


class Section(StrEnum):
    """What is compared."""

    ORDERS = "orders"
    POSITIONS = "positions"
    BALANCES = "balances"


class SectionStatus(StrEnum):
    """How one section came out."""

    MATCHED = "matched"
    MISMATCHED = "mismatched"
    UNKNOWN = "unknown"  # the venue query failed
    NOT_OFFERED = "not_offered"  # this venue does not report the section


class MismatchKind(StrEnum):
    """Why a line is in the report."""

    ORDER_MISSING_AT_VENUE = "order_missing_at_venue"
    ORDER_UNKNOWN_TO_ENGINE = "order_unknown_to_engine"
    ORDER_FILL_DIFFERS = "order_fill_differs"
    POSITION_DIFFERS = "position_differs"
    BALANCE_DIFFERS = "balance_differs"
    VENUE_QUERY_FAILED = "venue_query_failed"


class Action(StrEnum):
    """What the runtime does with a report."""

    NONE = "none"
    ALERT = "alert"
    HALT = "halt"


class Mismatch(BaseModel):
    """One difference, with both sides as text (exact decimals, ``absent`` or ``unknown``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    section: Section
    kind: MismatchKind
    key: str = Field(description="Client order id, symbol or currency; the section for a query.")
    engine: str = Field(description="The engine's side.")
    venue: str = Field(description="The venue's side; 'unknown' when its query failed.")
    detail: str = Field(description="One line saying what differs.")


class SectionResult(BaseModel):
    """One section's outcome and how many entries each side held."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    section: Section
    status: SectionStatus
    engine_entries: int
    venue_entries: int | None = Field(description="None when unknown or not offered.")
    error: str | None = None


class ReconciliationReport(BaseModel):
    """One comparison of the engine's book with the venue's (stored as an event, served)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    report_id: str = Field(description="Deterministic: the same account, venue and time.")
    account: str
    venue: str
    ts_ns: int = Field(ge=0)
    sections: list[SectionResult]
    mismatches: list[Mismatch]
    unknown_rounds: int = Field(ge=0, description="Reports in a row with a failed query.")
    action: Action = Action.NONE
    action_reason: str = ""
