"""A trip's flatten ends flat within a bounded number of steps under any combination of caps.

Drawn: the position (built at 10,000 USDT, then valued at a higher mark, so it may exceed the
position cap), the per-order notional cap, a per-order quantity cap or none, the measured
liquidity (none, zero, thin, deep), and whether the trip came from venue rejections (so the
circuit breaker is still open) or from an operator. The market allows: each bar trades enough
to fill every slice. Then the account is flat within the number of slices the caps allow (plus
one step), every attempt is placed (none refused, none rejected), no slice exceeds a cap, and
no position is ever over-closed.
"""

from __future__ import annotations

import asyncio
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock
from aiswarm.risk import KillTrigger
from aiswarm.store.memory_journal import MemoryJournal
from aiswarm.types import EventType, Side
from kit.spine import START, memory_desk, paper_venue

ENTRY = Decimal("10000")
STEP = Decimal("0.00001")
CENT = Decimal("0.01")  # entries are whole hundredths of a BTC: 100 USDT or more at ENTRY
FLOOR_USD = Decimal("1000")  # RiskLimits.flatten_slice_floor_usd, the default
PARTICIPATION = Decimal("0.10")  # RiskLimits.max_participation_frac, the default


def _largest_slice(
    cap_usd: Decimal, cap_quantity: Decimal | None, mark: Decimal, liquidity: Decimal | None
) -> Decimal:
    """The largest closing order the caps allow, worked out here independently of the code."""
    liquid_usd = Decimal(0) if liquidity is None else liquidity * PARTICIPATION
    budget = min(cap_usd, max(liquid_usd, FLOOR_USD))
    largest = (budget / mark / STEP).to_integral_value(rounding=ROUND_FLOOR) * STEP
    return largest if cap_quantity is None else min(largest, cap_quantity)


async def _flatten(
    position: Decimal,
    cap_usd: Decimal,
    cap_quantity: Decimal | None,
    mark: Decimal,
    liquidity: Decimal | None,
    by_rejections: bool,
) -> None:
    # Arrange: a venue asking a 50 USDT minimum the guard chain does not know (5 USDT), so a
    # small order can be approved and then rejected
    clock = SimulatedClock(START)
    limits = {
        "flatten_on_trip": True,
        "max_order_notional_usd": cap_usd,
        "max_order_quantity": {} if cap_quantity is None else {"BTC/USDT": cap_quantity},
        "max_position_notional_usd": Decimal("20000"),
        "circuit_breaker_rejections": 2,
        "kill_switch_rejections": 2,
    }
    desk, journal = await memory_desk(
        venue=paper_venue(clock, min_notional=Decimal(50)), clock=clock, **limits
    )
    assert isinstance(journal, MemoryJournal)
    desk.mark = ENTRY
    entry_cap = cap_usd / ENTRY if cap_quantity is None else min(cap_usd / ENTRY, cap_quantity)
    entry = (entry_cap / CENT).to_integral_value(rounding=ROUND_FLOOR) * CENT
    while desk.held() < position:
        placed = await desk.place(desk.intent(str(min(entry, position - desk.held()))))
        assert placed.is_live, placed
        await desk.next_bar()
    await desk.next_bar(mark)
    if by_rejections:
        for quantity in ("0.0002", "0.0003"):  # 5 to 50 USDT at these marks: the venue rejects
            small = await desk.place(desk.intent(quantity, Side.SELL, reduce_only=True))
            assert small.submitted is not None
            assert not small.submitted.accepted
    else:
        await desk.spine.kill_switch.command(KillTrigger.TRIP, "operator stop")
    largest = _largest_slice(cap_usd, cap_quantity, mark, liquidity)
    bound = int((position / largest).to_integral_value(rounding=ROUND_CEILING)) + 1

    # Act: a step is the kill switch's check, then a bar
    steps = 0
    held = [desk.held()]
    while desk.held() != 0 and steps < bound + 5:
        tripped, _ = await desk.check(liquidity_usd=liquidity)
        await desk.next_bar()
        steps += 1
        held.append(desk.held())
        if steps == 1 and by_rejections:
            assert tripped is not None

    # Assert
    assert desk.held() == 0
    assert steps <= bound
    attempts = [event.payload for event in journal.events([EventType.KILL_SWITCH_FLATTEN])]
    closes = [
        event.payload["spec"]
        for event in journal.events([EventType.ORDER_SUBMITTED])
        if event.payload["spec"]["reduce_only"]
    ]
    assert {attempt["outcome"] for attempt in attempts} == {"placed"}
    assert all(Decimal(spec["quantity"]) <= largest for spec in closes)
    assert all(a >= b >= 0 for a, b in pairwise(held))


@settings(max_examples=60)
@given(
    position=st.integers(1, 200).map(lambda k: Decimal(k) / 100),  # 0.01 to 2 BTC
    cap_usd=st.integers(1_000, 100_000).map(Decimal),
    cap_quantity=st.none() | st.integers(5, 100).map(lambda k: Decimal(k) / 100),
    mark=st.sampled_from([Decimal(30_000), Decimal(50_000), Decimal(70_000)]),
    liquidity=st.sampled_from(
        [None, Decimal(0), Decimal(2_000), Decimal(50_000), Decimal(5_000_000)]
    ),
    by_rejections=st.booleans(),
)
def test_flatten_when_caps_drawn_then_flat_within_bounded_steps(
    position: Decimal,
    cap_usd: Decimal,
    cap_quantity: Decimal | None,
    mark: Decimal,
    liquidity: Decimal | None,
    by_rejections: bool,
) -> None:
    asyncio.run(_flatten(position, cap_usd, cap_quantity, mark, liquidity, by_rejections))
