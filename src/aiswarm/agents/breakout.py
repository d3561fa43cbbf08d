"""Follow a close that breaks out of its channel: Keltner (EMA ± ATRs) or Donchian (highs/lows).

Rule: with ``channel: keltner`` the channel is ``indicators.KeltnerStream(period, multiplier,
atr_period)`` including the current bar; with ``channel: donchian`` it is the highest high and
lowest low of the ``period`` bars *before* the current one (``indicators.DonchianStream``;
the current bar cannot break a channel that contains it). LONG when the close is above the
upper line and the agent is not long; SHORT when below the lower line and not short; FLAT when
a long closes back below the middle line (a short above it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from aiswarm.agents.agent import StreamingAgent, SymbolState
from aiswarm.agents.config import AgentParams
from aiswarm.agents.edge import EdgeTracker
from aiswarm.indicators import DonchianStream, KeltnerStream
from aiswarm.types import Direction, Signal, SymbolFrame

__all__ = ["BreakoutAgent", "BreakoutParams"]


class BreakoutParams(AgentParams):
    """Parameters of the channel breakout agent."""

    channel: Annotated[
        Literal["keltner", "donchian"], Field(description="Which channel defines a breakout.")
    ] = "keltner"
    period: Annotated[
        int, Field(ge=2, le=10_000, description="EMA span (Keltner) or look-back (Donchian), bars.")
    ] = 20
    multiplier: Annotated[
        float, Field(gt=0, le=20, description="Keltner half-width in ATRs (unused by Donchian).")
    ] = 2.0
    atr_period: Annotated[
        int, Field(ge=1, le=10_000, description="Keltner ATR period (bars, Wilder).")
    ] = 10


class _State(SymbolState):
    __slots__ = ("donchian", "keltner", "stance")

    def __init__(self, params: BreakoutParams, edge: EdgeTracker) -> None:
        super().__init__(edge)
        self.stance = 0
        self.keltner: KeltnerStream | None = None
        self.donchian: DonchianStream | None = None
        if params.channel == "keltner":
            self.keltner = KeltnerStream(params.period, params.multiplier, params.atr_period)
        else:
            self.donchian = DonchianStream(params.period)


class BreakoutAgent(StreamingAgent[_State, BreakoutParams]):
    """Go with a close beyond the channel, exit when it returns past the middle."""

    def _new_state(self, frame: SymbolFrame) -> _State:
        return _State(self._params, self._new_edge())

    def _advance(
        self, state: _State, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        bars = frame.bars
        close, high, low = bars.close.item, bars.high.item, bars.low.item
        keltner, donchian = state.keltner, state.donchian
        for i in range(start, end):
            x = close(i)
            if keltner is not None:
                middle, upper, lower = keltner.update(high(i), low(i), x)
            else:
                assert donchian is not None
                middle, upper, lower = donchian.value  # the channel before this bar
                donchian.update(high(i), low(i))
            if middle != middle or upper != upper:
                continue  # warm-up
            stance = state.stance
            if stance != 1 and x > upper:
                direction, state.stance = Direction.LONG, 1
            elif stance != -1 and x < lower:
                direction, state.stance = Direction.SHORT, -1
            elif (stance == 1 and x < middle) or (stance == -1 and x > middle):
                direction, state.stance = Direction.FLAT, 0
            else:
                continue
            evidence = {"channel_middle": middle, "channel_upper": upper, "channel_lower": lower}
            out.append(self._signal(state, frame, i, direction, evidence))
