"""Review defects: the daily PnL bounds act apart, and the event stream shows one account.

1. Once the profit target moved the account to REDUCING, the loss limit was silenced for the
   rest of the UTC day (one "acted today" flag served both bounds); REDUCING still holds
   positions that can lose, so a later loss past ``pnl.loss_limit_usd`` must halt.
2. ``/events/stream`` read every account in the store: a store shared by several accounts
   showed one account's decisions to another's stream.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.runtime import TradingService
from aiswarm.runtime.daily_pnl import DailyPnlGuard
from aiswarm.runtime.host import HOST_STREAM
from aiswarm.runtime.store_views import STREAMED_TYPES
from aiswarm.types import EventType, TradingState
from kit.host import FIXED_NOTIONAL, admin_key, paper_config, run_steps, start

pytestmark = pytest.mark.integration


class _PnlAt(DailyPnlGuard):
    """The guard with today's PnL set by the test (the bounds' logic is under test)."""

    pnl = Decimal(0)

    def today_pnl(self) -> Decimal | None:
        return self.pnl


async def test_pnl_when_target_reduced_then_later_loss_same_day_still_halts(
    tmp_path: Path,
) -> None:
    # Arrange
    bounds = {"profit_target_usd": "10", "loss_limit_usd": "50", "on_profit_target": "reduce"}
    host = await start(paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL}, pnl=bounds))
    await run_steps(host, 2)
    guard = _PnlAt(host.engine, host.config.pnl)
    switch = host.engine.spine.kill_switch.switch

    # Act
    guard.pnl = Decimal(20)
    reduced = await guard.check()
    state_after_target = switch.state
    guard.pnl = Decimal(-100)
    halted = await guard.check()
    await host.stop("test over")

    # Assert
    assert reduced is not None
    assert "profit" in reduced
    assert state_after_target is TradingState.REDUCING
    assert halted is not None
    assert "loss" in halted
    assert switch.state is TradingState.HALTED
    assert switch.is_latched()


async def test_stream_when_store_holds_another_account_then_only_this_accounts_events(
    tmp_path: Path,
) -> None:
    # Arrange: another account's decision in the same store
    host = await start(paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL}))
    await run_steps(host, 3)
    await host.store.journal("someone-else").append(
        EventType.RISK_DECISION, {"note": "another account's decision"}
    )
    await host.engine.journal.append(EventType.RISK_DECISION, {"note": "this account's"})
    service = TradingService(host)
    own = {host.engine.account, HOST_STREAM}
    streamed = await service.events(STREAMED_TYPES, 0, 100_000)
    count = sum(1 for row in streamed if row["account"] in own)
    transport = httpx.ASGITransport(app=create_app(service))
    headers = {"Authorization": f"Bearer {await admin_key(host)}"}

    # Act: as many events as this account and the host have (the stream ends there)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        answer = await client.get("/events/stream", params={"limit": count}, timeout=30)
    await host.stop("test over")

    # Assert
    events = [
        json.loads(line.removeprefix("data: "))
        for line in answer.text.splitlines()
        if line.startswith('data: {"')
    ]
    accounts = {event.get("account") for event in events}
    assert "someone-else" not in accounts
    assert any(event.get("payload") == {"note": "this account's"} for event in events)
