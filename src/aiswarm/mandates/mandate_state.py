"""A mandate's lifecycle as one explicit table: activate, pause, resume, revoke, expire.

Only ACTIVE mandates trade. EXPIRED is reached by the engine's step when a mandate's
``valid_until`` passes; REVOKED by an operator (a mandate file set to ``revoked``). Both are
terminal: a mandate comes back only as a changed file (a new ``valid_until``), which is recorded
as a new version. Nothing but ``apply`` assigns a status, and a move the table does not hold
raises ``InvalidTransition("EXPIRED -> RESUME")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from aiswarm.errors import InvalidTransition
from aiswarm.types import Mandate, MandateStatus

__all__ = ["TERMINAL_MANDATE_STATUSES", "TRANSITIONS", "MandateTrigger", "apply", "expire"]


class MandateTrigger(StrEnum):
    """What moves a mandate: an operator's decision, or its expiry passing."""

    ACTIVATE = "activate"
    PAUSE = "pause"
    RESUME = "resume"
    REVOKE = "revoke"
    EXPIRE = "expire"


_S = MandateStatus
_T = MandateTrigger

TRANSITIONS: Mapping[tuple[MandateStatus, MandateTrigger], MandateStatus] = MappingProxyType(
    {
        (_S.DRAFT, _T.ACTIVATE): _S.ACTIVE,
        (_S.DRAFT, _T.REVOKE): _S.REVOKED,
        # A draft past its expiry can never trade: it expires like an active one.
        (_S.DRAFT, _T.EXPIRE): _S.EXPIRED,
        (_S.ACTIVE, _T.PAUSE): _S.PAUSED,
        (_S.ACTIVE, _T.REVOKE): _S.REVOKED,
        (_S.ACTIVE, _T.EXPIRE): _S.EXPIRED,
        (_S.PAUSED, _T.RESUME): _S.ACTIVE,
        (_S.PAUSED, _T.REVOKE): _S.REVOKED,
        # A paused mandate's expiry still passes: resuming it later must not revive it.
        (_S.PAUSED, _T.EXPIRE): _S.EXPIRED,
    }
)
"""Every legal move, one row each. REVOKED and EXPIRED have no way out."""

TERMINAL_MANDATE_STATUSES = frozenset({_S.REVOKED, _S.EXPIRED})
"""Statuses a mandate never leaves."""


def apply(status: MandateStatus, trigger: MandateTrigger) -> MandateStatus:
    """Return the status ``trigger`` moves ``status`` to, or raise ``InvalidTransition``."""
    target = TRANSITIONS.get((status, trigger))
    if target is None:
        raise InvalidTransition(f"{status.name} -> {trigger.name}")
    return target


def expire(mandate: Mandate, now_ns: int) -> Mandate | None:
    """Return ``mandate`` EXPIRED when its ``valid_until`` has passed at ``now_ns``, else None.

    None also for a mandate already in a terminal status: nothing changes, nothing to record.
    """
    if mandate.status in TERMINAL_MANDATE_STATUSES or not mandate.is_expired_at(now_ns):
        return None
    return mandate.model_copy(update={"status": apply(mandate.status, _T.EXPIRE)})
