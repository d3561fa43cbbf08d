"""Child process for the spine crash tests: place one fixed order, optionally die on the way.

Usage: python _spine_child.py STORE_DB VENUE_DB CRASH_AT
CRASH_AT is `after_approval` (SIGKILL once the risk decision is recorded, before the OMS),
`after_submit` (SIGKILL once the venue has the order, before its reports are recorded), or
`none` (recover and place the same decision again, then print a JSON summary).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _durable_venue import DurableFakeVenue

from aiswarm.clock import SimulatedClock
from aiswarm.risk import KillTrigger, LiquiditySource, MarketView
from aiswarm.runtime.spine import open_spine
from aiswarm.store import open_event_store
from aiswarm.types import OrderIntent, OrderType, Side, TimeInForce
from kit.builders import ACCOUNT, MANDATE, SYMBOL, VENUE, instrument
from kit.spine import OPERATOR, SECRET, START, limits, trading_mandate


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(store_db: Path, venue_db: Path, crash_at: str) -> dict[str, Any]:
    clock = SimulatedClock(START)
    store = await open_event_store(f"sqlite+aiosqlite:///{store_db}", clock)
    fresh = (await store.head())[0] == 0
    venue = DurableFakeVenue(venue_db, VENUE)
    spine = await open_spine(
        store=store,
        venue=venue,
        clock=clock,
        account=ACCOUNT,
        instruments={SYMBOL: instrument()},
        approval_secret=SECRET,
        limits=limits(),
        operators=(OPERATOR,),
    )
    if fresh:
        await spine.deposit(Decimal("100000"))
        await spine.kill_switch.command(KillTrigger.ENABLE, "crash test")

    if crash_at == "after_approval":

        async def crash_submit(*_: object, **__: object) -> None:
            _die()

        spine.oms.submit = crash_submit  # type: ignore[method-assign]
    elif crash_at == "after_submit":
        real_submit = venue.submit

        async def submit_then_crash(spec: Any) -> Any:
            await real_submit(spec)
            _die()

        venue.submit = submit_then_crash  # type: ignore[method-assign]

    intent = OrderIntent(
        mandate_id=MANDATE,
        account=ACCOUNT,
        venue=VENUE,
        symbol=SYMBOL,
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal("0.25"),
        time_in_force=TimeInForce.GTC,
        reason="crash test",
        ts_event=START,
    )
    mark = Decimal("50000")
    spine.portfolio.mark(VENUE, SYMBOL, mark)
    placement = await spine.pipeline.place(
        intent,
        instrument=instrument(),
        portfolio=spine.portfolio.snapshot(clock.now()),
        mandate=trading_mandate(),
        market=MarketView(
            venue=VENUE,
            symbol=SYMBOL,
            mark=mark,
            best_bid=mark,
            best_ask=mark,
            updated_ns=clock.now_ns(),
            liquidity_usd=Decimal("5000000"),
            liquidity_source=LiquiditySource.BOOK_DEPTH,
        ),
        mandate_exposure_usd=Decimal(0),
    )
    await spine.oms.process_reports()
    position = spine.portfolio.position(VENUE, SYMBOL)
    order = spine.oms.orders[placement.spec.client_order_id]
    await store.close()
    return {
        "venue_orders": venue.order_count(),
        "venue_filled": str(venue.filled_total()),
        "position": str(position.quantity if position else 0),
        "cash": str(spine.portfolio.cash),
        "oms_orders": len(spine.oms.orders),
        "status": order.status.value,
        "duplicate": bool(placement.submitted and placement.submitted.duplicate),
    }


if __name__ == "__main__":
    summary = asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))
    print(json.dumps(summary))
