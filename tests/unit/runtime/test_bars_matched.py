"""Which bars a paper venue matched a resting order against before a restart."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from aiswarm.clock import to_ns
from aiswarm.execution.venue import VenueAck
from aiswarm.market import BarArrays
from aiswarm.runtime.composition import bars_matched
from aiswarm.types import ClientOrderId, OrderStatus
from aiswarm.venues.restored_book import RestoredOrder
from kit.builders import SYMBOL, T0, VENUE, order_spec

MINUTE_NS = 60_000_000_000
START_NS = to_ns(T0)


def _bars(count: int) -> BarArrays:
    price = np.full(count, 50000.0)
    return BarArrays(
        venue=VENUE,
        symbol=SYMBOL,
        interval_s=60,
        ts_ns=START_NS + np.arange(count, dtype=np.int64) * MINUTE_NS,
        open=price,
        high=price.copy(),
        low=price.copy(),
        close=price.copy(),
        volume=np.ones(count),
        price_decimals=0,
        volume_decimals=0,
    )


def _resting_since(minute: int) -> RestoredOrder:
    ts_ns = START_NS + minute * MINUTE_NS
    ack = VenueAck(client_order_id=ClientOrderId("cid-1"), accepted=True, ts_ns=ts_ns)
    return RestoredOrder(order_spec(), ack, OrderStatus.ACCEPTED, Decimal(0), ts_ns)


def test_bars_matched_when_order_rested_then_bars_opened_since_and_closed_by_the_last_step() -> (
    None
):
    # Arrange: decided at the close of bar 2 (= bar 3's open); the last step closed bar 6
    order = _resting_since(3)
    through_ns = START_NS + 7 * MINUTE_NS

    # Act
    shown = list(bars_matched(_bars(10), order, through_ns))

    # Assert
    assert [(bar.ts_ns - START_NS) // MINUTE_NS for bar in shown] == [3, 4, 5, 6]


def test_bars_matched_when_no_step_recorded_or_no_feed_then_none() -> None:
    # Act / Assert
    assert list(bars_matched(_bars(10), _resting_since(3), None)) == []
    assert list(bars_matched(None, _resting_since(3), START_NS + 7 * MINUTE_NS)) == []
