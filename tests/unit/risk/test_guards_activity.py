"""Specs for activity guards: open orders, order rates, duplicates, circuit breaker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.risk.guards_activity import (
    check_circuit_breaker,
    check_duplicate_order,
    check_open_orders,
    check_order_rate_day,
    check_order_rate_second,
)
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason
from aiswarm.risk.views import ActivitySnapshot, order_fingerprint
from kit.builders import order_spec
from kit.guards import NOW_NS, SECOND_NS, account, buy, flattening_context, guard_context

DAY_NS = 86_400 * SECOND_NS


def test_open_orders_when_below_limit_then_passes() -> None:
    ctx = guard_context(activity=ActivitySnapshot(open_orders_count=49))
    assert check_open_orders(ctx) is None


def test_open_orders_when_at_limit_then_refused() -> None:
    # Arrange: default limit 50
    ctx = guard_context(activity=ActivitySnapshot(open_orders_count=50))

    # Act
    refusal = check_open_orders(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "OPEN_ORDERS_LIMIT open_orders=50 limit=50"


def test_order_rate_second_when_limit_reached_within_last_second_then_refused() -> None:
    # Arrange: default 5 per second; five orders in (now - 1 s, now]
    times = tuple(NOW_NS - offset for offset in (900_000_000, 500_000_000, 3, 2, 1))
    ctx = guard_context(activity=ActivitySnapshot(order_times_ns=times))

    # Act
    refusal = check_order_rate_second(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "ORDER_RATE_SECOND orders_last_second=5 limit=5"


def test_order_rate_second_when_oldest_order_exactly_one_second_ago_then_passes() -> None:
    # Arrange: the window is half-open, so an order at now - 1 s has left it
    times = (NOW_NS - SECOND_NS, NOW_NS - 4, NOW_NS - 3, NOW_NS - 2, NOW_NS - 1)
    ctx = guard_context(activity=ActivitySnapshot(order_times_ns=times))

    # Act / Assert
    assert check_order_rate_second(ctx) is None


def test_order_rate_day_when_limit_reached_today_then_refused() -> None:
    # Arrange: 3 per day; NOW is 01:00 UTC, so orders at 00:00:00 and later count
    day_start = NOW_NS - NOW_NS % DAY_NS
    times = (day_start, day_start + 10 * SECOND_NS, day_start + 20 * SECOND_NS)
    limits = RiskLimits(max_orders_per_day=3)
    ctx = guard_context(activity=ActivitySnapshot(order_times_ns=times), limits=limits)

    # Act
    refusal = check_order_rate_day(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == "ORDER_RATE_DAY orders_today=3 limit=3"


def test_order_rate_day_when_earlier_orders_were_yesterday_then_passes() -> None:
    # Arrange
    day_start = NOW_NS - NOW_NS % DAY_NS
    times = (day_start - 2, day_start - 1, day_start + 10 * SECOND_NS)
    limits = RiskLimits(max_orders_per_day=3)
    ctx = guard_context(activity=ActivitySnapshot(order_times_ns=times), limits=limits)

    # Act / Assert
    assert check_order_rate_day(ctx) is None


def test_duplicate_order_when_same_order_within_window_then_refused() -> None:
    # Arrange: default window 2 s; the same order went out 0.5 s ago
    spec = buy("0.02")
    recent = {order_fingerprint(spec): NOW_NS - SECOND_NS // 2}
    ctx = guard_context(spec, activity=ActivitySnapshot(recent_fingerprints=recent))

    # Act
    refusal = check_duplicate_order(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "DUPLICATE_ORDER symbol=BTC/USDT side=buy quantity=0.02 limit_price=50000 "
        "age_s=0.5 window_s=2"
    )


def test_duplicate_order_when_window_has_passed_then_passes() -> None:
    # Arrange
    spec = buy("0.02")
    recent = {order_fingerprint(spec): NOW_NS - 2 * SECOND_NS}
    ctx = guard_context(spec, activity=ActivitySnapshot(recent_fingerprints=recent))

    # Act / Assert
    assert check_duplicate_order(ctx) is None


def test_duplicate_order_when_price_differs_then_passes() -> None:
    # Arrange
    earlier = buy("0.02", limit_price=Decimal("49999"))
    recent = {order_fingerprint(earlier): NOW_NS - 1}
    ctx = guard_context(buy("0.02"), activity=ActivitySnapshot(recent_fingerprints=recent))

    # Act / Assert
    assert check_duplicate_order(ctx) is None


def test_duplicate_order_when_window_zero_then_check_is_off() -> None:
    # Arrange
    spec = buy("0.02")
    recent = {order_fingerprint(spec): NOW_NS}
    ctx = guard_context(
        spec,
        activity=ActivitySnapshot(recent_fingerprints=recent),
        limits=RiskLimits(duplicate_window_s=0),
    )

    # Act / Assert
    assert check_duplicate_order(ctx) is None


def test_duplicate_order_when_same_quantity_written_differently_then_still_refused() -> None:
    # Arrange: 0.020 and 0.02 are the same quantity
    earlier = order_spec(quantity=Decimal("0.020"))
    recent = {order_fingerprint(earlier): NOW_NS - 1}
    ctx = guard_context(buy("0.02"), activity=ActivitySnapshot(recent_fingerprints=recent))

    # Act / Assert
    refusal = check_duplicate_order(ctx)
    assert refusal is not None
    assert refusal.code is Reason.DUPLICATE_ORDER


def test_circuit_breaker_when_rejections_below_threshold_then_passes() -> None:
    ctx = guard_context(
        activity=ActivitySnapshot(consecutive_rejections=4, last_rejection_ns=NOW_NS)
    )
    assert check_circuit_breaker(ctx) is None


def test_circuit_breaker_when_threshold_reached_within_cooldown_then_refused() -> None:
    # Arrange: 5 rejections, the last 12 s ago, cooldown 60 s
    activity = ActivitySnapshot(consecutive_rejections=5, last_rejection_ns=NOW_NS - 12 * SECOND_NS)
    ctx = guard_context(activity=activity)

    # Act
    refusal = check_circuit_breaker(ctx)

    # Assert
    assert refusal is not None
    assert str(refusal) == (
        "CIRCUIT_BREAKER_OPEN rejections=5 threshold=5 since_last_rejection_s=12 cooldown_s=60"
    )


def test_circuit_breaker_when_cooldown_passed_then_lets_orders_through() -> None:
    # Arrange
    activity = ActivitySnapshot(consecutive_rejections=9, last_rejection_ns=NOW_NS - 60 * SECOND_NS)

    # Act / Assert
    assert check_circuit_breaker(guard_context(activity=activity)) is None


def test_circuit_breaker_when_time_of_last_rejection_unknown_then_refused() -> None:
    # Arrange
    activity = ActivitySnapshot(consecutive_rejections=5, last_rejection_ns=None)

    # Act
    refusal = check_circuit_breaker(guard_context(activity=activity))

    # Assert
    assert refusal is not None
    assert "since_last_rejection_s=unknown" in refusal.detail


def test_circuit_breaker_when_open_and_order_is_kill_switch_flatten_then_passes() -> None:
    # Arrange: the breaker opened a second ago; the order is the trip's own flatten
    activity = ActivitySnapshot(consecutive_rejections=20, last_rejection_ns=NOW_NS - SECOND_NS)

    # Act / Assert
    assert flattening_context(activity=activity).flattening
    assert check_circuit_breaker(flattening_context(activity=activity)) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"kill_switch_latched": False},
        {"limits": RiskLimits()},  # flatten_on_trip not set
        {"portfolio": account(held=Decimal("0.01"))},  # would flip the position: not reducing
    ],
    ids=["not-latched", "no-flatten-on-trip", "not-risk-reducing"],
)
def test_circuit_breaker_when_open_and_order_not_the_flatten_then_refused(
    overrides: dict[str, object],
) -> None:
    # Arrange
    activity = ActivitySnapshot(consecutive_rejections=20, last_rejection_ns=NOW_NS - SECOND_NS)

    # Act
    refusal = check_circuit_breaker(flattening_context(activity=activity, **overrides))

    # Assert
    assert refusal is not None
    assert refusal.code is Reason.CIRCUIT_BREAKER_OPEN
