"""Ask how much of a backtest was luck of the order: resample its trades many times. No I/O.

Each simulation rebuilds an equity path from the run's closed round-trip PnLs (net of fees,
quote units), added one after another to the starting equity, either

* ``bootstrap``: drawing as many trades as the run had, with replacement, or
* ``permutation``: shuffling the same trades (the final return never changes, only the path and
  so the drawdown).

PnLs are added, not compounded: a trade's PnL is what it made at the size it was traded. The
generator is numpy's PCG64 seeded by the caller, so one seed gives one answer, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

from aiswarm.backtest.results import TradeRecord

__all__ = ["MonteCarloResult", "Percentiles", "monte_carlo"]

# Simulations built at once: bounds memory to _CHUNK * trades floats.
_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class Percentiles:
    """The 5th, 50th and 95th percentiles of a simulated distribution (linear interpolation)."""

    p5: float
    p50: float
    p95: float

    def to_dict(self) -> dict[str, float]:
        """Return the percentiles as plain floats."""
        return {"p5": self.p5, "p50": self.p50, "p95": self.p95}


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """The simulated distributions of final return and maximum drawdown (both fractions).

    ``final_returns[k]`` is simulation k's total PnL over the starting equity;
    ``max_drawdowns[k]`` its deepest fall from a running peak of the equity path, as a fraction
    of that peak, capped at 1 (the account is gone). ``probability_of_loss`` is the share of
    simulations that ended below the starting equity.
    """

    method: str
    n_simulations: int
    seed: int
    number_of_trades: int
    final_returns: npt.NDArray[np.float64]
    max_drawdowns: npt.NDArray[np.float64]
    final_return: Percentiles
    max_drawdown: Percentiles
    probability_of_loss: float

    def to_dict(self) -> dict[str, object]:
        """Return the summary as plain JSON types (the raw distributions are left out)."""
        return {
            "method": self.method,
            "n_simulations": self.n_simulations,
            "seed": self.seed,
            "number_of_trades": self.number_of_trades,
            "final_return": self.final_return.to_dict(),
            "max_drawdown_frac": self.max_drawdown.to_dict(),
            "probability_of_loss": self.probability_of_loss,
        }


def _percentiles(values: npt.NDArray[np.float64]) -> Percentiles:
    p5, p50, p95 = np.percentile(values, [5.0, 50.0, 95.0])
    return Percentiles(float(p5), float(p50), float(p95))


def _path_drawdowns(start: float, pnl_paths: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return each row's maximum drawdown fraction; the starting equity is the first peak."""
    equity = start + np.cumsum(pnl_paths, axis=1)
    peaks = np.maximum(np.maximum.accumulate(equity, axis=1), start)
    depth = np.max(1.0 - equity / peaks, axis=1)
    return np.asarray(np.clip(depth, 0.0, 1.0), dtype=np.float64)


def monte_carlo(
    trades: Sequence[TradeRecord],
    starting_equity: Decimal,
    *,
    n_simulations: int = 1_000,
    seed: int,
    method: Literal["bootstrap", "permutation"] = "bootstrap",
) -> MonteCarloResult:
    """Simulate ``n_simulations`` equity paths from ``trades`` and summarise them.

    Raises:
        ValueError: no trades to resample, a non-positive starting equity or simulation
            count, or an unknown method.
    """
    if not trades:
        raise ValueError(
            "no closed trades to resample: Monte Carlo needs at least one round trip; "
            "skip it for runs that did not trade"
        )
    if starting_equity <= 0:
        raise ValueError(f"starting_equity={starting_equity} must be positive (quote units)")
    if n_simulations <= 0:
        raise ValueError(f"n_simulations={n_simulations} must be at least 1")
    if method not in ("bootstrap", "permutation"):
        raise ValueError(f"method={method!r} is unknown: choose 'bootstrap' or 'permutation'")
    pnls = np.array([float(t.pnl) for t in trades], dtype=np.float64)
    start = float(starting_equity)
    rng = np.random.default_rng(seed)
    final_parts: list[npt.NDArray[np.float64]] = []
    drawdown_parts: list[npt.NDArray[np.float64]] = []
    for first in range(0, n_simulations, _CHUNK):
        rows = min(_CHUNK, n_simulations - first)
        if method == "bootstrap":
            paths = pnls[rng.integers(0, pnls.size, size=(rows, pnls.size))]
        else:
            paths = rng.permuted(np.broadcast_to(pnls, (rows, pnls.size)), axis=1)
        final_parts.append(paths.sum(axis=1) / start)
        drawdown_parts.append(_path_drawdowns(start, paths))
    final_returns = np.concatenate(final_parts)
    max_drawdowns = np.concatenate(drawdown_parts)
    final_returns.flags.writeable = False
    max_drawdowns.flags.writeable = False
    return MonteCarloResult(
        method=method,
        n_simulations=n_simulations,
        seed=seed,
        number_of_trades=len(trades),
        final_returns=final_returns,
        max_drawdowns=max_drawdowns,
        final_return=_percentiles(final_returns),
        max_drawdown=_percentiles(max_drawdowns),
        probability_of_loss=float(np.mean(final_returns < 0)),
    )
