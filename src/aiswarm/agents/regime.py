"""Detect each symbol's volatility regime with a fitted two-regime Markov switching model.

Model: statsmodels ``MarkovRegression`` on log returns (scaled to percent, which keeps the
optimiser well conditioned), two regimes, each with its own mean and variance
(``switching_variance=True``). The regime with the larger variance is labelled ``volatile``,
the other ``calm``.

Schedule: the first fit happens at bar ``min_fit_bars`` and then every ``refit_every`` bars
(default 240), on the last ``window_bars`` returns (default 500) with at most ``maxiter``
optimiser iterations, so a fit costs a bounded ~0.1 s and never runs on every bar. Between
fits the detector runs the Hamilton filter forward by hand, one return at a time, with the
last fitted parameters (transition probabilities, means, variances): the regime probability
follows the market bar by bar while the model stays fixed until its next refit. Fit bars are
fixed bar indices, so the result does not depend on how bars arrive in frames.

Failure: the fit runs inside ``warnings.catch_warnings``; its warnings (e.g. statsmodels'
``ConvergenceWarning``) never escape and are recorded in the state's ``note``. A fit that
raises, or returns non-finite parameters, is discarded: the previous parameters and regime are
kept, and ``note`` says why. A window with no price movement is not fitted at all.

Arbitration uses the regime through the ``RegimeAgent``'s signals: they are FLAT with zero
expected return and carry ``regime`` and ``regime_probability`` in evidence. Arbitration reads
the label from them and applies its per-regime weight multipliers (``regime_multipliers`` in
the arbitration config, e.g. damp mean reversion and boost breakouts while ``volatile``). Give
the regime agent weight 0 so its FLAT signals label the regime without voting for an exit, and
``publish: every_cycle`` when arbitration sees only the current cycle's signals. No I/O, no
clock.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from aiswarm.agents.agent import StreamingAgent, SymbolState
from aiswarm.agents.config import AgentParams
from aiswarm.agents.liquidity import liquidity_score
from aiswarm.clock import from_ns
from aiswarm.types import AgentId, Direction, Signal, Symbol, SymbolFrame

__all__ = ["RegimeAgent", "RegimeDetector", "RegimeParams", "RegimeState"]

CALM = "calm"
VOLATILE = "volatile"
_PERCENT = 100.0  # returns are fitted in percent: variances near 1 suit the optimiser
_NS_PER_S = 1_000_000_000


class RegimeParams(AgentParams):
    """Parameters of the regime model and its refit schedule."""

    window_bars: Annotated[
        int, Field(ge=50, le=20_000, description="Returns in each fit's rolling window (bars).")
    ] = 500
    min_fit_bars: Annotated[
        int,
        Field(ge=50, description="Bars needed before the first fit; earlier, no regime is known."),
    ] = 200
    refit_every: Annotated[
        int, Field(ge=1, description="Bars between fits; between them the filter runs forward.")
    ] = 240
    maxiter: Annotated[
        int, Field(ge=1, le=1_000, description="Optimiser iteration cap per fit (bounds time).")
    ] = 100
    confirm_probability: Annotated[
        float,
        Field(
            ge=0.5,
            lt=1.0,
            description=(
                "Probability the other regime must reach before the label switches "
                "(hysteresis: stops the label flickering when the filter hovers near 0.5)."
            ),
        ),
    ] = 0.8
    publish: Annotated[
        Literal["on_change", "every_cycle"],
        Field(
            description=(
                "on_change: one signal when a symbol's label changes (an event, independent of "
                "how bars are batched). every_cycle: also the current regime at the latest bar "
                "of every analyze call with new bars, for an arbitration that reads the regime "
                "from the current cycle's signals only."
            )
        ),
    ] = "on_change"

    @model_validator(mode="after")
    def _window_covers_first_fit(self) -> RegimeParams:
        if self.min_fit_bars > self.window_bars:
            raise ValueError(
                f"min_fit_bars ({self.min_fit_bars}) must not exceed window_bars "
                f"({self.window_bars}); raise window_bars or lower min_fit_bars"
            )
        return self


@dataclass(frozen=True, slots=True)
class RegimeState:
    """A symbol's regime as of bar ``bar_index``.

    ``probability`` is the filtered probability of ``label``; the sigmas are the fitted
    per-bar standard deviations of log returns in each regime (fractions, 0.01 = 1%).
    ``fits`` counts fit attempts; ``note`` is empty after a clean fit and otherwise says what
    the last fit attempt reported (warnings, non-convergence, or why it was discarded).
    """

    label: str
    probability: float
    bar_index: int
    fitted_at: int
    fits: int
    converged: bool
    calm_sigma: float
    volatile_sigma: float
    note: str


class _Fit:
    """The fitted parameters the forward filter needs, in percent-return units."""

    __slots__ = ("converged", "mean", "stay", "switch_in", "variance", "volatile")

    def __init__(self, params: Any, converged: bool) -> None:
        # statsmodels order: p[0->0], p[1->0], const, sigma2[0], sigma2[1]
        values = [float(v) for v in params]
        self.stay = values[0]  # P(regime 0 now | regime 0 before)
        self.switch_in = values[1]  # P(regime 0 now | regime 1 before)
        self.mean = values[2]
        self.variance = (values[3], values[4])
        self.volatile = 1 if values[4] > values[3] else 0
        self.converged = converged


class _Track:
    __slots__ = ("fit", "fits", "fitted_at", "label", "note", "prob0", "seen")

    def __init__(self) -> None:
        self.seen = 0
        self.label: str | None = None
        self.fit: _Fit | None = None
        self.fits = 0
        self.fitted_at = -1
        self.prob0 = 0.5
        self.note = ""


class RegimeDetector:
    """Fit and filter the regime model per symbol, advancing once per new bar."""

    def __init__(self, params: RegimeParams) -> None:
        self._params = params
        self._tracks: dict[Symbol, _Track] = {}

    def current(self, symbol: Symbol) -> RegimeState | None:
        """Return the symbol's latest regime, or None before its first successful fit."""
        track = self._tracks.get(symbol)
        if track is None or track.fit is None:
            return None
        return _state(track, track.seen - 1)

    def fits(self, symbol: Symbol) -> int:
        """Return how many fits were attempted for ``symbol`` (the schedule, for monitoring)."""
        track = self._tracks.get(symbol)
        return 0 if track is None else track.fits

    def advance(self, frame: SymbolFrame) -> list[RegimeState]:
        """Process the frame's new bars; return the state at each bar where the label changed."""
        track = self._tracks.get(frame.symbol)
        if track is None:
            track = self._tracks[frame.symbol] = _Track()
        closes = frame.bars.close
        params = self._params
        first, every = params.min_fit_bars, params.refit_every
        confirm = params.confirm_probability
        changes: list[RegimeState] = []
        for i in range(max(track.seen, 1), frame.end):
            if i >= first and (i - first) % every == 0:
                self._refit(track, closes, i)
            elif track.fit is not None:
                _filter(track, track.fit, closes.item(i - 1), closes.item(i))
            track.seen = i + 1
            if track.fit is not None and _relabel(track, confirm):
                changes.append(_state(track, i))
        track.seen = max(track.seen, frame.end)
        return changes

    def _refit(self, track: _Track, closes: np.ndarray[Any, Any], index: int) -> None:
        track.fits += 1
        window = closes[max(0, index - self._params.window_bars) : index + 1]
        if not bool(np.all(window > 0.0)):
            track.note = f"fit at bar {index} skipped: a close is not positive"
            return
        returns = np.diff(np.log(window)) * _PERCENT
        if not float(np.std(returns)) > 0.0:
            track.note = f"fit at bar {index} skipped: prices did not move in the window"
            return
        # Imported here: statsmodels takes seconds to load, and only a refit needs it.
        from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = MarkovRegression(
                    returns,
                    k_regimes=2,
                    trend="c",
                    switching_trend=False,
                    switching_variance=True,
                )
                result = model.fit(maxiter=self._params.maxiter, disp=False)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
                track.note = f"fit at bar {index} failed ({exc}); kept the previous regime"
                return
        heard = "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
        params = np.asarray(result.params, dtype=np.float64)
        if params.shape != (5,) or not bool(np.all(np.isfinite(params))) or min(params[3:]) <= 0:
            track.note = f"fit at bar {index} gave unusable parameters; kept the previous regime"
            return
        converged = (
            bool(result.mle_retvals.get("converged", False)) if result.mle_retvals else False
        )
        track.fit = _Fit(params, converged and not caught)
        track.fitted_at = index
        track.prob0 = float(result.filtered_marginal_probabilities[-1, 0])
        track.note = heard if heard else ("" if converged else "optimiser did not converge")


def _filter(track: _Track, fit: _Fit, previous: float, close: float) -> None:
    """Fold one return into the regime-0 probability (one Hamilton filter step)."""
    if previous <= 0.0 or close <= 0.0:
        return
    r = math.log(close / previous) * _PERCENT
    p = track.prob0
    predicted0 = fit.stay * p + fit.switch_in * (1.0 - p)
    var0, var1 = fit.variance
    d0 = r - fit.mean
    d1 = d0
    lik0 = predicted0 * math.exp(-0.5 * d0 * d0 / var0) / math.sqrt(var0)
    lik1 = (1.0 - predicted0) * math.exp(-0.5 * d1 * d1 / var1) / math.sqrt(var1)
    total = lik0 + lik1
    track.prob0 = lik0 / total if total > 0.0 else predicted0


def _volatile_probability(track: _Track, fit: _Fit) -> float:
    return track.prob0 if fit.volatile == 0 else 1.0 - track.prob0


def _relabel(track: _Track, confirm: float) -> bool:
    """Update the published label; return whether it changed.

    The first label is the more probable regime; later the other regime must reach
    ``confirm`` probability to take over.
    """
    assert track.fit is not None
    volatile_prob = _volatile_probability(track, track.fit)
    if track.label is None:
        track.label = VOLATILE if volatile_prob > 0.5 else CALM
        return True
    if track.label == CALM and volatile_prob >= confirm:
        track.label = VOLATILE
        return True
    if track.label == VOLATILE and 1.0 - volatile_prob >= confirm:
        track.label = CALM
        return True
    return False


def _state(track: _Track, index: int) -> RegimeState:
    fit = track.fit
    assert fit is not None
    assert track.label is not None
    volatile_prob = _volatile_probability(track, fit)
    label = track.label
    return RegimeState(
        label=label,
        probability=volatile_prob if label == VOLATILE else 1.0 - volatile_prob,
        bar_index=index,
        fitted_at=track.fitted_at,
        fits=track.fits,
        converged=fit.converged,
        calm_sigma=math.sqrt(fit.variance[1 - fit.volatile]) / _PERCENT,
        volatile_sigma=math.sqrt(fit.variance[fit.volatile]) / _PERCENT,
        note=track.note,
    )


class RegimeAgent(StreamingAgent[SymbolState, RegimeParams]):
    """Publish each symbol's regime as FLAT, zero-return signals whenever the label changes.

    The signal's confidence is the regime probability; evidence carries ``regime``,
    ``regime_probability``, the fitted sigmas, the fit count and bar, whether the fit
    converged and the last fit's note.
    """

    required_evidence = frozenset(
        {"regime", "regime_probability", "bar_index", "price", "liquidity_source"}
    )

    def __init__(
        self,
        agent_id: AgentId,
        params: RegimeParams,
        symbols: Iterable[Symbol] = (),
        weight: float = 1.0,
    ) -> None:
        super().__init__(agent_id, params, symbols, weight)
        self.detector = RegimeDetector(params)

    def _new_state(self, frame: SymbolFrame) -> SymbolState:
        return SymbolState(self._new_edge())

    def _advance(
        self, state: SymbolState, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        changes = self.detector.advance(frame)
        for change in changes:
            out.append(self._regime_signal(frame, change))
        if self._params.publish == "every_cycle" and not (
            changes and changes[-1].bar_index == end - 1
        ):
            current = self.detector.current(frame.symbol)
            if current is not None:
                out.append(self._regime_signal(frame, current))

    def _regime_signal(self, frame: SymbolFrame, regime: RegimeState) -> Signal:
        params = self._params
        index = regime.bar_index
        score, liquidity = liquidity_score(
            frame,
            index,
            params.liquidity_window_bars,
            params.liquidity_baseline_bars,
            params.liquidity_reference_usd,
        )
        evidence: dict[str, float | int | str] = {
            "regime": regime.label,
            "regime_probability": regime.probability,
            "regime_calm_sigma": regime.calm_sigma,
            "regime_volatile_sigma": regime.volatile_sigma,
            "regime_fitted_at": regime.fitted_at,
            "regime_fits": regime.fits,
            "regime_converged": int(regime.converged),
            "regime_note": regime.note,
            "bar_index": index,
            "price": frame.bars.close.item(index),
        }
        evidence.update(liquidity)
        close_ns = int(frame.bars.ts_ns[index]) + frame.interval_s * _NS_PER_S
        return Signal(
            agent_id=self.agent_id,
            symbol=frame.symbol,
            direction=Direction.FLAT,
            confidence=regime.probability,
            expected_return=0.0,
            liquidity_score=score,
            horizon_s=params.refit_every * frame.interval_s,
            ts_event=from_ns(close_ns),
            evidence=evidence,
        )
