"""The pure comparison: each drift shows with both sides; a failed query is unknown, not flat."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aiswarm.monitoring.reconciliation import (
    UNKNOWN,
    Action,
    Answered,
    EngineBook,
    Failed,
    MismatchKind,
    NotOffered,
    OrderView,
    ReconciliationReport,
    SectionStatus,
    Thresholds,
    VenueBook,
    compare,
)
from aiswarm.monitoring.reconciliation_markdown import to_markdown

STEP = Decimal("0.001")
ORDER = OrderView("BTC/USD", "buy", Decimal("0.5"), Decimal(0))
ENGINE = EngineBook(
    open_orders={"o-1": ORDER},
    positions={"BTC/USD": Decimal("1.25")},
    balances={"USD": Decimal("1000")},
)


AGREEING = VenueBook(
    open_orders=Answered({"o-1": ORDER}),
    positions=Answered({"BTC/USD": Decimal("1.25")}),
    balances=NotOffered(),
)


def _venue(**sections: Any) -> VenueBook:
    return replace(AGREEING, **sections)


def _compare(
    venue: VenueBook, thresholds: Thresholds | None = None, before: int = 0
) -> ReconciliationReport:
    return compare(
        "acct",
        "coinbase",
        1_000,
        ENGINE,
        venue,
        {"BTC/USD": STEP},
        thresholds or Thresholds(),
        before,
    )


def test_compare_when_books_agree_then_no_mismatch_and_balances_not_offered() -> None:
    report = _compare(_venue())

    assert report.mismatches == []
    assert report.action is Action.NONE
    statuses = [section.status for section in report.sections]
    assert statuses == [SectionStatus.MATCHED, SectionStatus.MATCHED, SectionStatus.NOT_OFFERED]


def test_compare_when_order_missing_at_venue_then_reported_with_both_sides() -> None:
    report = _compare(_venue(open_orders=Answered({})))

    [mismatch] = report.mismatches
    assert mismatch.kind is MismatchKind.ORDER_MISSING_AT_VENUE
    assert mismatch.key == "o-1"
    assert mismatch.engine == "buy 0.5 BTC/USD filled 0"
    assert mismatch.venue == "absent"
    assert report.action is Action.ALERT


def test_compare_when_position_off_by_one_step_then_reported_in_steps() -> None:
    report = _compare(_venue(positions=Answered({"BTC/USD": Decimal("1.251")})))

    [mismatch] = report.mismatches
    assert mismatch.kind is MismatchKind.POSITION_DIFFERS
    assert (mismatch.engine, mismatch.venue) == ("1.25", "1.251")
    assert "(1 steps of 0.001)" in mismatch.detail


def test_compare_when_one_step_within_tolerance_then_not_drift() -> None:
    venue = _venue(positions=Answered({"BTC/USD": Decimal("1.251")}))

    report = _compare(venue, Thresholds(position_tolerance_steps=1))

    assert report.mismatches == []


def test_compare_when_position_query_fails_then_unknown_never_flat() -> None:
    report = _compare(_venue(positions=Failed("ConnectionError: venue down")))

    [mismatch] = report.mismatches
    assert mismatch.kind is MismatchKind.VENUE_QUERY_FAILED
    assert mismatch.venue == UNKNOWN
    positions = report.sections[1]
    assert positions.status is SectionStatus.UNKNOWN
    assert positions.venue_entries is None  # not 0: nothing is known about the venue's book
    assert report.unknown_rounds == 1
    assert "0" not in mismatch.venue


def test_compare_when_venue_holds_unknown_order_then_reported() -> None:
    stray = OrderView("ETH/USD", "sell", Decimal(2), Decimal(1))

    report = _compare(_venue(open_orders=Answered({"o-1": ORDER, "x-9": stray})))

    [mismatch] = report.mismatches
    assert mismatch.kind is MismatchKind.ORDER_UNKNOWN_TO_ENGINE
    assert (mismatch.engine, mismatch.venue) == ("absent", "sell 2 ETH/USD filled 1")


def test_decide_when_mismatches_reach_halt_threshold_then_halt() -> None:
    venue = _venue(
        open_orders=Answered({}),
        positions=Answered({"BTC/USD": Decimal(0)}),
        balances=Answered({"USD": Decimal(999)}),
    )

    report = _compare(venue, Thresholds(halt_at_mismatches=3))

    assert len(report.mismatches) == 3
    assert report.action is Action.HALT
    assert "halt_at_mismatches=3" in report.action_reason


def test_decide_when_unknown_rounds_reach_threshold_then_halt() -> None:
    failed = _venue(open_orders=Failed("timeout"))
    thresholds = Thresholds(halt_at_mismatches=None, halt_at_unknown_rounds=2)

    first = _compare(failed, thresholds)
    second = _compare(failed, thresholds, before=first.unknown_rounds)

    assert first.action is Action.ALERT
    assert second.action is Action.HALT
    assert second.unknown_rounds == 2


def test_compare_when_venue_answers_again_then_unknown_rounds_reset() -> None:
    assert _compare(_venue(), before=5).unknown_rounds == 0


def test_report_id_when_same_inputs_then_same_id() -> None:
    assert _compare(_venue()).report_id == _compare(_venue()).report_id


def test_markdown_when_mismatch_then_lists_both_sides() -> None:
    text = to_markdown(_compare(_venue(positions=Answered({"BTC/USD": Decimal("1.251")}))))

    assert "| positions | position_differs | BTC/USD | 1.25 | 1.251 |" in text
    assert "**Action: alert**" in text


quantities = st.decimals(min_value=-100, max_value=100, places=3, allow_nan=False)


@given(mine=quantities, theirs=quantities)
def test_compare_positions_when_any_quantities_then_mismatch_iff_they_differ(
    mine: Decimal, theirs: Decimal
) -> None:
    engine = EngineBook(open_orders={}, positions={"BTC/USD": mine}, balances={})
    venue = VenueBook(Answered({}), Answered({"BTC/USD": theirs}), NotOffered())

    report = compare("a", "v", 0, engine, venue, {"BTC/USD": STEP}, Thresholds())

    assert bool(report.mismatches) == (mine != theirs)
    if report.mismatches:
        assert Decimal(report.mismatches[0].venue) == theirs
