"""Order activity: running open-notional totals, and pruning of recent order fingerprints."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.execution.activity import OrderActivity
from aiswarm.risk import order_fingerprint
from aiswarm.types import ClientOrderId, OrderType, Symbol
from kit.builders import SYMBOL, order_spec

ETH = Symbol("ETH/USDT")
HOUR_NS = 3_600 * 1_000_000_000
UNPRICED = Decimal("10000")


def test_open_notional_when_orders_rest_shrink_and_close_then_totals_follow() -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED)
    btc = order_spec(client_order_id=ClientOrderId("a"), quantity=Decimal("0.02"))
    eth = order_spec(
        client_order_id=ClientOrderId("b"),
        symbol=ETH,
        quantity=Decimal("1.5"),
        limit_price=Decimal("3000"),
    )

    # Act / Assert
    activity.record_sent(btc, 1, None)
    activity.record_sent(eth, 2, None)
    assert activity.open_order_notional_total_usd == Decimal("5500")
    assert activity.open_order_notional_usd(SYMBOL) == Decimal("1000")
    assert activity.open_order_notional_usd(ETH) == Decimal("4500")
    activity.record_remaining(ClientOrderId("b"), Decimal("1500"))
    assert activity.open_order_notional_total_usd == Decimal("2500")
    assert activity.open_order_notional_usd(ETH) == Decimal("1500")
    activity.record_closed(ClientOrderId("a"))
    activity.record_closed(ClientOrderId("a"))  # a second report of the end changes nothing
    assert activity.open_order_notional_total_usd == Decimal("1500")
    assert activity.open_order_notional_usd(SYMBOL) == 0
    assert activity.open_orders_count == 1


def test_open_notional_when_last_order_closes_then_exactly_zero_without_trailing_digits() -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED)
    activity.record_sent(order_spec(quantity=Decimal("0.01234")), 1, None)

    # Act
    activity.record_closed(ClientOrderId("cid-1"))

    # Assert
    assert str(activity.open_order_notional_total_usd) == "0"
    assert str(activity.open_order_notional_usd(SYMBOL)) == "0"


def test_open_notional_when_market_order_then_valued_at_the_mark_given() -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED)
    spec = order_spec(order_type=OrderType.MARKET, limit_price=None, quantity=Decimal("2"))

    # Act
    activity.record_sent(spec, 1, Decimal("100"))

    # Assert
    assert activity.open_order_notional_total_usd == Decimal("200")


def test_fingerprints_when_few_then_kept_past_the_window() -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED, fingerprint_window_ns=HOUR_NS)
    first = order_spec(client_order_id=ClientOrderId("a"), quantity=Decimal("0.01"))
    later = order_spec(client_order_id=ClientOrderId("b"), quantity=Decimal("0.02"))

    # Act
    activity.record_sent(first, 0, None)
    activity.record_sent(later, 2 * HOUR_NS, None)

    # Assert: pruning is not worth it below 256 fingerprints
    assert len(activity.recent_fingerprints) == 2


def test_fingerprints_when_over_256_then_those_older_than_the_window_dropped() -> None:
    # Arrange: 257 distinct orders, one a minute; the first is sent again at minute 250
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED, fingerprint_window_ns=HOUR_NS)
    minute = HOUR_NS // 60
    specs = [
        order_spec(client_order_id=ClientOrderId(f"c-{n}"), quantity=Decimal(n + 1) / 1000)
        for n in range(257)
    ]
    latest: dict[object, int] = {}
    for n, spec in enumerate(specs[:-1]):
        activity.record_sent(spec, n * minute, None)
        latest[order_fingerprint(spec)] = n * minute
        if n == 250:
            activity.record_sent(specs[0], n * minute, None)
            latest[order_fingerprint(specs[0])] = n * minute

    # Act: the 257th fingerprint
    now = 256 * minute
    activity.record_sent(specs[-1], now, None)
    latest[order_fingerprint(specs[-1])] = now

    # Assert: the last hour is kept, the re-sent order counted from its second time
    expected = {key: sent for key, sent in latest.items() if sent > now - HOUR_NS}
    assert dict(activity.recent_fingerprints) == expected
    assert len(expected) == 61


def test_fingerprints_when_one_order_sent_again_and_again_then_memory_stays_bounded() -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED, fingerprint_window_ns=HOUR_NS)
    spec = order_spec()

    # Act
    for n in range(10_000):
        activity.record_sent(spec, n, None)

    # Assert
    assert dict(activity.recent_fingerprints) == {order_fingerprint(spec): 9_999}
    assert len(activity._sent) <= 2 * (1 + 256) + 1


_SPECS = [
    order_spec(
        client_order_id=ClientOrderId(f"o-{n}"),
        symbol=(SYMBOL, ETH)[n % 2],
        quantity=Decimal(n + 1) / 7 if n % 3 else Decimal("0.003"),
        limit_price=Decimal("97.31") * (n + 1),
    )
    for n in range(8)
]
_OPS = st.lists(
    st.tuples(
        st.sampled_from(("send", "shrink", "close")),
        st.integers(min_value=0, max_value=len(_SPECS) - 1),
        st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=5),
    ),
    max_size=60,
)


@given(ops=_OPS)
def test_open_notional_when_recomputed_from_the_open_orders_then_equal(
    ops: list[tuple[str, int, Decimal]],
) -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED)
    resting: dict[ClientOrderId, tuple[Symbol, Decimal]] = {}

    # Act
    for now_ns, (action, index, remaining) in enumerate(ops):
        spec = _SPECS[index]
        cid = spec.client_order_id
        if action == "send":
            activity.record_sent(spec, now_ns, None)
            assert spec.limit_price is not None
            resting[cid] = (spec.symbol, spec.quantity * spec.limit_price)
        elif action == "shrink":
            activity.record_remaining(cid, remaining)
            if cid in resting:
                resting[cid] = (resting[cid][0], remaining)
        else:
            activity.record_closed(cid)
            resting.pop(cid, None)

    # Assert: exactly the sums of what rests now, as fractions (no rounding anywhere)
    assert activity.open_orders_count == len(resting)
    total = activity.open_order_notional_total_usd
    assert Fraction(total) == sum((Fraction(n) for _, n in resting.values()), Fraction(0))
    for symbol in (SYMBOL, ETH):
        expected = sum((Fraction(n) for s, n in resting.values() if s == symbol), Fraction(0))
        assert Fraction(activity.open_order_notional_usd(symbol)) == expected


def test_order_times_when_more_than_a_day_apart_then_the_day_counts_only_the_last_day() -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED)
    day = 86_400 * 1_000_000_000

    # Act
    for n, now in enumerate((0, 5, day - 1, day, day + 5)):
        activity.record_sent(order_spec(client_order_id=ClientOrderId(f"d-{n}")), now, None)

    # Assert: ascending, and whatever older times lead them were sent before the day began
    times = activity.order_times_ns
    assert list(times) == sorted(times)
    assert list(times)[-3:] == [day - 1, day, day + 5]
    assert len(times) - bisect_left(times, day + 5 - (day + 5) % day) == 2


def test_order_times_when_many_expire_then_the_list_is_shortened() -> None:
    # Arrange
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED)
    day = 86_400 * 1_000_000_000
    for n in range(5_000):
        activity.record_sent(order_spec(client_order_id=ClientOrderId(f"e-{n}")), n, None)
    before = activity.order_times_ns

    # Act: every earlier time expires
    for n in range(3):
        spec = order_spec(client_order_id=ClientOrderId(f"f-{n}"))
        activity.record_sent(spec, 2 * day + n, None)

    # Assert: a new, short list; the one read before is left whole
    assert list(activity.order_times_ns) == [2 * day, 2 * day + 1, 2 * day + 2]
    assert len(before) == 5_001
    assert bisect_right(before, 2_499) == 2_500


def test_activity_when_unpriced_notional_not_above_zero_then_refused() -> None:
    # Act / Assert: an order with no known price must never count as nothing
    with pytest.raises(ValueError, match="unpriced_order_notional_usd=0"):
        OrderActivity(unpriced_order_notional_usd=Decimal(0))


DAY_NS = 24 * HOUR_NS


def test_mandate_day_notional_when_orders_sent_then_counted_per_mandate_and_utc_day() -> None:
    # Arrange: 1,000 and 4,500 under mandate-1, 1,000 under another, then one the next day
    activity = OrderActivity(unpriced_order_notional_usd=UNPRICED)
    first = order_spec(client_order_id=ClientOrderId("a"), quantity=Decimal("0.02"))
    second = order_spec(client_order_id=ClientOrderId("b"), quantity=Decimal("0.09"))
    other = order_spec(
        client_order_id=ClientOrderId("c"), quantity=Decimal("0.02"), mandate_id="mandate-2"
    )
    tomorrow = order_spec(client_order_id=ClientOrderId("d"), quantity=Decimal("0.01"))
    start = 19_000 * DAY_NS

    # Act / Assert
    activity.record_sent(first, start + HOUR_NS, None)
    activity.record_sent(second, start + 2 * HOUR_NS, None)
    activity.record_sent(first, start + 3 * HOUR_NS, None)  # a resend is not new notional
    activity.record_sent(other, start + 3 * HOUR_NS, None)
    assert activity.mandate_day_notional_usd(first.mandate_id, start + 4 * HOUR_NS) == 5_500
    assert activity.mandate_day_notional_usd(other.mandate_id, start + 4 * HOUR_NS) == 1_000
    assert activity.mandate_day_notional_usd(first.mandate_id, start + DAY_NS) == 0
    activity.record_sent(tomorrow, start + DAY_NS + HOUR_NS, None)
    assert activity.mandate_day_notional_usd(first.mandate_id, start + DAY_NS + HOUR_NS) == 500
