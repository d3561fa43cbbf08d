"""Hold the base model every domain type shares, and the read-only mapping field. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, JsonValue, PlainSerializer

__all__ = ["FrozenModel", "ReadOnlyEvidence", "ReadOnlyJson"]


class FrozenModel(BaseModel):
    """Validate once when built, then never change; refuse unknown fields, NaN and infinity.

    ``allow_inf_nan=False`` matters for the float fields (signals): a NaN confidence would
    compare false against every limit and slip through the guards.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return a read-only view of a copy of ``value``, so the model cannot be changed through it."""
    return MappingProxyType(dict(value))


ReadOnlyEvidence = Annotated[
    Mapping[str, float | int | str],
    AfterValidator(_freeze),
    PlainSerializer(dict, return_type=dict[str, float | int | str]),
]
"""A flat, read-only mapping of named numbers and labels; serialised as a JSON object."""

ReadOnlyJson = Annotated[
    Mapping[str, JsonValue],
    AfterValidator(_freeze),
    PlainSerializer(dict, return_type=dict[str, JsonValue]),
]
"""A read-only mapping of JSON values (the top level is frozen; nested lists are not)."""
