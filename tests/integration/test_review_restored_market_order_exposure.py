"""An open market order counts toward exposure after a restart as it did before (issue 15).

Defect guarded against: restore passed no mark, so after a restart an open market order counted
as zero open notional, and the guards let new risk in on top of it. Now the mark the order was
valued at is recorded with it (``order.submitted``), and restore values it the same way.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.types import OrderStatus
from kit.builders import SYMBOL
from kit.spine import open_desk

pytestmark = pytest.mark.integration


async def test_restart_when_market_order_open_then_counted_at_its_mark_not_zero(
    tmp_path: Path,
) -> None:
    # Arrange: a 0.1 BTC market buy at a 50,000 mark, open until the next bar trades; crash
    desk = await open_desk(tmp_path / "m.db")
    placed = await desk.place(desk.intent("0.1"))
    live = desk.spine.oms.activity
    assert live.open_order_notional_usd(SYMBOL) == Decimal("5000.0")
    await desk.store.close()

    # Act
    again = await open_desk(tmp_path / "m.db", venue=desk.venue, clock=desk.clock, fresh=False)

    # Assert
    assert again.spine.oms.orders[placed.spec.client_order_id].status is OrderStatus.ACCEPTED
    restored = again.spine.oms.activity
    assert restored.open_order_notional_usd(SYMBOL) == Decimal("5000.0")
    assert restored.open_order_notional_total_usd == live.open_order_notional_total_usd
    await again.store.close()
