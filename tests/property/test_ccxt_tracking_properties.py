"""However a REST venue lists an order's trades (late, repeated, reversed), each is reported
once, the quantity left never grows, and the end comes after every fill the venue counted."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aiswarm.execution.venue import ReportKind
from aiswarm.types import ClientOrderId, VenueId
from aiswarm.venues.ccxt_tracking import OrderTracker
from kit.builders import order_spec

QUANTITY = Decimal("0.01")


def _trade(index: int, amount: Decimal) -> dict[str, Any]:
    return {
        "id": str(100 + index),
        "timestamp": 1_000 + index,
        "amount": float(amount),
        "price": 50000.0,
        "fee": {"cost": 0.01, "currency": "USDT"},
        "takerOrMaker": "maker",
    }


@st.composite
def _histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str, list[list[int]]]:
    parts = draw(st.integers(min_value=1, max_value=5))
    cuts = sorted(draw(st.lists(st.integers(1, 999), min_size=parts - 1, max_size=parts - 1)))
    edges = [0, *cuts, 1000]
    amounts = [Decimal(b - a) * QUANTITY / 1000 for a, b in itertools.pairwise(edges)]
    trades = [_trade(i, amount) for i, amount in enumerate(amounts) if amount > 0]
    end = draw(st.sampled_from(["closed", "canceled"]))
    if end == "canceled":
        trades = trades[: draw(st.integers(0, len(trades)))]
    polls = draw(
        st.lists(
            st.lists(st.integers(0, max(len(trades) - 1, 0)), max_size=len(trades) + 2),
            min_size=1,
            max_size=6,
        )
    )
    return trades, end, polls


@given(_histories())
def test_each_trade_once_in_order_and_end_after_fills(
    history: tuple[list[dict[str, Any]], str, list[list[int]]],
) -> None:
    trades, end, polls = history
    tracker = OrderTracker(VenueId("binance"))
    order = tracker.track(
        order_spec(client_order_id=ClientOrderId("c1"), quantity=QUANTITY), "BTC/USDT"
    )
    executed = sum((Decimal(repr(t["amount"])) for t in trades), Decimal(0))
    final = {"id": "9", "status": end, "filled": float(executed), "timestamp": 1}
    seen: list[int] = []
    for listed in polls:  # any subset, repeated, in any order: what the venue shows so far
        tracker.observe(order, final, [trades[i] for i in listed if trades])
        seen += listed
    tracker.observe(order, final, list(reversed(trades)))  # finally everything, reversed

    reports = tracker.drain()
    fills = [r for r in reports if r.kind is ReportKind.FILL]
    assert reports[0].kind is ReportKind.ACCEPTED
    assert sorted(r.trade_id for r in fills) == sorted(f"binance-{t['id']}" for t in trades)
    assert sum((r.quantity or Decimal(0) for r in fills), Decimal(0)) == executed
    leaves = [r.leaves_quantity for r in fills]
    assert leaves == sorted(leaves, reverse=True)  # never grows
    ends = [r for r in reports if r.kind is ReportKind.CANCELED]
    if end == "canceled":
        assert len(ends) == 1
        assert reports[-1].kind is ReportKind.CANCELED  # after every fill it counted
    else:
        assert ends == []
        assert fills[-1].leaves_quantity == 0
