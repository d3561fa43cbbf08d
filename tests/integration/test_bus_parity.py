"""The in-process bus and Redis Streams give the same answers to any sequence of operations.

Hypothesis drives both transports with one random sequence of publishes (some with repeated
idempotency keys), receives by two consumers of two groups on two topics, acks, nacks and
requeues, and after every step compares what each handed out, what is pending and what is
dead-lettered. Message ids differ between transports by design, so deliveries are compared by
the record they carry. ``claim_idle_ms=0`` makes every held message claimable at once, so
takeovers happen without any clock.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aiswarm.bus import BusSettings, Delivery, InProcessBus, StreamBus, open_bus
from aiswarm.clock import SimulatedClock
from kit.bus import REDIS_URL, START, TEST_RECORDS, Note, delete_prefix, note

pytestmark = pytest.mark.integration

_T = TypeVar("_T")
SETTINGS = BusSettings(max_deliveries=2, claim_idle_ms=0)
TOPICS = st.sampled_from(["t.one", "t.two"])
GROUPS = st.sampled_from(["g1", "g2"])
CONSUMERS = st.sampled_from(["c1", "c2"])
Held = dict[tuple[str, str, int], Delivery]


def _view(deliveries: list[Delivery]) -> list[tuple[int, int, str]]:
    return [(d.record.n, d.attempt, d.consumer) for d in deliveries if isinstance(d.record, Note)]


class BusParity(RuleBasedStateMachine):
    """Both transports, one sequence of operations; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.prefix = f"test:{secrets.token_hex(6)}:"
        memory = InProcessBus(SimulatedClock(START), SETTINGS, TEST_RECORDS)
        redis = self.loop.run_until_complete(
            open_bus(
                REDIS_URL, SimulatedClock(START), SETTINGS, prefix=self.prefix, records=TEST_RECORDS
            )
        )
        self.buses: list[StreamBus] = [memory, redis]
        self.held: list[Held] = [{}, {}]
        self.published = 0

    def both(self, call: Callable[[StreamBus, Held], Awaitable[_T]]) -> list[_T]:
        return [
            self.loop.run_until_complete(call(bus, held))
            for bus, held in zip(self.buses, self.held, strict=True)
        ]

    @rule(topic=TOPICS, key=st.none() | st.sampled_from(["k1", "k2"]))
    def publish(self, topic: str, key: str | None) -> None:
        n = self.published
        self.published += 1

        async def call(bus: StreamBus, _: Held) -> bool:
            return (await bus.publish(topic, note(n, key))).duplicate

        duplicate = self.both(call)
        assert duplicate[0] == duplicate[1]

    @rule(topic=TOPICS, group=GROUPS, consumer=CONSUMERS, count=st.integers(1, 3))
    def receive(self, topic: str, group: str, consumer: str, count: int) -> None:
        async def call(bus: StreamBus, held: Held) -> list[tuple[int, int, str]]:
            deliveries = await bus.receive(topic, group, consumer, count)
            for delivery in deliveries:
                assert isinstance(delivery.record, Note)
                held[(topic, group, delivery.record.n)] = delivery
            return _view(deliveries)

        got = self.both(call)
        assert got[0] == got[1]

    @precondition(lambda self: bool(self.held[0]))
    @rule(data=st.data(), fail=st.booleans())
    def answer(self, data: st.DataObject, fail: bool) -> None:
        which = data.draw(st.sampled_from(sorted(self.held[0])))

        async def call(bus: StreamBus, held: Held) -> None:
            delivery = held.pop(which)
            if fail:
                await bus.nack(delivery, f"failed on {which}")
            else:
                await bus.ack(delivery)

        self.both(call)

    @rule(data=st.data())
    def requeue(self, data: st.DataObject) -> None:
        async def letters(bus: StreamBus, _: Held) -> list[str]:
            return [letter.dead_letter_id for letter in await bus.dead_letters()]

        ids = self.both(letters)
        if not ids[0]:
            return
        index = data.draw(st.integers(0, len(ids[0]) - 1))

        async def call(bus: StreamBus, _: Held) -> None:
            dead = [letter.dead_letter_id for letter in await bus.dead_letters()]
            await bus.requeue(dead[index])

        self.both(call)

    @invariant()
    def same_pending_and_dead_letters(self) -> None:
        async def call(bus: StreamBus, _: Held) -> tuple[Any, Any]:
            pending = sorted(
                (p.topic, p.group, p.consumer, p.deliveries, p.last_error or "")
                for p in await bus.pending()
            )
            dead = [
                (d.topic, d.group, d.deliveries, d.error, (d.message or {}).get("trace_id"))
                for d in await bus.dead_letters()
            ]
            return pending, dead

        views = self.both(call)
        assert views[0] == views[1]

    def teardown(self) -> None:
        for bus in self.buses:
            self.loop.run_until_complete(bus.close())
        self.loop.run_until_complete(delete_prefix(self.prefix))
        self.loop.close()


BusParity.TestCase.settings = settings(max_examples=40, stateful_step_count=25)
test_bus_transports_when_driven_alike_then_answer_alike = BusParity.TestCase
