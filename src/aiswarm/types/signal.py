"""Hold what an agent says about a symbol: direction, confidence and expected return. No I/O.

Signals are estimates, not money, so their numbers are floats. Arbitration weighs them; the
allocator turns the result into an ``OrderIntent`` with exact quantities.
"""

from __future__ import annotations

from types import MappingProxyType

from pydantic import Field

from aiswarm.types._model import FrozenModel, ReadOnlyEvidence
from aiswarm.types.enums import Direction
from aiswarm.types.ids import AgentId, Symbol
from aiswarm.types.timestamps import UtcDatetime

__all__ = ["Signal"]


class Signal(FrozenModel):
    """One agent's view of one symbol at one instant.

    ``confidence`` and ``liquidity_score`` are in [0, 1]. ``expected_return`` is a fraction per
    trade (0.01 means +1%), before fees. ``horizon_s`` is how long the view holds, in seconds.
    ``evidence`` is a read-only mapping of the numbers and labels behind the view (e.g.
    ``{"ema_fast": 101.2, "regime": "trend"}``); it makes the model unhashable, which is fine
    because signals are compared, not used as keys.
    """

    agent_id: AgentId
    symbol: Symbol
    direction: Direction
    confidence: float = Field(ge=0.0, le=1.0)
    expected_return: float
    liquidity_score: float = Field(ge=0.0, le=1.0)
    horizon_s: int = Field(gt=0)
    ts_event: UtcDatetime
    evidence: ReadOnlyEvidence = Field(default_factory=lambda: MappingProxyType({}))
