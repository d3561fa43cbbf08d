"""The three lines of a channel indicator: middle, upper and lower (Bollinger, Keltner, Donchian).

A NamedTuple so a streaming update can hand back all three floats at once, and the vectorised
form three arrays, with the same field names. Units: those of the price.
"""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

__all__ = ["Bands"]

T = TypeVar("T")


class Bands(NamedTuple, Generic[T]):
    """Middle line and the upper and lower band around it."""

    middle: T
    upper: T
    lower: T
