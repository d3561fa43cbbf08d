"""A TWAP killed after any record and restarted (twice, at any point) places each slice once.

The process runs a TWAP (market slices, or limit slices re-quoted as the mark moves) over the
real pipeline, OMS and paper venue, and dies on the append after record ``k``: that record is
the last one kept. A fresh process restores from the log and carries on, and may itself die
after ``k2`` more records. Whatever ``k`` and ``k2``: every slice of a plan that was recorded is
submitted exactly once and reaches the venue once, the slices sum to the intent, and every
re-quote is finished exactly once (one replacement placed, or a record saying why none was).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock
from aiswarm.orchestration.order_schedule import REQUOTE, SLICE
from aiswarm.portfolio import AllocatorConfig
from aiswarm.types import OrderIntent, OrderType
from kit.builders import order_intent
from kit.schedule import START, CountingVenue, Log, Process, ProcessKilledError, start_process

QUANTITY = Decimal("0.05")
MARKS = (Decimal("50000"), Decimal("50100"), Decimal("50050"))


def _plan(slices: int, limit: bool) -> tuple[AllocatorConfig, OrderIntent]:
    if not limit:
        config = AllocatorConfig(slices=slices, slice_interval_s=60)
        intent = order_intent(
            order_type=OrderType.MARKET, quantity=QUANTITY, limit_price=None, ts_event=START
        )
        return config, intent
    config = AllocatorConfig(
        slices=slices,
        slice_interval_s=90,
        order_type=OrderType.LIMIT,
        limit_offset_ticks=10,
        requote_every_s=60,
    )
    intent = order_intent(quantity=QUANTITY, limit_price=Decimal("49999.90"), ts_event=START)
    return config, intent


async def _life(process: Process, cycles: int, intent: OrderIntent | None) -> None:
    """Run one life of the process: start the TWAP (first life only), then cycle."""
    if intent is not None:
        await process.start(intent)
    for _ in range(cycles):
        mark = MARKS[(process.clock.now_ns() // 60_000_000_000) % len(MARKS)]
        await process.cycle(60, price=mark)


async def _run(slices: int, limit: bool, deaths: list[int | None]) -> tuple[Log, CountingVenue]:
    """Run the TWAP to the end, dying after each of ``deaths`` records (None: not at all)."""
    config, intent = _plan(slices, limit)
    clock = SimulatedClock(START)
    log, venue = Log(), CountingVenue(clock)
    first: OrderIntent | None = intent
    mark = MARKS[0]
    for death in [*deaths, None]:
        process = await start_process(log, venue, clock, config)
        process.mark = mark
        if death is not None:
            log.die_after(death)
        with contextlib.suppress(ProcessKilledError):
            await _life(process, 2 * slices + 3, first)
        first, mark = None, process.mark
    return log, venue


@settings(max_examples=120)
@given(
    slices=st.integers(min_value=2, max_value=5),
    limit=st.booleans(),
    data=st.data(),
)
def test_twap_when_killed_after_any_record_then_each_slice_placed_exactly_once(
    slices: int, limit: bool, data: st.DataObject
) -> None:
    # Arrange: how many records an undisturbed run keeps bounds where the process may die
    reference, _ = asyncio.run(_run(slices, limit, []))
    k = data.draw(st.integers(min_value=0, max_value=len(reference.events)), label="k")
    k2 = data.draw(st.none() | st.integers(min_value=0, max_value=40), label="k2")

    # Act
    log, venue = asyncio.run(_run(slices, limit, [k, k2]))

    # Assert
    planned = [p for p in log.payloads(SLICE) if p["action"] == "place" and p["slice"] == 1]
    numbers = {p["client_order_id"]: p["slice"] for p in log.payloads(SLICE) if "slice" in p}
    at_venue = sorted(numbers[cid] for cid in venue.received if cid in numbers)
    if not planned:  # killed before the TWAP was recorded: it never started
        assert log.submitted_slices() == []
        assert at_venue == []
        return
    assert sorted(log.submitted_slices()) == list(range(1, len(planned[0]["quantities"]) + 1))
    assert at_venue == sorted(log.submitted_slices())
    slice_specs = [spec for spec in log.submitted() if spec.client_order_id in numbers]
    assert sum(spec.quantity for spec in slice_specs) == QUANTITY
    submitted = {spec.client_order_id for spec in log.submitted()}
    replacements = Counter(
        p["replaces"]
        for p in log.payloads(REQUOTE)
        if p["action"] == "place" and p["client_order_id"] in submitted
    )
    assert all(count == 1 for count in replacements.values())
    cancelled = {p["client_order_id"] for p in log.payloads(REQUOTE) if p["action"] == "cancel"}
    ended = {p["client_order_id"] for p in log.payloads(REQUOTE) if p["action"] == "not_replaced"}
    assert cancelled == set(replacements) | ended  # every re-quote finished, once
    assert not set(replacements) & ended
