"""Compare the engine's book with the venue's, and say what differs. No I/O, no clock.

Three sections are compared: open orders (by client order id: present on both sides, with the
same filled quantity), positions (signed base quantity per symbol) and balances (per currency).
The venue's side of each section is an answer (``Answered``), a failed query (``Failed``) or
something this venue does not report (``NotOffered``). A failed query is *unknown*: it is
reported as a mismatch with the venue side ``"unknown"`` and never read as an empty book, so a
venue outage can never look like "flat, nothing open". Within an answered section a missing key
does mean zero: the venue listed everything it holds.

``decide`` turns a report into an action against configured thresholds: nothing, an alert, or a
halt (the runtime trips the kill switch with the reason). It is pure so the thresholds can be
tested exhaustively.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from aiswarm.monitoring.reconciliation_report import (
    UNKNOWN,
    Action,
    Mismatch,
    MismatchKind,
    ReconciliationReport,
    Section,
    SectionResult,
    SectionStatus,
)
from aiswarm.types.money import plain as _plain

__all__ = [
    "UNKNOWN",
    "Action",
    "Answered",
    "EngineBook",
    "Failed",
    "Mismatch",
    "MismatchKind",
    "NotOffered",
    "OrderView",
    "ReconciliationReport",
    "SectionResult",
    "SectionStatus",
    "Thresholds",
    "VenueBook",
    "compare",
    "decide",
]

_ZERO = Decimal(0)
T = TypeVar("T")
_Differ = Callable[[Mapping[str, Any], Mapping[str, Any]], "list[Mismatch]"]


@dataclass(frozen=True, slots=True)
class Answered(Generic[T]):
    """The venue answered the query with ``value``."""

    value: T


@dataclass(frozen=True, slots=True)
class Failed:
    """The venue query failed; ``reason`` says how (timeout, error text)."""

    reason: str


@dataclass(frozen=True, slots=True)
class NotOffered:
    """The venue does not report this section (a paper venue keeps no cash, say)."""


Outcome = Answered[T] | Failed | NotOffered


@dataclass(frozen=True, slots=True)
class OrderView:
    """One open order as either side sees it: symbol, side, quantity and filled (base units)."""

    symbol: str
    side: str
    quantity: Decimal
    filled_quantity: Decimal


@dataclass(frozen=True, slots=True)
class EngineBook:
    """The engine's side: open orders by client order id, positions, balances."""

    open_orders: Mapping[str, OrderView]
    positions: Mapping[str, Decimal]
    balances: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class VenueBook:
    """The venue's side, each section an outcome of its own query."""

    open_orders: Answered[Mapping[str, OrderView]] | Failed | NotOffered
    positions: Answered[Mapping[str, Decimal]] | Failed | NotOffered
    balances: Answered[Mapping[str, Decimal]] | Failed | NotOffered


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a report is acted on.

    ``alert_at_mismatches``: alert once a report holds at least this many mismatches.
    ``halt_at_mismatches``: halt once a report holds at least this many (None: never).
    ``halt_at_unknown_rounds``: halt once this many reports in a row had a failed venue query
    (None: never). ``position_tolerance_steps``: a position difference of at most this many of
    the symbol's step sizes is not a mismatch (0: any difference is).
    """

    alert_at_mismatches: int = 1
    halt_at_mismatches: int | None = 3
    halt_at_unknown_rounds: int | None = 3
    position_tolerance_steps: int = 0


def report_id(account: str, venue: str, ts_ns: int, round_number: int) -> str:
    """Return the report's id: a digest of what identifies it, so a re-run names it the same."""
    digest = hashlib.sha256(f"{account}|{venue}|{ts_ns}|{round_number}".encode()).hexdigest()
    return f"recon-{digest[:16]}"


def compare(
    account: str,
    venue: str,
    ts_ns: int,
    engine: EngineBook,
    venue_book: VenueBook,
    step_sizes: Mapping[str, Decimal],
    thresholds: Thresholds,
    unknown_rounds_before: int = 0,
    round_number: int = 0,
) -> ReconciliationReport:
    """Return the report of ``engine`` against ``venue_book``, with the action it calls for.

    ``step_sizes`` (base units per symbol) scale the position tolerance and the "off by N
    steps" detail. ``unknown_rounds_before`` is how many reports in a row before this one had a
    failed query; ``round_number`` counts the account's earlier reports (for the id).
    """
    sections: list[SectionResult] = []
    mismatches: list[Mismatch] = []
    compared: list[tuple[Section, Mapping[str, Any], Outcome[Any], _Differ]] = [
        (Section.ORDERS, engine.open_orders, venue_book.open_orders, _order_mismatches),
        (
            Section.POSITIONS,
            engine.positions,
            venue_book.positions,
            _position_differ(step_sizes, thresholds),
        ),
        (Section.BALANCES, engine.balances, venue_book.balances, _balance_mismatches),
    ]
    for section, mine, theirs, differ in compared:
        result, found = _section(section, mine, theirs, differ)
        sections.append(result)
        mismatches.extend(found)
    unknown = any(result.status is SectionStatus.UNKNOWN for result in sections)
    rounds = unknown_rounds_before + 1 if unknown else 0
    report = ReconciliationReport(
        report_id=report_id(account, venue, ts_ns, round_number),
        account=account,
        venue=venue,
        ts_ns=ts_ns,
        sections=sections,
        mismatches=mismatches,
        unknown_rounds=rounds,
    )
    action, reason = decide(report, thresholds)
    return report.model_copy(update={"action": action, "action_reason": reason})


def decide(report: ReconciliationReport, thresholds: Thresholds) -> tuple[Action, str]:
    """Return the action ``report`` calls for under ``thresholds``, and why."""
    count = len(report.mismatches)
    halt_at = thresholds.halt_at_mismatches
    if halt_at is not None and count >= halt_at:
        return Action.HALT, f"reconciliation: {count} mismatches >= halt_at_mismatches={halt_at}"
    rounds_at = thresholds.halt_at_unknown_rounds
    if rounds_at is not None and report.unknown_rounds >= rounds_at:
        return Action.HALT, (
            f"reconciliation: venue state unknown for {report.unknown_rounds} reports in a row "
            f">= halt_at_unknown_rounds={rounds_at}"
        )
    if count >= thresholds.alert_at_mismatches and count > 0:
        return Action.ALERT, (
            f"reconciliation: {count} mismatches >= alert_at_mismatches="
            f"{thresholds.alert_at_mismatches}"
        )
    return Action.NONE, ""


def _section(
    section: Section,
    mine: Mapping[str, Any],
    theirs: Outcome[Any],
    differ: _Differ,
) -> tuple[SectionResult, list[Mismatch]]:
    if isinstance(theirs, NotOffered):
        result = SectionResult(
            section=section,
            status=SectionStatus.NOT_OFFERED,
            engine_entries=len(mine),
            venue_entries=None,
        )
        return result, []
    if isinstance(theirs, Failed):
        failed = Mismatch(
            section=section,
            kind=MismatchKind.VENUE_QUERY_FAILED,
            key=section.value,
            engine=f"{len(mine)} entries",
            venue=UNKNOWN,
            detail=f"the venue's {section.value} query failed: {theirs.reason}",
        )
        result = SectionResult(
            section=section,
            status=SectionStatus.UNKNOWN,
            engine_entries=len(mine),
            venue_entries=None,
            error=theirs.reason,
        )
        return result, [failed]
    found = differ(mine, theirs.value)
    status = SectionStatus.MISMATCHED if found else SectionStatus.MATCHED
    result = SectionResult(
        section=section, status=status, engine_entries=len(mine), venue_entries=len(theirs.value)
    )
    return result, found


def _order_mismatches(
    mine: Mapping[str, OrderView], theirs: Mapping[str, OrderView]
) -> list[Mismatch]:
    found: list[Mismatch] = []
    for key in sorted(set(mine) | set(theirs)):
        ours, venue = mine.get(key), theirs.get(key)
        if venue is None:
            assert ours is not None
            found.append(
                _order(
                    key,
                    MismatchKind.ORDER_MISSING_AT_VENUE,
                    _text(ours),
                    "absent",
                    f"open in the engine, not open at the venue: {_text(ours)}",
                )
            )
        elif ours is None:
            found.append(
                _order(
                    key,
                    MismatchKind.ORDER_UNKNOWN_TO_ENGINE,
                    "absent",
                    _text(venue),
                    f"open at the venue, not open in the engine: {_text(venue)}",
                )
            )
        elif ours.filled_quantity != venue.filled_quantity:
            found.append(
                _order(
                    key,
                    MismatchKind.ORDER_FILL_DIFFERS,
                    _text(ours),
                    _text(venue),
                    f"filled {_plain(ours.filled_quantity)} in the engine, "
                    f"{_plain(venue.filled_quantity)} at the venue",
                )
            )
    return found


def _order(key: str, kind: MismatchKind, engine: str, venue: str, detail: str) -> Mismatch:
    return Mismatch(
        section=Section.ORDERS, kind=kind, key=key, engine=engine, venue=venue, detail=detail
    )


def _text(order: OrderView) -> str:
    return (
        f"{order.side} {_plain(order.quantity)} {order.symbol} "
        f"filled {_plain(order.filled_quantity)}"
    )


def _position_differ(step_sizes: Mapping[str, Decimal], thresholds: Thresholds) -> _Differ:
    def differ(mine: Mapping[str, Decimal], theirs: Mapping[str, Decimal]) -> list[Mismatch]:
        found: list[Mismatch] = []
        for symbol in sorted(set(mine) | set(theirs)):
            ours, venue = mine.get(symbol, _ZERO), theirs.get(symbol, _ZERO)
            difference = venue - ours
            if difference == 0:
                continue
            step = step_sizes.get(symbol)
            steps = None if step is None or step <= 0 else abs(difference) / step
            if steps is not None and steps <= thresholds.position_tolerance_steps:
                continue
            off = "" if steps is None else f" ({_plain(steps)} steps of {_plain(step or _ZERO)})"
            found.append(
                Mismatch(
                    section=Section.POSITIONS,
                    kind=MismatchKind.POSITION_DIFFERS,
                    key=symbol,
                    engine=_plain(ours),
                    venue=_plain(venue),
                    detail=f"venue - engine = {_plain(difference)}{off}",
                )
            )
        return found

    return differ


def _balance_mismatches(
    mine: Mapping[str, Decimal], theirs: Mapping[str, Decimal]
) -> list[Mismatch]:
    found: list[Mismatch] = []
    for currency in sorted(set(mine) | set(theirs)):
        ours, venue = mine.get(currency, _ZERO), theirs.get(currency, _ZERO)
        if ours != venue:
            found.append(
                Mismatch(
                    section=Section.BALANCES,
                    kind=MismatchKind.BALANCE_DIFFERS,
                    key=currency,
                    engine=_plain(ours),
                    venue=_plain(venue),
                    detail=f"venue - engine = {_plain(venue - ours)}",
                )
            )
    return found
