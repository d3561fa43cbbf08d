"""Scan for volume spikes: a bar trading far above its recent baseline asks for attention.

Rule: each bar's volume is scored against the previous ``period`` bars
(``indicators.VolumeBaselineStream``: population mean and std, the current bar excluded). When
the score reaches ``threshold`` after a bar that did not, the scanner emits one signal whose
direction is the candle's: LONG for close > open, SHORT for close < open (a doji emits
nothing). It is a scanner: its signals mean "something is happening here, this way", and
arbitration weighs them with the others; it has no exit of its own, so its trials settle at
the horizon. Off a perfectly flat baseline the score is infinite; the evidence then omits
``volume_z`` and carries the baseline's zero std instead.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from aiswarm.agents.agent import StreamingAgent, SymbolState
from aiswarm.agents.config import AgentParams
from aiswarm.agents.edge import EdgeTracker
from aiswarm.indicators import VolumeBaselineStream
from aiswarm.types import Direction, Signal, SymbolFrame

__all__ = ["VolumeSpikeAgent", "VolumeSpikeParams"]


class VolumeSpikeParams(AgentParams):
    """Parameters of the volume-spike scanner."""

    period: Annotated[
        int, Field(ge=2, le=100_000, description="Bars in the volume baseline (before the bar).")
    ] = 50
    threshold: Annotated[
        float, Field(gt=0, description="Spike score, in standard deviations of volume.")
    ] = 3.0


class _State(SymbolState):
    __slots__ = ("baseline", "spiking")

    def __init__(self, params: VolumeSpikeParams, edge: EdgeTracker) -> None:
        super().__init__(edge)
        self.baseline = VolumeBaselineStream(params.period)
        self.spiking = False


class VolumeSpikeAgent(StreamingAgent[_State, VolumeSpikeParams]):
    """Flag the first bar of each volume spike, pointed the way the candle went."""

    def _new_state(self, frame: SymbolFrame) -> _State:
        return _State(self._params, self._new_edge())

    def _advance(
        self, state: _State, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        bars = frame.bars
        volume, open_, close = bars.volume.item, bars.open.item, bars.close.item
        update = state.baseline.update
        threshold = self._params.threshold
        for i in range(start, end):
            mean, std, score = update(volume(i))
            spiking = score >= threshold  # False during the warm-up (NaN)
            if not spiking or state.spiking:
                state.spiking = spiking
                continue
            state.spiking = True
            body = close(i) - open_(i)
            if body == 0.0:
                continue
            direction = Direction.LONG if body > 0.0 else Direction.SHORT
            evidence: dict[str, float | int | str] = {
                "volume": volume(i),
                "volume_baseline": mean,
                "volume_baseline_std": std,
            }
            if math.isfinite(score):
                evidence["volume_z"] = score
            if open_(i) > 0.0:
                evidence["candle_return"] = body / open_(i)
            out.append(self._signal(state, frame, i, direction, evidence))
