"""Track an agent's realised edge on one symbol: how its own past signals actually turned out.

Confidence and expected return must come from data, not constants. Each LONG or SHORT signal is
an open *trial* entered at its bar's close; it is settled at the close ``horizon_bars`` later, or
earlier at the close of the agent's next signal with a different direction (an exit or a
reversal). A settled trial's outcome is the signed return (SHORT counts a fall as a gain), a
fraction per trade before fees. FLAT signals open no trial; they only settle open ones.

From the settled outcomes (n of them, ``wins`` above zero, ``losses`` below; a zero return is
neither):

* expected return = n / (n + k) x mean outcome, with k = ``prior_samples`` (default 10), so a
  record of a few lucky trades reports little edge;
* confidence = (wins + 1) / (n + 2), the win rate under a uniform Beta(1, 1) prior, so no record
  reads 0.5;
* payoff ratio = mean win / mean |loss|, absent until there is a loss; the Kelly allocator
  needs it with the confidence, and sizes by the mean |loss| (``avg_loss``, the expected loss
  per trade as a fraction of price).

Settling is lazy: it happens when the agent asks for an estimate at bar ``index`` and covers
exactly the trials due at or before ``index``, so the estimate is a function of bars up to
``index`` only (no look-ahead) and does not depend on how bars were batched into frames. It costs
nothing on bars without signals, which keeps it off the per-bar hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aiswarm.types import Direction

__all__ = ["EdgeEstimate", "EdgeTracker"]

_SIGN = {Direction.LONG: 1, Direction.SHORT: -1, Direction.FLAT: 0}


@dataclass(frozen=True, slots=True)
class EdgeEstimate:
    """The realised record behind a signal; returns are fractions per trade."""

    samples: int
    wins: int
    losses: int
    mean_return: float
    expected_return: float
    confidence: float
    avg_win: float
    avg_loss: float
    payoff_ratio: float | None

    def evidence(self) -> dict[str, float | int | str]:
        """Return the record as signal evidence (``payoff_ratio`` only once a loss exists)."""
        found: dict[str, float | int | str] = {
            "samples": self.samples,
            "wins": self.wins,
            "losses": self.losses,
            "mean_return": self.mean_return,
            "avg_win": self.avg_win,
            "avg_loss": self.avg_loss,
        }
        if self.payoff_ratio is not None:
            found["payoff_ratio"] = self.payoff_ratio
        if self.samples == 0:
            found["edge_basis"] = "no settled signals yet: prior confidence 0.5, return 0"
        return found


class EdgeTracker:
    """Open and settle one agent's trials on one symbol, and summarise the settled outcomes."""

    __slots__ = (
        "_horizon",
        "_losses",
        "_n",
        "_open",
        "_prior",
        "_sum",
        "_sum_loss",
        "_sum_win",
        "_wins",
    )

    def __init__(self, horizon_bars: int, prior_samples: float) -> None:
        if horizon_bars <= 0:
            raise ValueError(f"horizon_bars was {horizon_bars}; it must be at least 1 bar")
        if prior_samples < 0:
            raise ValueError(f"prior_samples was {prior_samples}; it must be 0 or more")
        self._horizon = horizon_bars
        self._prior = float(prior_samples)
        self._open: list[tuple[int, float, int]] = []  # (entry index, entry close, sign)
        self._n = 0
        self._wins = 0
        self._losses = 0
        self._sum = 0.0
        self._sum_win = 0.0
        self._sum_loss = 0.0

    def add_outcome(self, outcome: float) -> None:
        """Count one settled trial's signed return (a fraction, 0.01 = +1%)."""
        self._n += 1
        self._sum += outcome
        if outcome > 0.0:
            self._wins += 1
            self._sum_win += outcome
        elif outcome < 0.0:
            self._losses += 1
            self._sum_loss -= outcome

    def observe(
        self, index: int, closes: npt.NDArray[np.float64], direction: Direction
    ) -> EdgeEstimate:
        """Settle what is due at bar ``index``, return the estimate, then open this signal.

        ``closes`` must hold valid closes at least up to ``index``. The estimate excludes the
        signal being observed: it is the record the signal is judged by.
        """
        sign = _SIGN[direction]
        if self._open:
            still_open: list[tuple[int, float, int]] = []
            for entry, price, trial_sign in self._open:
                due = entry + self._horizon
                if due <= index:
                    exit_price = float(closes[due])
                elif trial_sign != sign:
                    exit_price = float(closes[index])
                else:
                    still_open.append((entry, price, trial_sign))
                    continue
                self.add_outcome(trial_sign * (exit_price / price - 1.0))
            self._open = still_open
        estimate = self.estimate()
        price_now = float(closes[index])
        if sign != 0 and price_now > 0.0:
            self._open.append((index, price_now, sign))
        return estimate

    def estimate(self) -> EdgeEstimate:
        """Return the summary of the outcomes settled so far."""
        n = self._n
        mean = self._sum / n if n else 0.0
        avg_win = self._sum_win / self._wins if self._wins else 0.0
        avg_loss = self._sum_loss / self._losses if self._losses else 0.0
        return EdgeEstimate(
            samples=n,
            wins=self._wins,
            losses=self._losses,
            mean_return=mean,
            expected_return=n / (n + self._prior) * mean if n else 0.0,
            confidence=(self._wins + 1) / (n + 2),
            avg_win=avg_win,
            avg_loss=avg_loss,
            payoff_ratio=avg_win / avg_loss if self._losses else None,
        )
