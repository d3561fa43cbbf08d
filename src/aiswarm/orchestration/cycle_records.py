"""Build the journal records of a coordinator cycle: the signals and each arbitration decision.

Plain JSON-ready dicts; the coordinator appends them. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiswarm.orchestration.arbitration import ArbitrationDecision
from aiswarm.types import MandateId, Signal

__all__ = ["decision_payload", "signals_payload"]


def signals_payload(signals: Iterable[Signal], rejected: Iterable[Any]) -> dict[str, Any]:
    """Return the ``cycle.signals`` record: the valid signals and the rejected ones, why."""
    return {
        "signals": [signal.model_dump(mode="json") for signal in signals],
        "rejected": [
            {"signal": signal.model_dump(mode="json"), "problems": list(problems)}
            for signal, problems in rejected
        ],
    }


def decision_payload(decision: ArbitrationDecision, mandate_id: MandateId) -> dict[str, Any]:
    """Return the ``arbitration.decision`` record of one symbol's decision under a mandate."""
    return {
        "mandate_id": mandate_id,
        "symbol": decision.symbol,
        "direction": decision.direction.value if decision.direction is not None else None,
        "score": decision.score,
        "regime": decision.regime,
        "explanation": decision.explanation,
        "contributions": [
            {
                "agent_id": c.agent_id,
                "direction": c.direction.value,
                "weight": c.weight,
                "score": c.score,
            }
            for c in decision.contributions
        ],
        "filtered": [
            {"agent_id": f.signal.agent_id, "reason": f.reason.value, "detail": f.detail}
            for f in decision.filtered
        ],
    }
