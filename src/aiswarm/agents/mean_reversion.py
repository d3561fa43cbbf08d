"""Fade a stretched price: enter when it closes outside its Bollinger band with RSI agreeing.

Rule: Bollinger bands of ``period`` bars and ``multiplier`` population standard deviations
(``indicators.BollingerStream``) and Wilder's RSI of ``rsi_period`` (``indicators.RsiStream``).
LONG when the close is below the lower band and RSI < ``oversold``; SHORT when the close is
above the upper band and RSI > ``overbought``; the agent then holds that stance until the close
returns to the middle band (close >= middle when long, <= middle when short), which emits
FLAT. An entry in the other direction replaces the stance without a FLAT first.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from aiswarm.agents.agent import StreamingAgent, SymbolState
from aiswarm.agents.config import AgentParams
from aiswarm.agents.edge import EdgeTracker
from aiswarm.indicators import BollingerStream, RsiStream
from aiswarm.types import Direction, Signal, SymbolFrame

__all__ = ["MeanReversionAgent", "MeanReversionParams"]


class MeanReversionParams(AgentParams):
    """Parameters of the Bollinger/RSI mean-reversion agent."""

    period: Annotated[int, Field(ge=2, le=10_000, description="Bollinger window (bars).")] = 20
    multiplier: Annotated[
        float, Field(gt=0, le=10, description="Band half-width in standard deviations.")
    ] = 2.0
    rsi_period: Annotated[int, Field(ge=1, le=10_000, description="RSI period (bars).")] = 14
    oversold: Annotated[
        float, Field(gt=0, lt=100, description="RSI below this (points) allows a LONG.")
    ] = 30.0
    overbought: Annotated[
        float, Field(gt=0, lt=100, description="RSI above this (points) allows a SHORT.")
    ] = 70.0

    @model_validator(mode="after")
    def _oversold_below_overbought(self) -> MeanReversionParams:
        if self.oversold >= self.overbought:
            raise ValueError(
                f"oversold ({self.oversold}) must be below overbought ({self.overbought})"
            )
        return self


class _State(SymbolState):
    __slots__ = ("bands", "rsi", "stance")

    def __init__(self, params: MeanReversionParams, edge: EdgeTracker) -> None:
        super().__init__(edge)
        self.bands = BollingerStream(params.period, params.multiplier)
        self.rsi = RsiStream(params.rsi_period)
        self.stance = 0


class MeanReversionAgent(StreamingAgent[_State, MeanReversionParams]):
    """Buy the lower band when oversold, sell the upper when overbought, exit at the middle."""

    def _new_state(self, frame: SymbolFrame) -> _State:
        return _State(self._params, self._new_edge())

    def _advance(
        self, state: _State, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        close = frame.bars.close.item
        bands_update = state.bands.update
        rsi_update = state.rsi.update
        oversold, overbought = self._params.oversold, self._params.overbought
        for i in range(start, end):
            x = close(i)
            middle, upper, lower = bands_update(x)
            strength = rsi_update(x)
            if middle != middle or strength != strength:
                continue  # warm-up: NaN bands or RSI
            stance = state.stance
            if stance != 1 and x < lower and strength < oversold:
                direction, state.stance = Direction.LONG, 1
            elif stance != -1 and x > upper and strength > overbought:
                direction, state.stance = Direction.SHORT, -1
            elif (stance == 1 and x >= middle) or (stance == -1 and x <= middle):
                direction, state.stance = Direction.FLAT, 0
            else:
                continue
            evidence = {"band_middle": middle, "band_upper": upper, "band_lower": lower}
            evidence["rsi"] = strength
            out.append(self._signal(state, frame, i, direction, evidence))
