"""Carry one typed record over the bus: a versioned envelope with a trace id, as JSON bytes.

The envelope is what every transport moves and stores: the record's kind and version (so a
consumer can refuse a version it does not know instead of misreading it), a trace id that
follows the work from the publisher through every consumer, an optional idempotency key (a
second publication with the same key on the same topic is not delivered again) and the time
it was published (epoch ns, UTC, from the publisher's injected clock). The body is the record
as JSON-ready data; ``records.RecordTypes`` turns it back into its frozen model. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Message", "MessageError", "decode_message", "encode_message"]

_MAX_TEXT = 256


class MessageError(ValueError):
    """A message cannot be read or is of a kind or version this consumer does not know.

    Such a message is dead-lettered with this error's text, never crashed on.
    """


@dataclass(frozen=True, slots=True)
class Message:
    """One envelope; see the module docstring."""

    kind: str
    version: int
    body: Mapping[str, Any]
    trace_id: str
    ts_ns: int
    key: str | None = None

    def __post_init__(self) -> None:
        """Refuse an envelope no consumer could route or trace."""
        for name in ("kind", "trace_id"):
            text = getattr(self, name)
            if not isinstance(text, str) or not 0 < len(text) <= _MAX_TEXT:
                raise MessageError(f"message {name} was {text!r}; give 1 to {_MAX_TEXT} characters")
        if self.key is not None and not 0 < len(self.key) <= _MAX_TEXT:
            raise MessageError(f"message key was {self.key!r}; give 1 to {_MAX_TEXT} characters")
        if type(self.version) is not int or self.version < 1:
            raise MessageError(f"message version was {self.version!r}; versions start at 1")
        if type(self.ts_ns) is not int or self.ts_ns < 0:
            raise MessageError(f"message ts_ns was {self.ts_ns!r}; give epoch nanoseconds")

    def summary(self) -> dict[str, Any]:
        """Return the envelope without its body, for listings."""
        return {
            "kind": self.kind,
            "version": self.version,
            "trace_id": self.trace_id,
            "key": self.key,
            "ts_ns": self.ts_ns,
        }


def encode_message(message: Message) -> bytes:
    """Return the envelope as compact JSON bytes."""
    return orjson.dumps({**message.summary(), "body": dict(message.body)})


def decode_message(data: bytes) -> Message:
    """Return the envelope ``data`` holds, or raise ``MessageError`` saying what is wrong."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MessageError(f"message is not JSON ({exc}); it was {_shown(data)}") from None
    if not isinstance(raw, dict):
        raise MessageError(f"message is not a JSON object; it was {_shown(data)}")
    missing = {"kind", "version", "trace_id", "ts_ns", "body"} - raw.keys()
    if missing:
        raise MessageError(f"message lacks {', '.join(sorted(missing))}; it was {_shown(data)}")
    if not isinstance(raw["body"], dict):
        raise MessageError(f"message body is not a JSON object; it was {_shown(data)}")
    return Message(
        kind=raw["kind"],
        version=raw["version"],
        body=raw["body"],
        trace_id=raw["trace_id"],
        ts_ns=raw["ts_ns"],
        key=raw.get("key"),
    )


def _shown(data: bytes) -> str:
    return repr(data[:80]) + ("…" if len(data) > 80 else "")
