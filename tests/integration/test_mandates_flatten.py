"""The kill switch's flatten under a mandate that no longer trades, and stacked closes.

Defect guarded against: ``check_mandate_active`` refused every order of a mandate that was not
ACTIVE or was past its validity window, the kill switch's reduce-only flatten included. With
the engine expiring mandates and operators pausing or revoking them by file, a trip then left
the account HALTED holding the whole position (``MANDATE_INACTIVE``, retried forever). Closing
takes no new risk, so the flatten now passes whatever the mandate's status and window.

Defect guarded against too: "risk-reducing" ignored the closes already working, so a second
reduce-only sell that with the first flips the position passed as reducing, exempt from the
mandate's window, budget and strategy guards.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.risk import Reason
from aiswarm.types import EventType, MandateStatus, OrderType, Side
from kit.builders import T0
from kit.spine import open_desk, trading_mandate

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "change",
    [
        {"status": MandateStatus.EXPIRED},
        {"status": MandateStatus.PAUSED},
        {"status": MandateStatus.REVOKED},
        {"valid_until": T0 + timedelta(minutes=30)},
    ],
    ids=["expired", "paused", "revoked", "past-valid-until"],
)
async def test_flatten_when_mandate_no_longer_trades_then_position_closed(
    tmp_path: Path, change: dict[str, Any]
) -> None:
    # Arrange: 1 BTC held under the mandate, which then stops trading; the price falls 12 %
    desk = await open_desk(tmp_path / "spine.db", flatten_on_trip=True)
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    stopped = trading_mandate().model_copy(update=change)
    await desk.next_bar(desk.mark * 88 / 100)

    # Act: the trip, then the standing duty step after step
    tripped, _ = await desk.check(under=stopped)
    for _ in range(4):
        await desk.next_bar()
        if desk.held() == 0:
            break
        await desk.check(under=stopped)

    # Assert: flat, and no close was refused
    store = desk.store
    assert store is not None
    attempts = [
        event.payload async for event in store.replay(types=[EventType.KILL_SWITCH_FLATTEN])
    ]
    await store.close()
    assert tripped is not None
    assert desk.held() == 0
    assert attempts
    assert {attempt["outcome"] for attempt in attempts} == {"placed"}


async def test_place_when_reduce_only_sells_together_exceed_position_then_second_is_new_risk(
    tmp_path: Path,
) -> None:
    # Arrange: 1 BTC held, a reduce-only sell of 0.6 resting above the market
    desk = await open_desk(tmp_path / "spine.db")
    assert (await desk.place(desk.intent("1"))).is_live
    await desk.next_bar()
    resting = {"order_type": OrderType.LIMIT, "limit_price": Decimal("52000"), "reduce_only": True}
    assert (await desk.place(desk.intent("0.6", Side.SELL, **resting))).is_live

    # Act: another 0.6, which with the first would sell more than is held
    desk.clock.advance(1)
    second = await desk.place(desk.intent("0.6", Side.SELL, **resting))
    desk.clock.advance(1)
    third = await desk.place(desk.intent("0.4", Side.SELL, **resting))

    # Assert: the pipeline passes the working sells to the chain, so the second does not
    # count as reducing (its reduce-only flag is violated); the one that fits does
    assert desk.store is not None
    await desk.store.close()
    assert second.refused is not None
    assert Reason.REDUCE_ONLY_VIOLATION in {refusal.code for refusal in second.refused.refusals}
    assert third.is_live
