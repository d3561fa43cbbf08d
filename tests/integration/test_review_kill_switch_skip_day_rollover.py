"""Skipping the kill-switch evaluation of a flat, unchanged book never changes its verdict.

Defect guarded against: ``_evaluate_kill_switch`` skips the snapshot when the book is flat and
nothing that moves NAV has changed, and that skip also skipped the first snapshot of a new UTC
day. The day's opening NAV was then taken after the day's first fill, so that fill's loss (fee
and an adverse move on its bar) was not counted as daily loss and the switch did not trip. The
same sequence evaluated with the skip and with every evaluation in full gives the same verdicts,
and the full evaluation trips on the loss.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import to_ns
from aiswarm.config import AppConfig
from aiswarm.runtime import TradingEngine
from aiswarm.types import AccountId, Bar, ClientOrderId, Symbol
from kit.builders import fill
from kit.host import paper_config, start

pytestmark = pytest.mark.integration

_NS = 1_000_000_000
SYMBOL = Symbol("BTC/USD")
PRICE = Decimal(10000)
DAY_ONE_FLAT = datetime(2018, 4, 10, 23, 58, tzinfo=UTC)
DAY_TWO_FLAT = datetime(2018, 4, 11, 0, 5, tzinfo=UTC)
DAY_TWO_FILL = datetime(2018, 4, 11, 0, 6, tzinfo=UTC)
DAY_TWO_AFTER_FILL = datetime(2018, 4, 11, 0, 7, tzinfo=UTC)


def _bar(engine: TradingEngine, closed_at: datetime, close: Decimal) -> Bar:
    """Return a flat one-minute bar of ``SYMBOL`` closing at ``closed_at``."""
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


async def _evaluate_at(
    engine: TradingEngine, closed_at: datetime, close: Decimal, *, skip: bool
) -> bool:
    """Show the engine a bar closing at ``closed_at``, evaluate the switch; return if it tripped."""
    engine.market.apply(_bar(engine, closed_at, close))
    engine.clock.set_ns(to_ns(closed_at))
    if not skip:
        engine._judged = None  # forget the last verdict: every evaluation is in full
    tripped, _ = await engine._evaluate_kill_switch()
    return tripped


def _config(tmp_path: Path) -> AppConfig:
    tmp_path.mkdir()
    return paper_config(tmp_path, trading={"risk": {"max_daily_loss_frac": "0.03"}})


async def _verdicts(config: AppConfig, *, skip: bool) -> list[bool]:
    """Return the switch's verdicts across a day rollover and that day's first, losing fill.

    Flat at the end of day one, flat at the start of day two, then after buying 90% of NAV
    with a fee and a bar closing 4% lower: a loss beyond the 3% daily-loss limit.
    """
    host = await start(config)
    engine = host.engine
    instrument = engine.instruments[SYMBOL]
    quantity = (engine.spine.portfolio.cash / PRICE * Decimal("0.9")).quantize(instrument.step_size)
    verdicts = [
        await _evaluate_at(engine, DAY_ONE_FLAT, PRICE, skip=skip),
        await _evaluate_at(engine, DAY_TWO_FLAT, PRICE, skip=skip),
    ]
    engine.spine.portfolio.apply_fill(
        fill(
            venue=instrument.venue,
            account=AccountId(engine.account),
            symbol=instrument.symbol,
            client_order_id=ClientOrderId("ais-day-two"),
            quantity=quantity,
            price=PRICE,
            fee=Decimal(10),
            fee_currency="USD",
            ts_event=DAY_TWO_FILL,
            ts_init=DAY_TWO_FILL,
        ),
        instrument,
    )
    verdicts.append(
        await _evaluate_at(engine, DAY_TWO_AFTER_FILL, PRICE * Decimal("0.96"), skip=skip)
    )
    await host.stop("test over")
    return verdicts


async def test_kill_switch_when_skip_spans_day_rollover_then_same_verdicts_as_full(
    tmp_path: Path,
) -> None:
    # Act
    full = await _verdicts(_config(tmp_path / "full"), skip=False)
    skipping = await _verdicts(_config(tmp_path / "skipping"), skip=True)

    # Assert
    assert full == [False, False, True]
    assert skipping == full
