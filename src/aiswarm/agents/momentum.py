"""Signal when the price moved unusually far over a lookback: rate of change in volatility units.

Rule: at bar i the momentum score is ``z = ln(close[i] / close[i - lookback]) / (sigma *
sqrt(lookback))``, where sigma is the population standard deviation of the last
``vol_window`` one-bar log returns (``indicators.rolling_moments``), so the threshold is in
standard deviations of a ``lookback``-bar move whatever the symbol's volatility. Events:
LONG when z >= ``threshold`` and the agent is not already long; SHORT when z <= -``threshold``
and it is not already short; FLAT when long and z falls to ``exit_threshold`` or below (short:
z rises to -``exit_threshold`` or above). No signal before ``max(lookback, vol_window)`` bars,
or while the window has no volatility.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, model_validator

from aiswarm.agents.agent import StreamingAgent, SymbolState
from aiswarm.agents.config import AgentParams
from aiswarm.agents.edge import EdgeTracker
from aiswarm.indicators.rolling_moments import RollingMoments
from aiswarm.types import Direction, Signal, SymbolFrame

__all__ = ["MomentumAgent", "MomentumParams"]


class MomentumParams(AgentParams):
    """Parameters of the momentum agent."""

    lookback: Annotated[int, Field(ge=1, le=10_000, description="Rate-of-change span (bars).")] = 20
    vol_window: Annotated[
        int, Field(ge=2, le=100_000, description="One-bar returns in the volatility (bars).")
    ] = 100
    threshold: Annotated[
        float, Field(gt=0, description="Entry score, in standard deviations of the move.")
    ] = 2.0
    exit_threshold: Annotated[
        float, Field(description="Exit when the score falls back to this (standard deviations).")
    ] = 0.0

    @model_validator(mode="after")
    def _exit_inside_entry(self) -> MomentumParams:
        if self.exit_threshold >= self.threshold:
            raise ValueError(
                f"exit_threshold ({self.exit_threshold}) must be below threshold "
                f"({self.threshold}), or an entry would exit at once"
            )
        return self


class _State(SymbolState):
    __slots__ = ("returns", "stance")

    def __init__(self, params: MomentumParams, edge: EdgeTracker) -> None:
        super().__init__(edge)
        self.returns = RollingMoments(params.vol_window)
        self.stance = 0


class MomentumAgent(StreamingAgent[_State, MomentumParams]):
    """Follow unusually large moves (see the module docstring)."""

    def _new_state(self, frame: SymbolFrame) -> _State:
        return _State(self._params, self._new_edge())

    def _advance(
        self, state: _State, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        params = self._params
        close = frame.bars.close.item
        lookback = params.lookback
        scale = math.sqrt(lookback)
        enter, leave = params.threshold, params.exit_threshold
        moments = state.returns
        for i in range(max(start, 1), end):
            x, previous = close(i), close(i - 1)
            if x <= 0.0 or previous <= 0.0:
                continue
            moments.push(math.log(x / previous))
            if i < lookback or not moments.is_full:
                continue
            sigma = moments.std()
            base = close(i - lookback)
            if not sigma > 0.0 or base <= 0.0:
                continue
            z = math.log(x / base) / (sigma * scale)
            stance = state.stance
            if z >= enter and stance != 1:
                direction, state.stance = Direction.LONG, 1
            elif z <= -enter and stance != -1:
                direction, state.stance = Direction.SHORT, -1
            elif (stance == 1 and z <= leave) or (stance == -1 and z >= -leave):
                direction, state.stance = Direction.FLAT, 0
            else:
                continue
            evidence = {"momentum_z": z, "volatility": sigma, "lookback_bars": lookback}
            out.append(self._signal(state, frame, i, direction, evidence))
