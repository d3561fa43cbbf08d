"""The bus behaves the same in-process and over the local Redis: every test runs on both.

Delivery in order, acknowledgement, retry then dead letter, idempotency keys, requeue, consumer
groups (consumers of one group share, groups each get everything), unreadable or unknown
versions dead-lettered, and a dead consumer's messages taken over by its group.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from aiswarm.bus import (
    BusError,
    BusSettings,
    Delivery,
    Message,
    StreamBus,
    UnknownDeadLetterError,
    consume,
    open_bus,
)
from aiswarm.clock import SimulatedClock
from kit.bus import START, TRANSPORTS, Note, note, opened_bus

pytestmark = pytest.mark.integration

TOPIC = "test.notes"
SETTINGS = BusSettings(max_deliveries=3)


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bus(transport: str) -> AsyncIterator[StreamBus]:
    async with opened_bus(transport, SETTINGS) as opened:
        yield opened


def numbers(deliveries: list[Delivery]) -> list[int]:
    return [d.record.n for d in deliveries if isinstance(d.record, Note)]


async def test_publish_then_receive_when_acked_then_delivered_once_in_order(bus: StreamBus) -> None:
    for n in range(3):
        await bus.publish(TOPIC, note(n))

    got = await bus.receive(TOPIC, "engines", "engine-1")
    for delivery in got:
        await bus.ack(delivery)

    assert numbers(got) == [0, 1, 2]
    assert [d.message.trace_id for d in got] == ["trace-0", "trace-1", "trace-2"]
    assert all(d.attempt == 1 for d in got)
    assert await bus.receive(TOPIC, "engines", "engine-1") == []
    assert await bus.pending() == []


async def test_receive_when_not_acked_then_same_consumer_gets_it_again_first(
    bus: StreamBus,
) -> None:
    for n in range(3):
        await bus.publish(TOPIC, note(n))
    first = await bus.receive(TOPIC, "engines", "engine-1", count=2)
    await bus.ack(first[0])

    again = await bus.receive(TOPIC, "engines", "engine-1", count=10)

    assert numbers(first) == [0, 1]
    assert numbers(again) == [1, 2]
    assert [d.attempt for d in again] == [2, 1]


async def test_nack_until_limit_then_dead_lettered_with_error(bus: StreamBus) -> None:
    await bus.publish(TOPIC, note(7))

    attempts = []
    for _ in range(SETTINGS.max_deliveries):
        (delivery,) = await bus.receive(TOPIC, "engines", "engine-1")
        attempts.append(delivery.attempt)
        await bus.nack(delivery, "ValueError: price feed gap")
    pending_after = await bus.pending()

    assert attempts == [1, 2, 3]
    assert await bus.receive(TOPIC, "engines", "engine-1") == []
    assert pending_after == []
    (letter,) = await bus.dead_letters()
    assert (letter.topic, letter.group, letter.deliveries) == (TOPIC, "engines", 3)
    assert "ValueError: price feed gap" in letter.error
    assert letter.message is not None
    assert letter.message["trace_id"] == "trace-7"


async def test_pending_when_nacked_then_shows_last_error(bus: StreamBus) -> None:
    await bus.publish(TOPIC, note(1))
    (delivery,) = await bus.receive(TOPIC, "engines", "engine-1")

    await bus.nack(delivery, "boom")

    (entry,) = await bus.pending()
    assert (entry.topic, entry.group, entry.consumer) == (TOPIC, "engines", "engine-1")
    assert (entry.message_id, entry.deliveries, entry.last_error) == (
        delivery.message_id,
        1,
        "boom",
    )


async def test_consumer_crashing_every_time_then_dead_lettered_without_answer(
    bus: StreamBus,
) -> None:
    await bus.publish(TOPIC, note(1))

    for _ in range(SETTINGS.max_deliveries):
        assert len(await bus.receive(TOPIC, "engines", "engine-1")) == 1  # never answered
    last = await bus.receive(TOPIC, "engines", "engine-1")

    assert last == []
    (letter,) = await bus.dead_letters()
    assert "without an acknowledgement" in letter.error
    assert letter.deliveries == SETTINGS.max_deliveries + 1


async def test_publish_when_key_repeated_then_delivered_once(bus: StreamBus) -> None:
    first = await bus.publish(TOPIC, note(1, key="bar-1"))
    second = await bus.publish(TOPIC, note(1, key="bar-1"))
    other_topic = await bus.publish("test.other", note(1, key="bar-1"))

    got = await bus.receive(TOPIC, "engines", "engine-1")

    assert not first.duplicate
    assert second.duplicate
    assert second.message_id == first.message_id
    assert not other_topic.duplicate
    assert numbers(got) == [1]


async def test_requeue_when_dead_letter_then_only_its_group_gets_it_again(bus: StreamBus) -> None:
    await bus.publish(TOPIC, note(5))
    (done,) = await bus.receive(TOPIC, "journal", "journal-1")
    await bus.ack(done)
    for _ in range(SETTINGS.max_deliveries):
        (delivery,) = await bus.receive(TOPIC, "engines", "engine-1")
        await bus.nack(delivery, "not yet")
    (letter,) = await bus.dead_letters()

    requeued = await bus.requeue(letter.dead_letter_id)
    new_id = requeued.message_id
    again = await bus.receive(TOPIC, "engines", "engine-1")
    journal = await bus.receive(TOPIC, "journal", "journal-1")

    assert requeued.letter == letter
    assert new_id != letter.message_id
    assert numbers(again) == [5]
    assert again[0].attempt == 1
    assert again[0].message.trace_id == "trace-5"
    assert journal == []
    assert await bus.dead_letters() == []
    assert [(p.group, p.message_id) for p in await bus.pending()] == [("engines", new_id)]


async def test_requeue_when_unknown_id_then_refused(bus: StreamBus) -> None:
    with pytest.raises(UnknownDeadLetterError, match="dead letter"):
        await bus.requeue("1-0")
    with pytest.raises(UnknownDeadLetterError, match="'nonsense' is not"):
        await bus.requeue("nonsense")


async def test_two_consumers_of_one_group_share_the_messages(bus: StreamBus) -> None:
    for n in range(6):
        await bus.publish(TOPIC, note(n))

    first = await bus.receive(TOPIC, "engines", "engine-1", count=2)
    second = await bus.receive(TOPIC, "engines", "engine-2", count=10)

    assert numbers(first) == [0, 1]
    assert numbers(second) == [2, 3, 4, 5]


async def test_two_groups_each_get_every_message(bus: StreamBus) -> None:
    for n in range(4):
        await bus.publish(TOPIC, note(n))

    engines = await bus.receive(TOPIC, "engines", "engine-1")
    journal = await bus.receive(TOPIC, "journal", "journal-1")

    assert numbers(engines) == numbers(journal) == [0, 1, 2, 3]


async def test_receive_when_consumer_dead_then_group_takes_its_messages(transport: str) -> None:
    # claim_idle_ms=0: a message held at all counts as abandoned, so no test waits on a clock.
    async with opened_bus(transport, BusSettings(claim_idle_ms=0)) as bus:
        await bus.publish(TOPIC, note(1))
        (held,) = await bus.receive(TOPIC, "engines", "engine-1")  # engine-1 then dies

        (taken,) = await bus.receive(TOPIC, "engines", "engine-2")
        (entry,) = await bus.pending()

    assert taken.message_id == held.message_id
    assert (taken.consumer, taken.attempt) == ("engine-2", 2)
    assert entry.consumer == "engine-2"


async def test_receive_when_version_unknown_then_dead_lettered_not_crashed(bus: StreamBus) -> None:
    newer = Message("test.note", 2, {"text": "x", "n": 1, "extra": True}, trace_id="t-2", ts_ns=1)
    await bus.publish(TOPIC, newer)
    await bus.publish(TOPIC, Message("test.unknown", 1, {}, trace_id="t-3", ts_ns=1))
    await bus.publish(TOPIC, Message("test.note", 1, {"text": "x"}, trace_id="t-4", ts_ns=1))
    await bus.publish(TOPIC, note(9))

    got = await bus.receive(TOPIC, "engines", "engine-1")

    assert numbers(got) == [9]
    errors = [letter.error for letter in await bus.dead_letters()]
    assert len(errors) == 3
    assert "version 2" in errors[0]
    assert "upgrade the consumer" in errors[0]
    assert "'test.unknown' (trace t-3) is unknown" in errors[1]
    assert "n: Field required" in errors[2]


async def test_consume_when_handler_fails_once_then_retried_and_acked(bus: StreamBus) -> None:
    for n in range(3):
        await bus.publish(TOPIC, note(n))
    seen: list[tuple[int, int]] = []
    stop = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        assert isinstance(delivery.record, Note)
        seen.append((delivery.record.n, delivery.attempt))
        if delivery.record.n == 1 and delivery.attempt == 1:
            raise RuntimeError("first try fails")
        if len(seen) == 4:
            stop.set()

    handled = await consume(bus, TOPIC, "engines", "engine-1", handle, stop=stop, block_ms=10)

    assert handled == 3
    assert seen == [(0, 1), (1, 1), (2, 1), (1, 2)]
    assert await bus.pending() == []


async def test_open_bus_when_redis_unreachable_then_bus_error_names_it() -> None:
    with pytest.raises(BusError, match=r"redis://127\.0\.0\.1:1/0 is unreachable"):
        await open_bus("redis://127.0.0.1:1/0", SimulatedClock(START))
