"""Signal when a fast EMA of the close crosses a slow one: LONG on a cross up, FLAT on a cross down.

Rule (it reproduces the shared benchmark exactly, so it is pinned down): both EMAs follow
pandas' ``ewm(span=n, adjust=False)`` (``indicators.ema``), seeded with the first close. From
bar ``slow - 1`` on, a bar is *above* when ``fast > slow``; from bar ``slow`` on, a bar that is
above after one that was not emits LONG, and a bar that is not above after one that was emits
FLAT (``indicators.CrossDetector`` with ``warmup_bars = slow``). A long-only book that buys on
LONG when flat and sells on FLAT when long makes 23,162 orders on the benchmark's 500,000
synthetic bars (a test holds it).

Optional ATR filter: with ``atr_filter`` on, a LONG is only emitted when ATR(``atr_period``) /
close >= ``atr_min_frac`` (a fraction of the price), i.e. when the market moves enough to pay
for the trade. FLAT (exits) always pass: an exit is never filtered.

Hot path: a backtest calls this once per bar, so the per-bar loop uses Python floats read with
``ndarray.item`` and bound methods held in locals; nothing allocates unless a signal fires.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, model_validator

from aiswarm.agents.agent import StreamingAgent, SymbolState
from aiswarm.agents.config import AgentParams
from aiswarm.agents.edge import EdgeTracker
from aiswarm.indicators import AtrStream, CrossDetector, EmaStream
from aiswarm.types import Direction, Signal, SymbolFrame

__all__ = ["EmaCrossAgent", "EmaCrossParams"]


class EmaCrossParams(AgentParams):
    """Parameters of the EMA cross."""

    fast: Annotated[int, Field(ge=1, le=10_000, description="Fast EMA span (bars).")] = 9
    slow: Annotated[int, Field(ge=2, le=10_000, description="Slow EMA span (bars).")] = 21
    atr_filter: Annotated[
        bool, Field(description="Only emit LONG when ATR / close >= atr_min_frac.")
    ] = False
    atr_period: Annotated[
        int, Field(ge=1, le=10_000, description="ATR period (bars, Wilder smoothing).")
    ] = 14
    atr_min_frac: Annotated[
        float,
        Field(ge=0, le=1, description="Minimum ATR as a fraction of the close (0.001 = 0.1%)."),
    ] = 0.0

    @model_validator(mode="after")
    def _fast_below_slow(self) -> EmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError(
                f"fast ({self.fast}) must be below slow ({self.slow}); swap them or pick a "
                "shorter fast span"
            )
        return self


class _State(SymbolState):
    # Bound update methods are kept too: looking them up each call costs more than a bar.
    __slots__ = ("atr", "cross", "cross_update", "fast", "fast_update", "slow", "slow_update")

    def __init__(self, params: EmaCrossParams, edge: EdgeTracker) -> None:
        super().__init__(edge)
        self.fast = EmaStream(params.fast)
        self.slow = EmaStream(params.slow)
        self.cross = CrossDetector(warmup_bars=params.slow)
        self.atr = AtrStream(params.atr_period) if params.atr_filter else None
        self.fast_update = self.fast.update
        self.slow_update = self.slow.update
        self.cross_update = self.cross.update


class EmaCrossAgent(StreamingAgent[_State, EmaCrossParams]):
    """Emit LONG on an EMA cross up and FLAT on a cross down (see the module docstring)."""

    def _new_state(self, frame: SymbolFrame) -> _State:
        return _State(self._params, self._new_edge())

    def _advance(
        self, state: _State, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        close = frame.bars.close.item
        fast = state.fast_update
        slow = state.slow_update
        cross = state.cross_update
        if state.atr is None:
            for i in range(start, end):
                x = close(i)
                f = fast(x)
                s = slow(x)
                if cross(f, s):
                    signal = self._emit(state, frame, i, f, s, math.nan)
                    if signal is not None:
                        out.append(signal)
            return
        atr = state.atr.update
        high = frame.bars.high.item
        low = frame.bars.low.item
        for i in range(start, end):
            x = close(i)
            f = fast(x)
            s = slow(x)
            a = atr(high(i), low(i), x)
            if cross(f, s):
                signal = self._emit(state, frame, i, f, s, a)
                if signal is not None:
                    out.append(signal)

    def _emit(
        self, state: _State, frame: SymbolFrame, index: int, fast: float, slow: float, atr: float
    ) -> Signal | None:
        """Return the signal for a cross at ``index``, or None when the ATR filter holds it."""
        up = state.cross.value > 0
        evidence: dict[str, float | int | str] = {"ema_fast": fast, "ema_slow": slow}
        if state.atr is not None:
            price = frame.bars.close.item(index)
            atr_frac = atr / price if atr == atr and price > 0.0 else math.nan
            if up and not atr_frac >= self._params.atr_min_frac:
                return None
            if atr_frac == atr_frac:
                evidence["atr_frac"] = atr_frac
        direction = Direction.LONG if up else Direction.FLAT
        return self._signal(state, frame, index, direction, evidence)
