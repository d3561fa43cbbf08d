"""Lean against a crowded perpetual: when funding is extreme, signal the other way.

Perpetuals only: a symbol whose frame has ``funding_rate`` None (spot) is ignored. The frame
carries only the latest funding rate, so the agent builds the history itself: each time a
symbol's frame has new bars, its funding rate is recorded as one observation if it differs from
the last one recorded (a new funding print; a rate that holds for hours is one observation, not
hundreds). The z-score of the latest observation against the last ``window`` observations
(``indicators.ZScoreStream``, population std) measures how extreme it is.

Events, at the frame's latest bar: SHORT when z >= ``threshold`` (longs are paying
unusually much: the crowd is long) and the agent is not short; LONG when z <= -``threshold``
and not long; FLAT when |z| has fallen to ``exit_threshold`` or below. Funding history is
per frame, not per bar: frames that skip bars skip the funding prints between them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from aiswarm.agents.agent import StreamingAgent, SymbolState
from aiswarm.agents.config import AgentParams
from aiswarm.agents.edge import EdgeTracker
from aiswarm.indicators import ZScoreStream
from aiswarm.types import Direction, Signal, SymbolFrame

__all__ = ["FundingContrarianAgent", "FundingContrarianParams"]


class FundingContrarianParams(AgentParams):
    """Parameters of the funding-rate contrarian."""

    window: Annotated[
        int, Field(ge=2, le=100_000, description="Funding observations in the z-score window.")
    ] = 90
    threshold: Annotated[
        float, Field(gt=0, description="Entry |z| (standard deviations of funding).")
    ] = 2.0
    exit_threshold: Annotated[
        float, Field(ge=0, description="Exit when |z| falls to this (standard deviations).")
    ] = 0.5

    @model_validator(mode="after")
    def _exit_inside_entry(self) -> FundingContrarianParams:
        if self.exit_threshold >= self.threshold:
            raise ValueError(
                f"exit_threshold ({self.exit_threshold}) must be below threshold ({self.threshold})"
            )
        return self


class _State(SymbolState):
    __slots__ = ("last_rate", "stance", "zscore")

    def __init__(self, params: FundingContrarianParams, edge: EdgeTracker) -> None:
        super().__init__(edge)
        self.zscore = ZScoreStream(params.window)
        self.last_rate: float | None = None
        self.stance = 0


class FundingContrarianAgent(StreamingAgent[_State, FundingContrarianParams]):
    """Short extreme positive funding, buy extreme negative funding, exit when it normalises."""

    def _new_state(self, frame: SymbolFrame) -> _State:
        return _State(self._params, self._new_edge())

    def _advance(
        self, state: _State, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        rate = frame.funding_rate
        if rate is None or rate != rate or rate == state.last_rate:
            return
        state.last_rate = rate
        z = state.zscore.update(rate)
        if z != z:
            return  # fewer than `window` observations yet
        params = self._params
        stance = state.stance
        if z >= params.threshold and stance != -1:
            direction, state.stance = Direction.SHORT, -1
        elif z <= -params.threshold and stance != 1:
            direction, state.stance = Direction.LONG, 1
        elif stance != 0 and abs(z) <= params.exit_threshold:
            direction, state.stance = Direction.FLAT, 0
        else:
            return
        evidence = {"funding_rate": rate, "funding_z": z}
        out.append(self._signal(state, frame, end - 1, direction, evidence))
