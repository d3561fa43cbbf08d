"""Orders worked over time by the coordinator: TWAP slices and re-quotes, through the real spine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from aiswarm.agents import Proposal, build_agents, parse_agents_config
from aiswarm.backtest.runner import BacktestSetup, run_backtest
from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.config import load_config
from aiswarm.orchestration import AgentWeights, ArbitrationConfig, Coordinator, TradingContext
from aiswarm.portfolio import AllocationMode, AllocatorConfig
from aiswarm.risk import KillTrigger
from aiswarm.runtime import Host
from aiswarm.runtime.composition import instrument_for, load_feeds
from aiswarm.types import (
    AgentId,
    BarSeries,
    Direction,
    EventType,
    MarketFrame,
    OrderStatus,
    OrderType,
    Signal,
    Symbol,
    SymbolFrame,
)
from aiswarm.venues import PaperVenue
from aiswarm.venues.fill_models import FeeModel
from kit.builders import ACCOUNT, SYMBOL, VENUE, instrument
from kit.host import run_steps
from kit.spine import START, Desk, open_desk, trading_mandate

pytestmark = pytest.mark.integration

SLICE = EventType.ALLOCATION_SLICE
REQUOTE = EventType.ALLOCATION_REQUOTE


class _Scripted:
    """An agent that signals only when told to (``say``), for the next cycle only."""

    def __init__(self) -> None:
        self.agent_id = AgentId("scripted")
        self.weight = 1.0
        self.next: Direction | None = None

    def say(self, direction: Direction) -> None:
        self.next = direction

    def analyze(self, frame: MarketFrame) -> list[Signal]:
        return list(self.propose(frame).signals)

    def validate(self, signal: Signal) -> list[str]:
        return []

    def propose(self, frame: MarketFrame) -> Proposal:
        direction, self.next = self.next, None
        if direction is None:
            return Proposal(())
        signal = Signal(
            agent_id=self.agent_id,
            symbol=SYMBOL,
            direction=direction,
            confidence=0.6,
            expected_return=0.01 if direction is not Direction.FLAT else 0.0,
            liquidity_score=0.5,
            horizon_s=600,
            ts_event=from_ns(frame.now_ns),
            evidence={"payoff_ratio": 1.5},
        )
        return Proposal((signal,))


def _frame(desk: Desk) -> MarketFrame:
    closes = np.full(30, float(desk.mark))
    series = BarSeries(np.arange(30, dtype=np.int64), closes, closes, closes, closes, np.ones(30))
    return MarketFrame(desk.clock.now_ns(), {SYMBOL: SymbolFrame(VENUE, SYMBOL, 60, series, 30)})


def _context(desk: Desk) -> TradingContext:
    desk.spine.portfolio.mark(VENUE, SYMBOL, desk.mark)
    return TradingContext(
        portfolio=desk.spine.portfolio.snapshot(desk.clock.now()),
        markets={SYMBOL: desk.market()},
        instruments={SYMBOL: instrument()},
        mandate=trading_mandate(),
        limit_position_notional_usd=Decimal("60000"),
    )


def _coordinator(desk: Desk, agent: _Scripted, **allocator: Any) -> Coordinator:
    arbitration = ArbitrationConfig()
    fields: dict[str, Any] = {
        "mode": AllocationMode.FIXED_QUANTITY,
        "fixed_quantity": Decimal("0.03"),
        "long_only": True,
    }
    return Coordinator(
        agents=[agent],
        weights=AgentWeights(arbitration),
        arbitration=arbitration,
        allocator=AllocatorConfig(**(fields | allocator)),
        pipeline=desk.spine.pipeline,
        oms=desk.spine.oms,
        journal=desk.spine.journal,
        clock=desk.clock,
        account=ACCOUNT,
    )


async def _cycle(desk: Desk, coordinator: Coordinator) -> int:
    """Run one cycle at the desk's time; return how many orders it placed."""
    outcome = await coordinator.cycle(_frame(desk), lambda: _context(desk))
    return outcome.orders_placed


async def _events(desk: Desk, event_type: str) -> list[dict[str, Any]]:
    return [dict(event.payload) async for event in desk.store.replay() if event.type == event_type]


def _quantities(desk: Desk) -> list[Decimal]:
    return [order.spec.quantity for order in desk.spine.oms.orders.values()]


async def test_twap_when_three_slices_then_placed_at_scheduled_cycles_and_sum_to_parent(
    tmp_path: Path,
) -> None:
    # Arrange: slices every 120 s, cycles every 60 s
    desk = await open_desk(tmp_path / "s.db")
    agent = _Scripted()
    coordinator = _coordinator(desk, agent, slices=3, slice_interval_s=120)
    agent.say(Direction.LONG)

    # Act
    placed = [await _cycle(desk, coordinator)]
    for _ in range(5):
        await desk.next_bar()
        placed.append(await _cycle(desk, coordinator))

    # Assert
    assert placed == [1, 0, 1, 0, 1, 0]
    assert _quantities(desk) == [Decimal("0.01")] * 3
    created = [order.spec.created_at for order in desk.spine.oms.orders.values()]
    assert [(moment - created[0]).total_seconds() for moment in created] == [0, 120, 240]
    await desk.next_bar()
    position = desk.spine.portfolio.position(VENUE, SYMBOL)
    assert position is not None
    assert position.quantity == Decimal("0.03")
    records = await _events(desk, SLICE)
    assert [(record["action"], record["slice"]) for record in records] == [
        ("place", 1),
        ("place", 2),
        ("place", 3),
    ]
    assert "slice 2/3" in records[1]["order"]["reason"]
    assert not coordinator.has_timers
    await desk.store.close()


async def test_twap_when_new_decision_then_remaining_slices_replaced_and_recorded(
    tmp_path: Path,
) -> None:
    # Arrange: the first slice fills, then the agent calls LONG again before slice 2
    desk = await open_desk(tmp_path / "s.db")
    agent = _Scripted()
    coordinator = _coordinator(desk, agent, slices=3, slice_interval_s=120)
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    await desk.next_bar()

    # Act
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    for _ in range(4):
        await desk.next_bar()
        await _cycle(desk, coordinator)

    # Assert: 0.01, then the new decision's 0.02 in three slices; the old plan never resumes
    records = await _events(desk, SLICE)
    cancels = [record for record in records if record["action"] == "cancel"]
    assert len(cancels) == 1
    assert cancels[0]["remaining_slices"] == 2
    assert Decimal(cancels[0]["remaining_quantity"]) == Decimal("0.02")
    assert _quantities(desk) == [
        Decimal("0.01"),
        Decimal("0.00666"),
        Decimal("0.00666"),
        Decimal("0.00668"),
    ]
    await desk.next_bar()
    position = desk.spine.portfolio.position(VENUE, SYMBOL)
    assert position is not None
    assert position.quantity == Decimal("0.03")
    await desk.store.close()


async def test_twap_when_slice_refused_by_risk_then_recorded_and_not_placed(
    tmp_path: Path,
) -> None:
    # Arrange: after the first slice an operator allows only reducing orders
    desk = await open_desk(tmp_path / "s.db")
    agent = _Scripted()
    coordinator = _coordinator(desk, agent, slices=3, slice_interval_s=60)
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    await desk.spine.kill_switch.command(KillTrigger.REDUCE, "operator: reduce only")

    # Act
    await desk.next_bar()
    outcome = await coordinator.cycle(_frame(desk), lambda: _context(desk))

    # Assert
    assert len(outcome.placements) == 1
    assert outcome.placements[0].refused is not None
    assert outcome.orders_placed == 0
    assert len(desk.spine.oms.orders) == 1
    slices = await _events(desk, SLICE)
    assert [record["slice"] for record in slices] == [1, 2]
    decisions = await _events(desk, "risk.decision")
    assert [decision["approved"] for decision in decisions] == [True, False]
    await desk.store.close()


async def test_requote_when_heartbeat_due_then_resting_limit_replaced_at_new_mark_until_filled(
    tmp_path: Path,
) -> None:
    # Arrange: a limit buy 10 ticks under the mark, re-quoted every 60 s
    desk = await open_desk(tmp_path / "q.db")
    agent = _Scripted()
    coordinator = _coordinator(
        desk,
        agent,
        fixed_quantity=Decimal("0.02"),
        order_type=OrderType.LIMIT,
        limit_offset_ticks=10,
        requote_every_s=60,
    )
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    (first,) = desk.spine.oms.orders.values()

    # Act 1: the mark moves up, but the heartbeat period has not passed
    desk.clock.advance(30)
    desk.mark = Decimal("50100")
    early = await _cycle(desk, coordinator)

    # Act 2: a bar at 50100 leaves the order resting; the heartbeat is now due
    await desk.next_bar(Decimal("50100"))
    requoted = await _cycle(desk, coordinator)

    # Assert: cancelled and replaced at the new mark
    assert early == 0
    assert requoted == 1
    orders = list(desk.spine.oms.orders.values())
    assert orders[0].client_order_id == first.client_order_id
    assert orders[0].status is OrderStatus.CANCELED
    replacement = orders[1]
    assert replacement.spec.limit_price == Decimal("50099.90")
    assert replacement.spec.quantity == Decimal("0.02")
    assert replacement.status is OrderStatus.ACCEPTED
    actions = [record["action"] for record in await _events(desk, REQUOTE)]
    assert actions == ["cancel", "place"]

    # Act 3: the price falls through the new limit, the order fills, the next beat finds it done
    await desk.next_bar(Decimal("50000"))
    after_fill = await _cycle(desk, coordinator)

    # Assert: no further re-quote, and the heartbeat is gone
    assert desk.spine.oms.orders[replacement.client_order_id].status is OrderStatus.FILLED
    assert after_fill == 0
    assert [record["action"] for record in await _events(desk, REQUOTE)] == actions
    assert not coordinator.has_timers
    await desk.store.close()


async def test_requote_when_mark_unmoved_then_order_left_alone(tmp_path: Path) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "q.db")
    agent = _Scripted()
    coordinator = _coordinator(
        desk,
        agent,
        fixed_quantity=Decimal("0.02"),
        order_type=OrderType.LIMIT,
        limit_offset_ticks=10,
        requote_every_s=60,
    )
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)

    # Act: two heartbeats pass at the same mark, the limit 10 ticks below never trades
    desk.clock.advance(130)
    placed = await _cycle(desk, coordinator)

    # Assert
    assert placed == 0
    assert len(desk.spine.oms.orders) == 1
    assert await _events(desk, REQUOTE) == []
    assert coordinator.has_timers
    await desk.store.close()


async def test_requote_when_venue_cancels_later_then_replacement_waits_for_the_cancel(
    tmp_path: Path,
) -> None:
    # Arrange: a venue whose cancels take effect 10 s after they are asked
    clock = SimulatedClock(START)
    venue = PaperVenue(
        VENUE, {SYMBOL: instrument()}, clock, max_participation_frac=Decimal("1"), latency_ns=10**10
    )
    desk = await open_desk(tmp_path / "q.db", venue=venue, clock=clock)
    agent = _Scripted()
    coordinator = _coordinator(
        desk,
        agent,
        fixed_quantity=Decimal("0.02"),
        order_type=OrderType.LIMIT,
        limit_offset_ticks=10,
        requote_every_s=60,
    )
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    (first,) = desk.spine.oms.orders.values()
    await desk.next_bar(Decimal("50100"))

    # Act 1: the heartbeat is due; the cancel is asked but not yet done
    during = await _cycle(desk, coordinator)
    status_during = desk.spine.oms.orders[first.client_order_id].status

    # Act 2: the next cycle, after the venue confirmed the cancel
    await desk.next_bar(Decimal("50100"))
    after = await _cycle(desk, coordinator)

    # Assert
    assert during == 0
    assert status_during is OrderStatus.PENDING_CANCEL
    assert after == 1
    orders = list(desk.spine.oms.orders.values())
    assert orders[0].status is OrderStatus.CANCELED
    assert orders[1].spec.limit_price == Decimal("50099.90")
    assert [record["action"] for record in await _events(desk, REQUOTE)] == ["cancel", "place"]
    await desk.store.close()


async def test_requote_when_order_fills_before_its_cancel_then_nothing_replaces_it(
    tmp_path: Path,
) -> None:
    # Arrange: orders and cancels reach this venue 100 s after they are sent
    clock = SimulatedClock(START)
    venue = PaperVenue(
        VENUE, {SYMBOL: instrument()}, clock, max_participation_frac=Decimal("1"), latency_ns=10**11
    )
    desk = await open_desk(tmp_path / "q.db", venue=venue, clock=clock)
    agent = _Scripted()
    coordinator = _coordinator(
        desk,
        agent,
        fixed_quantity=Decimal("0.02"),
        order_type=OrderType.LIMIT,
        limit_offset_ticks=10,
        requote_every_s=60,
    )
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    (first,) = desk.spine.oms.orders.values()
    desk.clock.advance(60)
    desk.mark = Decimal("50100")
    await _cycle(desk, coordinator)  # heartbeat: cancel asked, reaching the venue at +160 s

    # Act: at +120 s the price falls through the old limit before the cancel arrives
    await desk.next_bar(Decimal("49990"))
    placed = await _cycle(desk, coordinator)

    # Assert
    assert placed == 0
    assert desk.spine.oms.orders[first.client_order_id].status is OrderStatus.FILLED
    assert len(desk.spine.oms.orders) == 1
    records = await _events(desk, REQUOTE)
    assert [record["action"] for record in records] == ["cancel", "not_replaced"]
    assert "filled" in records[1]["reason"]
    assert not coordinator.has_timers
    await desk.store.close()


async def test_requote_when_order_cancelled_elsewhere_then_watch_dropped(tmp_path: Path) -> None:
    # Arrange
    desk = await open_desk(tmp_path / "q.db")
    agent = _Scripted()
    coordinator = _coordinator(
        desk,
        agent,
        fixed_quantity=Decimal("0.02"),
        order_type=OrderType.LIMIT,
        limit_offset_ticks=10,
        requote_every_s=60,
    )
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    (first,) = desk.spine.oms.orders.values()
    await desk.spine.oms.cancel(first.client_order_id, "operator")

    # Act
    await desk.next_bar(Decimal("50100"))
    placed = await _cycle(desk, coordinator)

    # Assert
    assert placed == 0
    assert len(desk.spine.oms.orders) == 1
    assert await _events(desk, REQUOTE) == []
    assert not coordinator.has_timers
    await desk.store.close()


async def test_cycle_when_no_signal_and_no_timer_then_nothing_recorded_and_no_context(
    tmp_path: Path,
) -> None:
    # Arrange: slicing and re-quoting configured, but nothing was ever placed
    desk = await open_desk(tmp_path / "c.db")
    agent = _Scripted()
    coordinator = _coordinator(
        desk, agent, slices=3, order_type=OrderType.LIMIT, requote_every_s=60
    )
    before = (await desk.store.head())[0]
    built: list[int] = []

    def context() -> TradingContext:
        built.append(1)
        return _context(desk)

    # Act
    outcome = await coordinator.cycle(_frame(desk), context)

    # Assert
    assert outcome.placements == ()
    assert built == []
    assert not coordinator.has_timers
    assert (await desk.store.head())[0] == before
    await desk.store.close()


async def test_cycle_when_timer_not_due_then_nothing_recorded_and_no_context(
    tmp_path: Path,
) -> None:
    # Arrange: one slice placed, the next due in 300 s
    desk = await open_desk(tmp_path / "c.db")
    agent = _Scripted()
    coordinator = _coordinator(desk, agent, slices=2, slice_interval_s=300)
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    built: list[int] = []

    def context() -> TradingContext:
        built.append(1)
        return _context(desk)

    # Act
    await desk.next_bar()
    head = (await desk.store.head())[0]
    outcome = await coordinator.cycle(_frame(desk), context)

    # Assert
    assert coordinator.has_timers
    assert outcome.placements == ()
    assert built == []
    assert (await desk.store.head())[0] == head
    await desk.store.close()


# ----------------------------------------------------------------- backtest and paper parity

REPO = Path(__file__).resolve().parents[2]
_AGENTS = {
    "agents": [
        {
            "name": "ema_cross",
            "id": "ema",
            "symbols": ["BTC/USD"],
            "params": {"fast": 9, "slow": 21},
        },
        {"name": "momentum", "id": "momentum", "symbols": ["BTC/USD"], "params": {"lookback": 20}},
    ]
}


def _parity_config(tmp_path: Path, allocator: dict[str, Any]) -> Any:
    agents_file = tmp_path / "agents.yaml"
    agents_file.write_text(yaml.safe_dump(_AGENTS), encoding="utf-8")
    config_file = tmp_path / "aiswarm.yaml"
    settings = {
        "state_dir": str(tmp_path / "state"),
        "data_dir": str(REPO / "backtest_data"),
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path}/events.db"},
        "paper": {
            "starting_cash": "100000",
            "fee_frac": "0.001",
            "feeds": [
                {
                    "file": "coinbase_btcusd_1m_2018-04-04_06.csv",
                    "venue": "coinbase",
                    "symbol": "BTC/USD",
                }
            ],
        },
        "trading": {
            "agents_file": str(agents_file),
            "enable_at_start": True,
            "allocator": {"mode": "fixed_quantity", "fixed_quantity": "0.5", "long_only": True}
            | allocator,
            "risk": {
                "max_order_notional_usd": "100000",
                "max_position_notional_usd": "100000",
                "max_drawdown_frac": "0.5",
                "max_daily_loss_frac": "0.5",
            },
        },
    }
    config_file.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return load_config(config_file, environ={})


@pytest.mark.parametrize(
    "allocator",
    [
        {"slices": 3, "slice_interval_s": 120},
        {"order_type": "limit", "limit_offset_ticks": 2, "requote_every_s": 120},
    ],
    ids=["twap-3-slices", "limit-requote"],
)
async def test_replay_when_orders_worked_over_time_then_paper_and_backtest_place_same_orders(
    tmp_path: Path, allocator: dict[str, Any]
) -> None:
    # Arrange
    config = _parity_config(tmp_path, allocator)
    feeds = load_feeds(config)
    bars = feeds[Symbol("BTC/USD")].bars
    host = await Host.start(config, b"p" * 32, clock_at=SimulatedClock)
    await host.begin("parity")
    engine = host.engine
    setup = BacktestSetup(
        bars=bars,
        instrument=instrument_for(bars),
        agents=build_agents(parse_agents_config(_AGENTS)),
        arbitration=config.trading.arbitration,
        allocator=config.trading.allocator,
        limits=config.trading.risk,
        mandate=engine.mandate,
        starting_cash=config.paper.starting_cash,
        fee_model=FeeModel(maker_fee_frac=Decimal("0.001"), taker_fee_frac=Decimal("0.001")),
        account=engine.account,
    )

    # Act
    backtest = await run_backtest(setup)
    await run_steps(host, 100_000)
    paper = [order.spec for order in engine.spine.oms.orders.values()]
    kinds = [event.type async for event in host.store.replay()]
    await host.stop("parity over")

    # Assert
    def shape(specs: Any) -> list[tuple[object, ...]]:
        return [(s.created_at, s.side, s.order_type, s.quantity, s.limit_price) for s in specs]

    assert len(paper) > 20
    assert shape(paper) == shape(backtest.specs)
    worked = SLICE if "slices" in allocator else REQUOTE
    assert worked in kinds


async def test_requote_when_cancel_done_before_new_decision_then_remainder_not_placed_twice(
    tmp_path: Path,
) -> None:
    # Arrange: a venue that confirms cancels a bar later; a re-quote's cancel completes, then a
    # new decision arrives (sized for 0.03) before the old remainder was placed again
    clock = SimulatedClock(START)
    venue = PaperVenue(
        VENUE, {SYMBOL: instrument()}, clock, max_participation_frac=Decimal("1"), latency_ns=10**10
    )
    desk = await open_desk(tmp_path / "q.db", venue=venue, clock=clock)
    agent = _Scripted()
    coordinator = _coordinator(
        desk,
        agent,
        fixed_quantity=Decimal("0.02"),
        order_type=OrderType.LIMIT,
        limit_offset_ticks=10,
        requote_every_s=60,
    )
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    await desk.next_bar(Decimal("50100"))
    await _cycle(desk, coordinator)  # the heartbeat asks to cancel for a re-quote
    await desk.next_bar(Decimal("50100"))  # the cancel is confirmed
    agent.say(Direction.LONG)
    coordinator._allocator = coordinator._allocator.model_copy(
        update={"fixed_quantity": Decimal("0.03")}
    )

    # Act
    await _cycle(desk, coordinator)

    # Assert: working buys add up to the new target, not target + old remainder
    working = desk.spine.oms.open_orders()
    assert sum(order.remaining_quantity for order in working) == Decimal("0.03")
    replaced = [e.payload async for e in desk.store.replay(types=["allocation.requote"])]
    assert any(p.get("action") == "not_replaced" for p in replaced)
    await desk.store.close()


# ----------------------------------------------------------------- restarts


async def _restart(
    desk: Desk, path: Path, agent: _Scripted, **allocator: Any
) -> tuple[Desk, Coordinator]:
    """Drop ``desk``; open a fresh store, spine and coordinator over ``path``, restored from it."""
    await desk.store.close()
    again = await open_desk(path, venue=desk.venue, clock=desk.clock, fresh=False)
    again.mark = desk.mark
    records = [(event.type, event.payload) async for event in again.store.replay()]
    coordinator = _coordinator(again, agent, **allocator)
    coordinator.restore(records)
    return again, coordinator


async def _slices_submitted(desk: Desk) -> list[tuple[int, Decimal]]:
    """Return (slice number, quantity) of every slice the OMS recorded as submitted."""
    numbers = {
        record["client_order_id"]: record["slice"]
        for record in await _events(desk, SLICE)
        if record["action"] == "place"
    }
    return [
        (numbers[spec["client_order_id"]], Decimal(spec["quantity"]))
        for spec in (record["spec"] for record in await _events(desk, "order.submitted"))
        if spec["client_order_id"] in numbers
    ]


async def test_twap_when_restarted_mid_way_then_remaining_slices_placed_exactly_once(
    tmp_path: Path,
) -> None:
    # Arrange: 0.04 BTC in 4 slices every 120 s; the process stops after slice 2
    twap: dict[str, Any] = {
        "slices": 4,
        "slice_interval_s": 120,
        "fixed_quantity": Decimal("0.04"),
    }
    desk = await open_desk(tmp_path / "r.db")
    agent = _Scripted()
    coordinator = _coordinator(desk, agent, **twap)
    agent.say(Direction.LONG)
    placed = [await _cycle(desk, coordinator)]
    for _ in range(2):
        await desk.next_bar()
        placed.append(await _cycle(desk, coordinator))

    # Act: restart over the same file, then keep cycling
    again, restored = await _restart(desk, tmp_path / "r.db", agent, **twap)
    assert restored.has_timers
    for _ in range(5):
        await again.next_bar()
        placed.append(await _cycle(again, restored))

    # Assert: slices 3 and 4 at +240 s and +360 s, each once, summing to the intent
    assert placed == [1, 0, 1, 0, 1, 0, 1, 0]
    slices = await _slices_submitted(again)
    assert sorted(number for number, _ in slices) == [1, 2, 3, 4]
    assert sum(quantity for _, quantity in slices) == Decimal("0.04")
    assert len(await desk.venue.open_orders()) == 0
    position = again.spine.portfolio.position(VENUE, SYMBOL)
    assert position is not None
    assert position.quantity == Decimal("0.04")
    assert not restored.has_timers
    await again.store.close()


async def test_twap_when_killed_between_slice_record_and_submit_then_slice_placed_once(
    tmp_path: Path,
) -> None:
    # Arrange: slice 2 is recorded and approved; the process dies before order.submitted
    twap: dict[str, Any] = {"slices": 3, "slice_interval_s": 60}
    desk = await open_desk(tmp_path / "k.db")
    agent = _Scripted()
    coordinator = _coordinator(desk, agent, **twap)
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    real_append = desk.store.append

    async def die_on_submit(event_type: str, payload: Any, *, account: str) -> Any:
        if event_type == EventType.ORDER_SUBMITTED:
            raise RuntimeError("process killed")
        return await real_append(event_type, payload, account=account)

    desk.store.append = die_on_submit  # type: ignore[method-assign]
    await desk.next_bar()
    with pytest.raises(RuntimeError, match="process killed"):
        await _cycle(desk, coordinator)
    desk.store.append = real_append  # type: ignore[method-assign]

    # Act
    again, restored = await _restart(desk, tmp_path / "k.db", agent, **twap)
    placed = []
    for _ in range(3):
        await again.next_bar()
        placed.append(await _cycle(again, restored))

    # Assert: slice 2 was recorded twice, reached the venue once, and slice 3 followed it
    assert placed == [1, 1, 0]
    records = [r for r in await _events(again, SLICE) if r["action"] == "place"]
    assert [record["slice"] for record in records] == [1, 2, 2, 3]
    assert await desk.venue.query(records[1]["client_order_id"]) is None
    slices = await _slices_submitted(again)
    assert [number for number, _ in slices] == [1, 2, 3]
    assert sum(quantity for _, quantity in slices) == Decimal("0.03")
    await again.store.close()


async def test_requote_when_restarted_then_resting_order_still_requoted(tmp_path: Path) -> None:
    # Arrange: a resting limit buy watched every 60 s; the process stops before the beat
    requote: dict[str, Any] = {
        "fixed_quantity": Decimal("0.02"),
        "order_type": OrderType.LIMIT,
        "limit_offset_ticks": 10,
        "requote_every_s": 60,
    }
    desk = await open_desk(tmp_path / "q.db")
    agent = _Scripted()
    coordinator = _coordinator(desk, agent, **requote)
    agent.say(Direction.LONG)
    await _cycle(desk, coordinator)
    (first,) = desk.spine.oms.orders.values()

    # Act: restart, then a bar at 50100 leaves the order resting and the beat comes due
    again, restored = await _restart(desk, tmp_path / "q.db", agent, **requote)
    await again.next_bar(Decimal("50100"))
    requoted = await _cycle(again, restored)

    # Assert
    assert requoted == 1
    orders = list(again.spine.oms.orders.values())
    assert orders[0].client_order_id == first.client_order_id
    assert orders[0].status is OrderStatus.CANCELED
    assert orders[1].spec.limit_price == Decimal("50099.90")
    assert [record["action"] for record in await _events(again, REQUOTE)] == ["cancel", "place"]
    await again.store.close()
