"""A step a crash cut short is re-run after the restart without matching its bar twice.

Defect guarded against: the process dies after a step's fills are recorded but before its
``cycle.completed``. The restart re-ran that step and showed its bar to the restored paper venue
again, so the same order filled twice on the same bar. After the restart each order fills at
most once per bar, and, although the re-run step decides again, each decision (symbol, side,
decision time, reduce-only) still becomes exactly one order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.config import AppConfig
from aiswarm.runtime import TradingEngine
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

STEPS = 600
STEPS_AFTER_RESTART = 10

Key = tuple[str, ...]


class Crash(BaseException):
    """Kills the run where it stands: no handler in the engine catches a BaseException."""


async def _crash_mid_step(
    config: AppConfig,
    monkeypatch: pytest.MonkeyPatch,
    should_crash: Callable[[TradingEngine], bool],
) -> None:
    """Run until ``should_crash`` holds at the end of a step, then die before its checkpoint.

    The kill-switch evaluation is the last thing a step does, after its fills and orders are
    recorded and before the host records ``cycle.completed``.
    """
    host = await start(config)
    evaluate = TradingEngine._evaluate_kill_switch

    async def evaluate_or_crash(engine: TradingEngine) -> tuple[bool, Decimal | None]:
        if should_crash(engine):
            raise Crash
        return await evaluate(engine)

    with monkeypatch.context() as patch:
        patch.setattr(TradingEngine, "_evaluate_kill_switch", evaluate_or_crash)
        with pytest.raises(Crash):
            await run_steps(host, STEPS)
    await host.store.close()  # dead: no cycle.completed for the step whose fills are logged


class _FilledAndPlaced:
    """Hold at the end of the first step that both booked fills and placed a new order."""

    def __init__(self) -> None:
        self._before: tuple[int, Decimal] | None = None

    def __call__(self, engine: TradingEngine) -> bool:
        now = (len(engine.spine.oms.orders), engine.spine.portfolio.cash)
        before, self._before = self._before, now
        return before is not None and now[0] > before[0] and now[1] != before[1]


def _partly_filled(engine: TradingEngine) -> bool:
    """Hold at the end of the first step that leaves a working order partly filled."""
    return any(order.filled_quantity > 0 for order in engine.spine.oms.open_orders())


async def _restart(config: AppConfig) -> tuple[list[Key], list[Key]]:
    """Restart and run on; return every fill as (order, bar time) and every order placed as
    (symbol, side, decision time, reduce-only), the steps before the crash included."""
    host = await start(config)
    await run_steps(host, STEPS_AFTER_RESTART)
    fills: list[Key] = []
    decisions: list[Key] = []
    async for event in host.store.replay(types=["order.event", "order.submitted"]):
        if event.type == "order.submitted":
            spec = event.payload["spec"]
            decisions.append(
                (spec["symbol"], spec["side"], spec["created_at"], str(spec["reduce_only"]))
            )
        elif fill := event.payload.get("fill"):
            fills.append((fill["client_order_id"], fill["ts_event"]))
    await host.stop("test over")
    return fills, decisions


def _repeated(keys: list[Key]) -> list[Key]:
    return [key for key, count in Counter(keys).items() if count > 1]


async def test_restart_when_crashed_after_partial_fill_then_bar_matched_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: die at the end of the first step that leaves an order partly filled
    config = paper_config(tmp_path)
    await _crash_mid_step(config, monkeypatch, _partly_filled)

    # Act
    fills, decisions = await _restart(config)

    # Assert
    assert fills
    assert _repeated(fills) == [], "an order filled twice on the same bar"
    assert _repeated(decisions) == [], "one decision became two orders"


async def test_restart_when_crashed_after_fills_and_new_order_then_each_placed_and_matched_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: die at the end of the first step that both booked fills and placed a new order
    config = paper_config(tmp_path)
    await _crash_mid_step(config, monkeypatch, _FilledAndPlaced())

    # Act
    fills, decisions = await _restart(config)

    # Assert
    assert decisions
    assert _repeated(decisions) == [], "one decision became two orders"
    assert _repeated(fills) == [], "an order filled twice on the same bar"
