"""What only the in-process bus can show without waiting: key expiry and trimming on its clock."""

from __future__ import annotations

from aiswarm.bus import BusSettings, InProcessBus
from aiswarm.clock import SimulatedClock
from kit.bus import START, TEST_RECORDS, Note, note


async def test_publish_when_key_expired_then_delivered_again() -> None:
    clock = SimulatedClock(START)
    bus = InProcessBus(clock, BusSettings(idempotency_ttl_ms=1_000), TEST_RECORDS)
    first = await bus.publish("t", note(1, key="k"))
    clock.advance(0.5)
    within = await bus.publish("t", note(1, key="k"))
    clock.advance(0.5)

    after = await bus.publish("t", note(1, key="k"))

    assert within.duplicate
    assert not after.duplicate
    assert after.message_id != first.message_id


async def test_publish_when_stream_full_then_oldest_trimmed_and_pending_of_it_dropped() -> None:
    bus = InProcessBus(SimulatedClock(START), BusSettings(max_stream_length=3), TEST_RECORDS)
    await bus.publish("t", note(0))
    (held,) = await bus.receive("t", "g", "c1", count=1)
    for n in range(1, 5):
        await bus.publish("t", note(n))

    late = await bus.receive("t", "late", "c1", count=10)
    again = await bus.receive("t", "g", "c1", count=10)

    assert held.attempt == 1
    assert [d.record.n for d in late if isinstance(d.record, Note)] == [2, 3, 4]
    assert [d.record.n for d in again if isinstance(d.record, Note)] == [2, 3, 4]
    assert [p.message_id for p in await bus.pending() if p.group == "g"] == [
        d.message_id for d in again
    ]
