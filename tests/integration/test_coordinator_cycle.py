"""A coordinator cycle with real spine parts: agents isolated, every step recorded."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from aiswarm.agents import Proposal
from aiswarm.clock import from_ns
from aiswarm.orchestration import AgentWeights, ArbitrationConfig, Coordinator, TradingContext
from aiswarm.portfolio import AllocationMode, AllocatorConfig
from aiswarm.types import (
    AgentId,
    BarSeries,
    Direction,
    MarketFrame,
    Signal,
    SymbolFrame,
)
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument
from kit.spine import Desk, open_desk, trading_mandate

pytestmark = pytest.mark.integration


class _Agent:
    """A test double speaking the Agent protocol."""

    def __init__(self, agent_id: str, behaviour: str, gate: threading.Event | None = None) -> None:
        self.agent_id = AgentId(agent_id)
        self.weight = 1.0
        self.behaviour = behaviour
        self.gate = gate

    def analyze(self, frame: MarketFrame) -> list[Signal]:
        return list(self.propose(frame).signals)

    def validate(self, signal: Signal) -> list[str]:
        return []

    def propose(self, frame: MarketFrame) -> Proposal:
        if self.behaviour == "raise":
            raise RuntimeError("indicator blew up")
        if self.behaviour == "hang" and self.gate is not None:
            self.gate.wait(5)
        signal = Signal(
            agent_id=self.agent_id,
            symbol=SYMBOL,
            direction=Direction.LONG,
            confidence=0.6,
            expected_return=0.01,
            liquidity_score=0.5,
            horizon_s=600,
            ts_event=from_ns(frame.now_ns),
            evidence={"payoff_ratio": 1.5},
        )
        return Proposal((signal,))


def _frame(desk: Desk) -> MarketFrame:
    closes = np.full(30, 50000.0)
    series = BarSeries(np.arange(30, dtype=np.int64), closes, closes, closes, closes, np.ones(30))
    return MarketFrame(desk.clock.now_ns(), {SYMBOL: SymbolFrame(VENUE, SYMBOL, 60, series, 30)})


def _coordinator(desk: Desk, agents: list[_Agent]) -> Coordinator:
    arbitration = ArbitrationConfig()
    return Coordinator(
        agents=agents,
        weights=AgentWeights(arbitration),
        arbitration=arbitration,
        allocator=AllocatorConfig(
            mode=AllocationMode.FIXED_QUANTITY, fixed_quantity=Decimal("0.02"), long_only=True
        ),
        pipeline=desk.spine.pipeline,
        oms=desk.spine.oms,
        journal=desk.spine.journal,
        clock=desk.clock,
        account=ACCOUNT,
    )


def _context(desk: Desk) -> TradingContext:
    desk.spine.portfolio.mark(VENUE, SYMBOL, desk.mark)
    return TradingContext(
        portfolio=desk.spine.portfolio.snapshot(desk.clock.now()),
        markets={SYMBOL: desk.market()},
        instruments={SYMBOL: instrument()},
        mandate=trading_mandate(),
        limit_position_notional_usd=Decimal("60000"),
    )


async def test_cycle_when_one_agent_raises_then_isolated_recorded_and_others_trade(
    tmp_path: Path,
) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "c.db")
    coordinator = _coordinator(desk, [_Agent("broken", "raise"), _Agent("good", "ok")])

    # Act
    outcome = await coordinator.cycle(_frame(desk), lambda: _context(desk))

    # Assert
    assert [agent for agent, _ in outcome.failures] == ["broken"]
    assert outcome.orders_placed == 1
    types = [event.type async for event in desk.store.replay()]
    for expected in ("agent.failed", "cycle.signals", "arbitration.decision", "allocation"):
        assert expected in types
    assert types.index("allocation") < types.index("risk.decision") < types.index("order.submitted")
    await desk.store.close()


async def test_cycle_when_agent_overruns_timeout_then_skipped_until_it_returns(
    tmp_path: Path,
) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "c.db")
    gate = threading.Event()
    coordinator = _coordinator(desk, [_Agent("slow", "hang", gate)])

    # Act
    first = await coordinator.cycle(_frame(desk), lambda: _context(desk), agent_timeout_s=0.05)
    second = await coordinator.cycle(_frame(desk), lambda: _context(desk), agent_timeout_s=0.05)
    gate.set()

    # Assert
    assert "timed out" in first.failures[0][1]
    assert "still running" in second.failures[0][1]
    assert first.orders_placed == second.orders_placed == 0
    await desk.store.close()


async def test_cycle_when_no_signals_then_nothing_recorded(tmp_path: Path) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "c.db")
    coordinator = _coordinator(desk, [])
    before = (await desk.store.head())[0]

    # Act
    outcome = await coordinator.cycle(_frame(desk), lambda: _context(desk))

    # Assert
    assert outcome.signals == ()
    assert (await desk.store.head())[0] == before
    await desk.store.close()


async def test_cycles_when_agent_keeps_losing_then_adaptive_weight_falls(tmp_path: Path) -> None:
    # Arrange: an agent calls LONG every cycle while the price falls 1 % each time
    desk = await open_desk(tmp_path / "c.db")
    arbitration = ArbitrationConfig(adapt=True, adapt_min_outcomes=3, adapt_floor=0.25)
    weights = AgentWeights(arbitration)
    prices = iter(50000 * 0.99**n for n in range(10))

    class _Loser(_Agent):
        def propose(self, frame: MarketFrame) -> Proposal:
            signal = super().propose(frame).signals[0]
            evidence = {"payoff_ratio": 1.5, "price": next(prices)}
            return Proposal((signal.model_copy(update={"evidence": evidence}),))

    coordinator = Coordinator(
        agents=[_Loser("loser", "ok")],
        weights=weights,
        arbitration=arbitration,
        allocator=AllocatorConfig(
            mode=AllocationMode.FIXED_QUANTITY, fixed_quantity=Decimal("0.02"), long_only=True
        ),
        pipeline=desk.spine.pipeline,
        oms=desk.spine.oms,
        journal=desk.spine.journal,
        clock=desk.clock,
        account=ACCOUNT,
    )

    # Act
    for _ in range(6):
        await coordinator.cycle(_frame(desk), lambda: _context(desk))
        desk.clock.advance(60)

    # Assert
    assert weights.multiplier(AgentId("loser")) == pytest.approx(0.25)
    await desk.store.close()
