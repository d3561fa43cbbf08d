"""Say where a market data file is wrong, and parse the fields of funding files exactly.

Every reader fails the same way: a ``ReplayFileError`` naming the file, the line (1-based,
counting the header), the column and the value, and what to do; a ``MarketFileError`` when
the file as a whole cannot be read. Nothing is skipped silently: a backtest over a file with a
broken row would trade on prices that never existed. No clock; reads nothing itself.

Time stamps are UTC. Text without a zone (``2020-01-01 00:00:00``) is read as UTC, because
every format we read says so in its documentation; an explicit offset is converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from aiswarm.clock import to_ns
from aiswarm.errors import ConfigError

__all__ = [
    "EPOCH_MS_MAX",
    "EPOCH_MS_MIN",
    "MarketFileError",
    "ReplayFileError",
    "RowPlace",
    "parse_signed_decimal",
    "parse_timestamp_ns",
]

EPOCH_MS_MIN = 100_000_000_000
"""Smallest epoch-millisecond stamp accepted (1973-03-03): a smaller number is seconds."""
EPOCH_MS_MAX = 10_000_000_000_000
"""Largest epoch-millisecond stamp accepted (2286-11-20): a larger one is µs or ns."""
_NS_PER_MS = 1_000_000


class MarketFileError(ConfigError):
    """A market data file cannot be read as a whole (missing, binary, wrong format, empty).

    The message is one line: the file, what is wrong and what to do.
    """

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path} {why}")
        self.path = path


class ReplayFileError(MarketFileError):
    """A market data file has a row we cannot trust: fix or replace the file, then rerun.

    ``path``, ``line`` (1-based, the header is line 1), ``column`` and ``value`` say where.
    """

    def __init__(
        self, path: Path, line: int, column: str, value: str, why: str, unit: str = "line"
    ) -> None:
        ConfigError.__init__(
            self, f"{path}, {unit} {line}, column {column!r}: value {value!r} {why}"
        )
        self.path = path
        self.line = line
        self.column = column
        self.value = value


@dataclass(frozen=True, slots=True)
class RowPlace:
    """Where a row sits: its file and 1-based line, for error messages.

    ``unit`` is ``"line"`` for text files and ``"row"`` for JSON, where one line may hold all.
    """

    path: Path
    line: int
    unit: str = "line"

    def error(self, column: str, value: str, why: str) -> ReplayFileError:
        """Return the error for ``value`` in ``column`` of this row."""
        return ReplayFileError(self.path, self.line, column, value, why, self.unit)


def parse_timestamp_ns(text: str, place: RowPlace, column: str) -> int:
    """Return ``text`` as epoch nanoseconds (UTC): epoch milliseconds or ISO-8601 text.

    All digits means epoch **milliseconds** (ccxt's unit); a number outside
    [``EPOCH_MS_MIN``, ``EPOCH_MS_MAX``) is refused, because it is seconds, µs or ns and
    reading it as ms would move every bar by decades without anyone noticing.
    """
    stripped = text.strip()
    if stripped.isdigit():
        ms = int(stripped)
        if not EPOCH_MS_MIN <= ms < EPOCH_MS_MAX:
            raise place.error(
                column,
                text,
                "is not epoch milliseconds between 1973 and 2286 (seconds, µs or ns?); "
                "write epoch milliseconds or ISO-8601 UTC text",
            )
        return ms * _NS_PER_MS
    try:
        moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise place.error(
            column, text, "is neither epoch milliseconds nor ISO-8601 (2024-01-01T00:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_ns(moment)


def parse_signed_decimal(text: str, place: RowPlace, column: str) -> Decimal:
    """Return ``text`` as an exact, finite ``Decimal`` of either sign (a funding rate)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise place.error(column, text, "is not a number; write a decimal such as 0.0001") from None
    if not number.is_finite():
        raise place.error(column, text, "is not finite; write a real number")
    return number
