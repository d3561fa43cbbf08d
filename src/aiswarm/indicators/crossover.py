"""Detect where a fast line crosses a slow one: +1 up, -1 down, 0 otherwise.

Definition (the benchmark's pandas reference, ``bench/BENCHMARKS.md``): a bar is *above*
when ``fast > slow``, strictly. A cross up is a bar that is above after one that was not
(``fast > slow`` now, ``fast <= slow`` before); a cross down is a bar that is not above after
one that was (``fast <= slow`` now, ``fast > slow`` before). Touching counts as "not above",
so lines that meet and part again downwards give one -1, and a tie never produces a +1.

``warmup_bars`` silences the first bars: no signal is given before bar ``warmup_bars``, and
the first possible one compares bar ``warmup_bars`` with bar ``warmup_bars - 1``. The EMA(9/21)
benchmark counts signals with ``warmup_bars=21`` (its loop starts at bar 20, the 21st, which
only serves as the "previous" bar). 0 and 1 mean the same: bar 0 has no previous bar.

NaN on either side makes a bar "not above" (a comparison with NaN is false), as in pandas.
Both forms compare the same floats, so they agree exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["CrossDetector", "crossover"]


def _require_warmup(warmup_bars: object) -> int:
    """Return ``warmup_bars`` as an int, or raise ValueError unless it is an integer >= 0."""
    if (
        isinstance(warmup_bars, bool)
        or not isinstance(warmup_bars, int | np.integer)
        or warmup_bars < 0
    ):
        raise ValueError(
            f"warmup_bars was {warmup_bars!r}; expected an integer >= 0 (a number of bars)"
        )
    return int(warmup_bars)


def crossover(
    fast: npt.ArrayLike, slow: npt.ArrayLike, *, warmup_bars: int = 0
) -> npt.NDArray[np.int8]:
    """Return +1 where ``fast`` crosses above ``slow``, -1 where it crosses below, else 0."""
    warmup_bars = _require_warmup(warmup_bars)
    fast_line = np.asarray(fast, dtype=np.float64)
    slow_line = np.asarray(slow, dtype=np.float64)
    if fast_line.ndim != 1 or fast_line.shape != slow_line.shape:
        raise ValueError(
            f"fast has shape {fast_line.shape} and slow {slow_line.shape}; "
            "expected two one-dimensional series of the same length"
        )
    above = (fast_line > slow_line).astype(np.int8)
    signals = np.zeros(len(above), dtype=np.int8)
    signals[1:] = above[1:] - above[:-1]
    signals[:warmup_bars] = 0
    return signals


class CrossDetector:
    """Report crosses of a fast line over a slow one, one bar at a time."""

    __slots__ = ("_bars", "_first", "_previous", "_value")

    def __init__(self, *, warmup_bars: int = 0) -> None:
        self._first = max(_require_warmup(warmup_bars) - 1, 0)
        self._bars = 0
        self._previous: bool | None = None
        self._value = 0

    def update(self, fast: float, slow: float) -> int:
        """Fold in one bar's two values and return +1 (cross up), -1 (cross down) or 0."""
        bar = self._bars
        self._bars = bar + 1
        if bar < self._first:
            return 0
        above = fast > slow
        previous = self._previous
        self._previous = above
        if previous is None or above is previous:
            self._value = 0
        else:
            self._value = 1 if above else -1
        return self._value

    @property
    def value(self) -> int:
        """Return the latest signal (0 before the second observed bar)."""
        return self._value

    @property
    def is_ready(self) -> bool:
        """Say whether a previous bar has been observed, so a cross can be reported."""
        return self._previous is not None
