"""Define what an agent is (analyze, validate, propose) and the streaming base every built-in uses.

An agent reads a ``MarketFrame`` and says, per symbol, what position it wants: LONG, SHORT or
FLAT (exit). It speaks on *events* (a cross, a breakout, a spike), not on every bar. Each agent
keeps streaming state per symbol and advances it once per new bar index, over every bar from
the last one it saw up to the frame's ``end``: asking twice about the same frame emits nothing
new, and a cycle that skipped bars misses none of them. So the signals a series produces do
not depend on how its bars were batched into frames (a property test holds every agent to it).

What a signal says beyond its direction is measured, never assumed: confidence and expected
return come from the agent's realised edge on that symbol (``edge.py``), the liquidity score
from the frame (``liquidity.py``). No I/O, no clock: a signal's ``ts_event`` is the close time of
the bar that triggered it.

Per-bar cost matters: a backtest calls ``analyze`` once per bar. The base keeps the per-call
work to a dictionary lookup per symbol, and subclasses update plain Python floats in their
per-bar loop; anything that allocates happens only when a signal fires.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from aiswarm.agents.config import AgentParams
from aiswarm.agents.edge import EdgeTracker
from aiswarm.agents.liquidity import liquidity_score
from aiswarm.clock import from_ns
from aiswarm.types import AgentId, Direction, MarketFrame, Signal, Symbol, SymbolFrame

__all__ = [
    "TRACK_RECORD_EVIDENCE",
    "Agent",
    "Proposal",
    "StreamingAgent",
    "SymbolState",
    "check_signal",
]

TRACK_RECORD_EVIDENCE: frozenset[str] = frozenset(
    {"samples", "wins", "losses", "avg_win", "avg_loss", "price", "bar_index", "liquidity_source"}
)
"""Evidence keys arbitration and the Kelly allocator read from every trading signal."""

_NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Proposal:
    """What ``propose`` returns: the valid signals, and the invalid ones with their problems.

    The rejected ones are kept so the caller can record them; they must never be traded.
    """

    signals: tuple[Signal, ...]
    rejected: tuple[tuple[Signal, tuple[str, ...]], ...] = ()


@runtime_checkable
class Agent(Protocol):
    """What the coordinator needs from any agent."""

    @property
    def agent_id(self) -> AgentId:
        """Return the id every signal of this agent carries."""
        ...

    @property
    def weight(self) -> float:
        """Return the arbitration weight from config (unitless, 0 mutes the agent)."""
        ...

    def analyze(self, frame: MarketFrame) -> list[Signal]:
        """Advance over the frame's new bars and return the signals they triggered."""
        ...

    def validate(self, signal: Signal) -> list[str]:
        """Return every problem with ``signal`` (empty when it may be used)."""
        ...

    def propose(self, frame: MarketFrame) -> Proposal:
        """Analyze, then split the signals into valid and rejected."""
        ...


_NO_PROPOSAL = Proposal(())
"""The proposal of a frame that triggered nothing (immutable, so one is shared)."""


def _is_unit(value: float) -> bool:
    return math.isfinite(value) and 0.0 <= value <= 1.0


def check_signal(signal: Signal, agent_id: AgentId, required: Iterable[str]) -> list[str]:
    """Return the problems with ``signal`` as coming from ``agent_id`` with ``required`` evidence.

    Pydantic already refuses most of these when a signal is built normally; this also covers
    signals built without validation, and the rules pydantic cannot see (a FLAT signal must
    expect no return; the evidence the allocator reads must be there).
    """
    problems: list[str] = []
    if signal.agent_id != agent_id:
        problems.append(f"agent_id is {signal.agent_id!r}, not this agent's {agent_id!r}")
    if not _is_unit(signal.confidence):
        problems.append(f"confidence is {signal.confidence!r}; it must be within [0, 1]")
    if not _is_unit(signal.liquidity_score):
        problems.append(f"liquidity_score is {signal.liquidity_score!r}; it must be within [0, 1]")
    if not math.isfinite(signal.expected_return):
        problems.append(f"expected_return is {signal.expected_return!r}; it must be finite")
    elif signal.direction is Direction.FLAT and signal.expected_return != 0.0:
        problems.append(
            f"direction is flat but expected_return is {signal.expected_return!r}; "
            "an exit expects no return, so it must be 0"
        )
    if signal.horizon_s <= 0:
        problems.append(f"horizon_s is {signal.horizon_s}; it must be at least 1 second")
    missing = sorted(set(required) - set(signal.evidence))
    if missing:
        problems.append(f"evidence lacks {', '.join(missing)}")
    for key, value in signal.evidence.items():
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"evidence {key!r} is {value!r}; it must be finite")
    return problems


class SymbolState:
    """An agent's streaming state on one symbol: bars seen so far and its realised edge.

    ``seen`` is the number of bars processed (the next bar to process is ``seen``).
    Subclasses add their indicator streams and stance.
    """

    __slots__ = ("edge", "seen")

    def __init__(self, edge: EdgeTracker) -> None:
        self.seen = 0
        self.edge = edge


StateT = TypeVar("StateT", bound=SymbolState)
ParamsT = TypeVar("ParamsT", bound=AgentParams)


class StreamingAgent(ABC, Generic[StateT, ParamsT]):
    """Run the once-per-bar bookkeeping, the validation and the proposal for a built-in agent.

    A subclass supplies ``_new_state`` (fresh indicator streams for a symbol) and ``_advance``
    (process bars ``[start, end)`` and append signals through ``_signal``).
    """

    required_evidence: ClassVar[frozenset[str]] = TRACK_RECORD_EVIDENCE

    def __init__(
        self,
        agent_id: AgentId,
        params: ParamsT,
        symbols: Iterable[Symbol] = (),
        weight: float = 1.0,
    ) -> None:
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"agent {agent_id!r} weight was {weight!r}; expected a number >= 0")
        self._agent_id = agent_id
        self._weight = float(weight)
        self._params = params
        self._symbols = frozenset(symbols)
        self._states: dict[Symbol, StateT] = {}

    @property
    def agent_id(self) -> AgentId:
        """Return the id every signal of this agent carries."""
        return self._agent_id

    @property
    def weight(self) -> float:
        """Return the arbitration weight from config (unitless, 0 mutes the agent)."""
        return self._weight

    @property
    def params(self) -> ParamsT:
        """Return the validated parameters this agent was built with."""
        return self._params

    def analyze(self, frame: MarketFrame) -> list[Signal]:
        """Advance every watched symbol over its new bars; return the signals they triggered."""
        out: list[Signal] = []
        states = self._states
        wanted = self._symbols
        for symbol, symbol_frame in frame.symbols.items():
            if wanted and symbol not in wanted:
                continue
            state = states.get(symbol)
            if state is None:
                state = states[symbol] = self._new_state(symbol_frame)
            seen = state.seen
            end = symbol_frame.end
            if end > seen:
                self._advance(state, symbol_frame, seen, end, out)
                state.seen = end
        return out

    def validate(self, signal: Signal) -> list[str]:
        """Return every problem with ``signal`` (empty when it may be used)."""
        return check_signal(signal, self._agent_id, self.required_evidence)

    def propose(self, frame: MarketFrame) -> Proposal:
        """Analyze the frame, keep the valid signals and return the rest with their problems."""
        signals = self.analyze(frame)
        if not signals:
            return _NO_PROPOSAL  # most bars: nothing to split, nothing to allocate
        valid: list[Signal] = []
        rejected: list[tuple[Signal, tuple[str, ...]]] = []
        for signal in signals:
            problems = self.validate(signal)
            if problems:
                rejected.append((signal, tuple(problems)))
            else:
                valid.append(signal)
        return Proposal(tuple(valid), tuple(rejected))

    def _new_edge(self) -> EdgeTracker:
        params = self._params
        return EdgeTracker(params.horizon_bars, params.edge_prior_samples)

    @abstractmethod
    def _new_state(self, frame: SymbolFrame) -> StateT:
        """Return fresh streaming state for the frame's symbol."""

    @abstractmethod
    def _advance(
        self, state: StateT, frame: SymbolFrame, start: int, end: int, out: list[Signal]
    ) -> None:
        """Process bars ``[start, end)`` of ``frame`` and append the signals they trigger."""

    def _signal(
        self,
        state: StateT,
        frame: SymbolFrame,
        index: int,
        direction: Direction,
        evidence: Mapping[str, float | int | str],
    ) -> Signal:
        """Return the signal for an event at bar ``index``, scored by realised edge and liquidity.

        FLAT signals (exits) expect no return; their confidence is the agent's win rate on the
        symbol, i.e. how much its calls there have been worth listening to.
        """
        params = self._params
        bars = frame.bars
        estimate = state.edge.observe(index, bars.close, direction)
        score, liquidity = liquidity_score(
            frame,
            index,
            params.liquidity_window_bars,
            params.liquidity_baseline_bars,
            params.liquidity_reference_usd,
        )
        merged: dict[str, float | int | str] = dict(evidence)
        merged.update(estimate.evidence())
        merged.update(liquidity)
        merged["bar_index"] = index
        merged["price"] = float(bars.close[index])
        close_ns = int(bars.ts_ns[index]) + frame.interval_s * _NS_PER_S
        return Signal(
            agent_id=self._agent_id,
            symbol=frame.symbol,
            direction=direction,
            confidence=estimate.confidence,
            expected_return=0.0 if direction is Direction.FLAT else estimate.expected_return,
            liquidity_score=score,
            horizon_s=params.horizon_bars * frame.interval_s,
            ts_event=from_ns(close_ns),
            evidence=merged,
        )
