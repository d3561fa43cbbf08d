"""Write an event payload's canonical JSON text: the bytes every record's hash covers.

The text is defined by the standard library's encoder (``event_chain``'s docstring gives the
rule). Every journal record goes through here (a backtest writes about seven per order), and
that encoder, with a Python callback per ``Decimal`` and a sort per object, took a tenth of a
backtest's loop. So a payload made only of values whose text the two encoders provably agree
on is written by orjson, some thirty times faster: dicts with ``str`` keys, lists, tuples,
``str`` (and its subclasses, such as a ``StrEnum``), exact ``int``, ``bool``, ``None``, finite
``Decimal`` (its ``str()``), timezone-aware ``datetime`` (its ``isoformat()``) and finite
``float``s. A float that ``repr`` writes with an exponent (a magnitude below 1e-4 or from 1e16
up, such as ``1e-05``) is handed to orjson as ``repr``'s text, since the two write those
differently. Anything else (a NaN, a set, another mapping type, an integer beyond 64 bits, a
lone surrogate) takes the standard encoder, which also explains refusals.

The text is therefore the same, byte for byte, whichever encoder wrote it: there is no new
encoding version, and every stored log verifies as before. A property test
(``tests/property/test_canonical_json_properties.py``) checks that the two agree on arbitrary
payloads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import orjson

__all__ = ["to_canonical_json"]

_ALLOWED = "JSON values, finite Decimal and timezone-aware datetime"
_FAST_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
# repr writes a float without an exponent exactly when its magnitude is in this range (or 0).
_FLOAT_LOW, _FLOAT_HIGH = 1e-4, 1e16


def _encode_extra(value: object) -> object:
    """Encode what plain JSON lacks: Decimal, aware datetime, non-dict mappings."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Decimal {value} is not finite")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(f"datetime {value.isoformat()} has no time zone")
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not stored")


_ENCODE = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    default=_encode_extra,
).encode


# What ``_check`` finds: both encoders agree; they agree once the floats repr writes with an
# exponent are passed to orjson as repr's text; or only the standard encoder may write it.
_AGREED, _EXPONENT_FLOATS, _STANDARD = 0, 1, 2


_LEAVES = frozenset({str, int, bool, type(None)})


def _check(value: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> int:
    """Return how the container ``value`` (and all it holds) can be written to the standard text.

    Most values are strings and numbers: a container holding only those is cleared by one
    C-level pass over the types (``map(type, ...)``), so only floats, money, times and nested
    containers are looked at one by one.
    """
    # Keys are left to orjson, which refuses any but text (the standard encoder then writes it).
    items: Iterable[object] = value.values() if isinstance(value, dict) else value
    if _LEAVES.issuperset(map(type, items)):
        return _AGREED
    found = _AGREED
    for item in items:
        kind = type(item)
        if kind in _LEAVES:
            continue
        if kind is float:
            number = cast(float, item)
            if number == 0.0 or _FLOAT_LOW <= abs(number) < _FLOAT_HIGH:
                continue
            if not math.isfinite(number):
                return _STANDARD
            found = _EXPONENT_FLOATS
        elif kind is dict or kind is list or kind is tuple:
            inner = _check(item)  # type: ignore[arg-type]
            if inner == _STANDARD:
                return _STANDARD
            found = max(found, inner)
        elif kind is Decimal:
            if not item.is_finite():  # type: ignore[attr-defined]
                return _STANDARD
        elif kind is datetime:
            if item.tzinfo is None:  # type: ignore[attr-defined]
                return _STANDARD
        elif isinstance(item, dict):
            inner = _check(item)
            if inner == _STANDARD:
                return _STANDARD
            found = max(found, inner)
        elif not isinstance(item, str):
            return _STANDARD
    return found


def _with_float_text(value: object) -> object:
    """Return ``value`` with every float outside repr's positional range as repr's own text.

    orjson writes ``1e-05`` as ``0.00001`` and ``1.5e-07`` as ``1.5e-7``; an ``orjson.Fragment``
    is copied into the output verbatim, so the standard encoder's ``float.__repr__`` text is.
    """
    if isinstance(value, dict):
        return {key: _with_float_text(item) for key, item in value.items()}
    if type(value) is list or type(value) is tuple:
        return [_with_float_text(item) for item in cast("list[object]", value)]
    if isinstance(value, float) and not (value == 0.0 or _FLOAT_LOW <= abs(value) < _FLOAT_HIGH):
        return orjson.Fragment(float.__repr__(value))
    return value


def _fast_default(value: object) -> str:
    """Write the two non-JSON leaves ``_agreed`` lets through exactly as ``_encode_extra`` does."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored")  # ``_agreed`` lets nothing else by


def to_canonical_json(payload: Mapping[str, Any]) -> str:
    """Return the canonical JSON text of ``payload`` (see ``event_chain``'s docstring).

    Raises ``TypeError`` naming the key whose value cannot be stored, so the caller learns which
    field to convert, and ``ValueError`` for NaN or infinity.
    """
    if type(payload) is dict:
        try:
            found = _check(payload)
            if found != _STANDARD:
                fast = payload if found == _AGREED else _with_float_text(payload)
                return orjson.dumps(fast, default=_fast_default, option=_FAST_OPTIONS).decode()
        except (orjson.JSONEncodeError, RecursionError):
            pass  # an integer beyond 64 bits, a lone surrogate, a payload holding itself
    return _standard_text(payload)


def _standard_text(payload: Mapping[str, Any]) -> str:
    """Return the canonical text written by the standard library's encoder: the definition."""
    if type(payload) is not dict:
        if not isinstance(payload, Mapping):
            raise TypeError(
                f"an event payload must be a mapping of str keys, got {type(payload).__name__}; "
                "wrap the value, e.g. {'value': ...}"
            )
        payload = dict(payload)
    try:
        text = _ENCODE(payload)
    except (TypeError, ValueError) as exc:
        raise _explain(payload, exc) from exc
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"event payload holds text that is not valid Unicode ({exc.reason}); "
                "store bytes as base64 or hex text"
            ) from exc
    return text


def _explain(payload: Mapping[str, Any], exc: Exception) -> Exception:
    """Return an error naming the first key path whose value cannot be stored."""
    try:
        found = _find_bad(payload, "")
    except RecursionError:  # a payload that contains itself; the encoder said so already
        found = None
    if found is None:
        return type(exc)(f"event payload cannot be stored: {exc}")
    path, value, why = found
    error: type[Exception] = ValueError if why == "not finite" else TypeError
    return error(
        f"event payload key '{path}' holds {type(value).__name__} {value!r} ({why}); "
        f"only {_ALLOWED} are stored, so convert it first"
    )


def _find_bad(value: object, path: str) -> tuple[str, object, str] | None:
    """Return (path, value, why) for the first value the encoder refuses, or None."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                return f"{path}.{key!r}" if path else repr(key), key, "key is not text"
            found = _find_bad(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _find_bad(item, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, value, "not finite"
    if isinstance(value, Decimal) and not value.is_finite():
        return path, value, "not finite"
    if isinstance(value, datetime) and value.tzinfo is None:
        return path, value, "no time zone"
    if value is None or isinstance(value, str | int | float | Decimal | datetime):
        return None
    return path, value, "not a JSON type"
