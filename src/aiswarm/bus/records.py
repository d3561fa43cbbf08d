"""Name each record type that travels on the bus, by kind and version.

A publisher turns a frozen model into a ``Message`` of its kind's current version; a consumer
turns a message back into the model of that kind and version, and refuses (``MessageError``,
so the message is dead-lettered with the reason) a kind or version it does not know, or a
body its model rejects. Adding a field is a new version: old consumers then dead-letter the
new messages loudly instead of silently dropping the field. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aiswarm.bus.message import Message, MessageError
from aiswarm.types import Bar

__all__ = ["BUS_RECORDS", "MARKET_BAR", "MarketBar", "RecordTypes"]


class MarketBar(BaseModel):
    """A closed bar of one feed, with the indicators the market-data service keeps for it.

    ``indicators`` maps a name such as ``ema_20`` to its value after this bar (``None`` while
    it warms up); floats, since indicators are not money.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    feed_id: str = Field(
        min_length=1, description="venue:symbol:interval, e.g. coinbase:BTC/USD:1m"
    )
    bar: Bar
    indicators: dict[str, float | None] = Field(default_factory=dict)


MARKET_BAR = "md.bar"


class RecordTypes:
    """The record types one process reads and writes, by kind and then version."""

    def __init__(self, kinds: Mapping[str, Mapping[int, type[BaseModel]]]) -> None:
        self._kinds = {kind: dict(versions) for kind, versions in kinds.items()}
        self._of_type: dict[type[BaseModel], tuple[str, int]] = {}
        for kind, versions in self._kinds.items():
            for version, model in versions.items():
                current = self._of_type.get(model)
                if current is None or current[1] < version:
                    self._of_type[model] = (kind, version)

    def with_kind(self, kind: str, version: int, model: type[BaseModel]) -> RecordTypes:
        """Return these types plus ``model`` as ``kind`` at ``version``."""
        kinds = {name: dict(versions) for name, versions in self._kinds.items()}
        kinds.setdefault(kind, {})[version] = model
        return RecordTypes(kinds)

    def message(
        self, record: BaseModel, *, trace_id: str, ts_ns: int, key: str | None = None
    ) -> Message:
        """Return ``record`` as a message of its kind's newest version."""
        found = self._of_type.get(type(record))
        if found is None:
            raise MessageError(
                f"{type(record).__name__} is not a bus record type; register it in RecordTypes"
            )
        kind, version = found
        body: dict[str, Any] = record.model_dump(mode="json")
        return Message(kind, version, body, trace_id=trace_id, ts_ns=ts_ns, key=key)

    def record(self, message: Message) -> BaseModel:
        """Return the record ``message`` carries, or raise ``MessageError`` saying why not."""
        versions = self._kinds.get(message.kind)
        if versions is None:
            raise MessageError(
                f"message kind {message.kind!r} (trace {message.trace_id}) is unknown here; "
                f"known kinds: {', '.join(sorted(self._kinds)) or 'none'}"
            )
        model = versions.get(message.version)
        if model is None:
            raise MessageError(
                f"message kind {message.kind!r} version {message.version} (trace "
                f"{message.trace_id}) is not understood by this consumer, which reads versions "
                f"{', '.join(map(str, sorted(versions)))}; upgrade the consumer, then requeue it"
            )
        try:
            return model.model_validate(message.body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3]
            )
            raise MessageError(
                f"message kind {message.kind!r} version {message.version} (trace "
                f"{message.trace_id}) has a body its model refuses: {problems}"
            ) from None


BUS_RECORDS = RecordTypes({MARKET_BAR: {1: MarketBar}})
"""The record types the platform publishes today."""
