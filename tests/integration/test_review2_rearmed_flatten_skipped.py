"""A flatten re-armed by a second trip is never tried while NAV stays in the quiet band.

Defect: ``TradingEngine._evaluate_kill_switch`` skips the kill switch's check (and with it the
flatten duty) when NAV is inside the band and ``_verdict_key`` is unchanged. The key holds the
latch as a bool. An operator stops the flatten a trip owes (``stop_flatten``); the next step
finds no flatten owed and sets the quiet band. A later TRIP while still latched (an operator's
manual trip, or ``halt_on_breaks`` for an accounting break) re-arms the duty ("stopped ... until
the next trip"), but the latch was already True, so the key does not change and, with NAV in the
band, every step skips the check: the owed flatten is never attempted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import to_ns
from aiswarm.risk import Authorisation, KillTrigger
from aiswarm.runtime import TradingEngine
from aiswarm.runtime.spine import account_records
from aiswarm.types import AccountId, Bar, ClientOrderId, EventType, Symbol
from kit.builders import fill
from kit.host import make_keys, paper_config, start

pytestmark = pytest.mark.integration

_NS = 1_000_000_000
SYMBOL = Symbol("BTC/USD")
PRICE = Decimal(10000)


def _bar(engine: TradingEngine, closed_at: datetime, close: Decimal) -> Bar:
    series = engine.market[SYMBOL]
    return Bar(
        venue=series.venue,
        symbol=series.symbol,
        ts_ns=to_ns(closed_at) - 60 * _NS,
        interval_s=60,
        open=close,
        high=close,
        low=close,
        close=close,
        volume=Decimal(5),
    )


async def _evaluate_at(engine: TradingEngine, minute: int) -> None:
    closed_at = datetime(2018, 4, 10, 12, minute, tzinfo=UTC)
    engine.market.apply(_bar(engine, closed_at, PRICE))
    engine.clock.set_ns(to_ns(closed_at))
    await engine._evaluate_kill_switch()


async def test_flatten_rearmed_by_second_trip_is_attempted_while_nav_in_band(
    tmp_path: Path,
) -> None:
    # Arrange: a desk that flattens on a trip, holding 0.5 BTC bought at the mark
    config = paper_config(tmp_path, trading={"risk": {"flatten_on_trip": True}})
    host = await start(config)
    await make_keys(host, alice="admin")  # an admin principal may stop a flatten
    engine = host.engine
    control = engine.spine.kill_switch
    instrument = engine.instruments[SYMBOL]
    await _evaluate_at(engine, 0)
    engine.spine.portfolio.apply_fill(
        fill(
            venue=instrument.venue,
            account=AccountId(engine.account),
            symbol=instrument.symbol,
            client_order_id=ClientOrderId("ais-held"),
            quantity=Decimal("0.5"),
            price=PRICE,
            fee=Decimal(0),
            fee_currency="USD",
            ts_event=datetime(2018, 4, 10, 12, 0, tzinfo=UTC),
            ts_init=datetime(2018, 4, 10, 12, 0, tzinfo=UTC),
        ),
        instrument,
    )
    await _evaluate_at(engine, 1)

    async def flatten_attempts() -> list[Any]:
        records = await account_records(host.store, engine.account)
        return [p for t, p in records if t == EventType.KILL_SWITCH_FLATTEN]

    # An operator trips and at once stops the flatten (to close by hand), between steps.
    await control.command(KillTrigger.TRIP, "operator stop")
    await control.stop_flatten(Authorisation("alice", "closing by hand"))
    await _evaluate_at(engine, 2)  # latched, no flatten owed: the quiet band is set
    assert await flatten_attempts() == []

    # Act: a second trip (operator, or an accounting break) owes the flatten again
    await control.command(KillTrigger.TRIP, "operator: flatten after all")
    assert control.flatten_owed()
    await _evaluate_at(engine, 3)
    await _evaluate_at(engine, 4)

    # Assert: the owed flatten was attempted (placed, refused or dust: an event either way)
    try:
        assert await flatten_attempts(), (
            "flatten owed after the second trip but the engine skipped the kill-switch check "
            "(NAV in band, verdict key unchanged)"
        )
    finally:
        await host.stop("test over")
