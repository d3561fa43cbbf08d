"""Turn the service's answers into the API's JSON: plain decimals, ISO 8601 beside nanoseconds.

The service hands out exact values (``Decimal``, integer nanoseconds, dumped models); how they
read is the transport's business. Decimals read without exponent or trailing zeros (``0``, not
``0E-8``), and every ``<name>_ns`` integer keeps its exact value for clients that compute with
it and gains a ``<name>`` sibling in ISO 8601 UTC (to the microsecond) for people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiswarm.clock import from_ns
from aiswarm.types.money import plain

__all__ = ["present", "present_all"]


def present(answer: Mapping[str, Any], verbatim: str | None = None) -> dict[str, Any]:
    """Return one answer of the service as JSON-ready data (the key ``verbatim`` as it is)."""
    presented: dict[str, Any] = {}
    for key, value in answer.items():
        presented[key] = value if key == verbatim else _present(value)
        if key.endswith("_ns") and (value is None or type(value) is int):
            presented.setdefault(key.removesuffix("_ns"), _iso(value))
    return presented


def present_all(
    answers: Iterable[Mapping[str, Any]], verbatim: str | None = None
) -> list[dict[str, Any]]:
    """Return a list of the service's answers as JSON-ready data."""
    return [present(answer, verbatim) for answer in answers]


def _present(value: Any) -> Any:
    if isinstance(value, Mapping):
        return present(value)
    if isinstance(value, list | tuple):
        return [_present(item) for item in value]
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _iso(ns: int | None) -> str | None:
    return None if ns is None else from_ns(ns).isoformat()
