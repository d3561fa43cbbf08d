"""Split a backtest's loop time between quiet bars and the bars where something happens.

A quiet bar is one where no agent signalled, no order was placed, none was working when the
step began (so the venue had nothing to match) and the kill switch did not trip: what every
bar costs at least. Every other step is charged to the orders: its time, divided by the
orders, is the cost of an order with all it brings (the signal, arbitration, sizing, guards,
approval, OMS, the venue's fill, the books and the journal records). ``aiswarm bench backtest``
sets these figures beside its same-run floors (``bench.order_floor``, ``minimal_loop_ns``).

Timing each step adds two clock reads per bar, so the benchmark times one extra run this way
and keeps its bars/s figures from the untimed runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiswarm.clock import Clock
from aiswarm.execution.activity import OrderActivity
from aiswarm.market.market_state import MarketEvent
from aiswarm.runtime.engine import StepReport

__all__ = ["StepTimes"]

Step = Callable[[int, Sequence[MarketEvent]], Awaitable[StepReport]]


@dataclass
class StepTimes:
    """Nanoseconds and step counts, quiet and busy, accumulated over one run."""

    timer: Clock
    quiet_steps: int = 0
    quiet_ns: int = 0
    busy_steps: int = 0
    busy_ns: int = 0

    async def step(
        self, step: Step, activity: OrderActivity, now_ns: int, events: Sequence[MarketEvent]
    ) -> StepReport:
        """Run one ``step`` and charge its time to the quiet or the busy bars."""
        working = activity.open_orders_count
        started = self.timer.monotonic_ns()
        report = await step(now_ns, events)
        elapsed = self.timer.monotonic_ns() - started
        if working or report.signals or report.orders or report.tripped:
            self.busy_steps += 1
            self.busy_ns += elapsed
        else:
            self.quiet_steps += 1
            self.quiet_ns += elapsed
        return report
