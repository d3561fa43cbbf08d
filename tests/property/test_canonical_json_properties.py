"""The canonical payload text is the standard encoder's, byte for byte, whoever writes it.

``to_canonical_json`` writes most payloads with a faster encoder; the hash chain (and every log
already stored) depends on the text being exactly the one the event-store spec defines, so this
compares it with that definition, written out here, on arbitrary payloads: the same text, or a
refusal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from aiswarm.store import to_canonical_json


class _Colour(StrEnum):
    RED = "red"
    BLUE = "blüe\n"


def _spec_extra(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not finite")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("no time zone")
        return value.isoformat()
    raise TypeError("not stored")


def _spec_text(payload: dict[str, Any]) -> str:
    """The event-store spec's definition of the canonical text."""
    text = json.dumps(
        payload,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_spec_extra,
    )
    text.encode("utf-8")  # a lone surrogate is refused
    return text


_TEXT = st.text(st.characters(codec=None), max_size=12)
_LEAVES = (
    _TEXT
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.sampled_from([0.0, -0.0, 1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0])
    | st.booleans()
    | st.none()
    | st.decimals()
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]))
    | st.datetimes()  # naive: refused
    | st.sampled_from(list(_Colour))
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_TEXT, inner, max_size=4)
    ),
    max_leaves=20,
)


def _outcome(encode: Any, payload: dict[str, Any]) -> str | None:
    """Return the text, or None when the payload is refused (which key is named may differ)."""
    try:
        result: str = encode(payload)
    except (TypeError, ValueError):
        return None
    return result


@given(st.dictionaries(_TEXT, _VALUES, max_size=6))
@example({"x": 1e-05, "y": 6.41565000781471e-05, "z": 1e16, "w": 1.5e300})
@example({"px": Decimal("101.2500"), "at": datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)})
@example({"big": 2**64, "edge": 2**64 - 1, "neg": -(2**63) - 1})
@example({"nan": float("nan")})
@example({"ids": {1: "x", 2: "y"}, "colours": {_Colour.RED: 1, _Colour.BLUE: [1e-7]}})
@example({"ctl": "\x00\x1f\x7f\u2028\ud800"})
@example({"é": 1, "e": 2, "\U0001f600": 3, "\uffff": 4})
def test_canonical_text_when_any_payload_then_the_spec_text_or_refused(
    payload: dict[str, Any],
) -> None:
    # Act
    written = _outcome(to_canonical_json, payload)

    # Assert
    assert written == _outcome(_spec_text, payload)
