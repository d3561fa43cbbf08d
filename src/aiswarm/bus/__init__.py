"""The event bus: one publish/subscribe interface, in-process by default, Redis Streams scaled out.

See docs/bus.md. This room imports only ``types`` and ``clock`` (and ``errors``).
"""

from aiswarm.bus.consumer import consume
from aiswarm.bus.contract import (
    BusError,
    BusSettings,
    DeadLetter,
    Delivery,
    PendingEntry,
    Rejected,
    Requeued,
    UnknownDeadLetterError,
)
from aiswarm.bus.memory_bus import InProcessBus
from aiswarm.bus.message import Message, MessageError
from aiswarm.bus.opening import open_bus
from aiswarm.bus.records import BUS_RECORDS, MarketBar, RecordTypes
from aiswarm.bus.redis_bus import RedisStreamsBus
from aiswarm.bus.stream_bus import StreamBus

__all__ = [
    "BUS_RECORDS",
    "BusError",
    "BusSettings",
    "DeadLetter",
    "Delivery",
    "InProcessBus",
    "MarketBar",
    "Message",
    "MessageError",
    "PendingEntry",
    "RecordTypes",
    "RedisStreamsBus",
    "Rejected",
    "Requeued",
    "StreamBus",
    "UnknownDeadLetterError",
    "consume",
    "open_bus",
]
