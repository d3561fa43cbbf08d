"""Envelopes survive the wire unchanged, and anything unreadable is refused with the reason."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from aiswarm.bus import BUS_RECORDS, BusSettings, Message, MessageError, RecordTypes
from aiswarm.bus.message import decode_message, encode_message

_TEXT = st.text(min_size=1, max_size=40)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


class Note(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str


@given(
    kind=_TEXT,
    version=st.integers(1, 2**31),
    body=st.dictionaries(st.text(max_size=8), _JSON, max_size=5),
    trace_id=_TEXT,
    ts_ns=st.integers(0, 2**63 - 1),
    key=st.none() | _TEXT,
)
def test_encode_then_decode_when_any_envelope_then_same_envelope(
    kind: str, version: int, body: dict[str, Any], trace_id: str, ts_ns: int, key: str | None
) -> None:
    message = Message(kind, version, body, trace_id=trace_id, ts_ns=ts_ns, key=key)

    assert decode_message(encode_message(message)) == message


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\x00", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"kind": "md.bar"}', "lacks body, trace_id, ts_ns, version"),
        (b'{"kind": "k", "version": 0, "trace_id": "t", "ts_ns": 1, "body": {}}', "versions start"),
        (b'{"kind": "k", "version": 1, "trace_id": "t", "ts_ns": 1, "body": []}', "body is not"),
        (b'{"kind": "", "version": 1, "trace_id": "t", "ts_ns": 1, "body": {}}', "message kind"),
    ],
)
def test_decode_when_unreadable_then_message_error_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        decode_message(data)


def test_record_types_when_version_added_then_published_at_newest_and_old_still_read() -> None:
    types = RecordTypes({"note": {1: Note}}).with_kind("note", 2, Note)

    message = types.message(Note(text="x"), trace_id="t", ts_ns=1, key="k")

    assert (message.kind, message.version, message.key) == ("note", 2, "k")
    assert types.record(Message("note", 1, {"text": "y"}, trace_id="t", ts_ns=1)) == Note(text="y")


def test_record_types_when_model_not_registered_then_refused() -> None:
    with pytest.raises(MessageError, match="Note is not a bus record type"):
        BUS_RECORDS.message(Note(text="x"), trace_id="t", ts_ns=1)


def test_bus_records_when_bar_body_lacks_bar_then_refused_naming_field() -> None:
    message = Message("md.bar", 1, {"feed_id": "v:A/B:1m"}, trace_id="t-1", ts_ns=1)

    with pytest.raises(
        MessageError, match=r"'md\.bar' version 1 \(trace t-1\).*bar: Field required"
    ):
        BUS_RECORDS.record(message)


@pytest.mark.parametrize(
    "settings",
    [
        {"max_deliveries": 0},
        {"claim_idle_ms": -1},
        {"idempotency_ttl_ms": 0},
        {"max_stream_length": 0},
    ],
)
def test_bus_settings_when_out_of_range_then_refused_naming_it(settings: dict[str, int]) -> None:
    (name,) = settings
    with pytest.raises(ValueError, match=name):
        BusSettings(**settings)
