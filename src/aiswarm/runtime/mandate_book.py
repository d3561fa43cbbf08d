"""The mandates one engine runs: in force now, expired when due, recorded before they change.

A ``MandateBook`` holds the default mandate and every other mandate the engine's agents trade
under. ``expire_due`` runs every step: when a mandate's ``valid_until`` has passed, its EXPIRED
version is appended to the account's journal first and only then put in force, so a crash
between the two leaves the log ahead of the engine, never behind it. At a restart the
composition root takes the recorded versions back (``mandates.reconcile``) before building the
book, and before the OMS reconciles: an order the venue never answered is resent only while its
mandate still trades (``resend_refusal``). The trading window needs no record: whether a step
is inside it follows from the mandate and the time, and the coordinator and the guard chain
read it every step.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiswarm.clock import to_ns
from aiswarm.execution import EventJournal
from aiswarm.mandates import MANDATE_CHANGED, change_payload, expire
from aiswarm.mandates.mandate_state import TERMINAL_MANDATE_STATUSES
from aiswarm.types import Mandate, MandateId, MandateStatus, OrderSpec, Symbol

__all__ = ["MandateBook", "resend_refusal"]

_NEVER_NS = 2**63 - 1  # no mandate left to expire


class MandateBook:
    """Every mandate of one engine, by id; see the module docstring."""

    def __init__(self, default: Mandate, others: Mapping[MandateId, Mandate]) -> None:
        self.default = default
        self.by_id: dict[MandateId, Mandate] = {default.mandate_id: default}
        self.by_id.update(others)
        self._next_expiry_ns = self._earliest_expiry_ns()

    async def expire_due(self, now_ns: int, journal: EventJournal) -> int:
        """Record, then apply, every expiry due at ``now_ns``; return how many there were."""
        if now_ns < self._next_expiry_ns:
            return 0
        expired = [found for m in self.by_id.values() if (found := expire(m, now_ns)) is not None]
        for mandate in expired:
            await journal.append(
                MANDATE_CHANGED, change_payload(mandate, "valid_until passed", "engine")
            )
            self.put(mandate)
        return len(expired)

    def put(self, mandate: Mandate) -> None:
        """Put ``mandate`` in force (after recording it)."""
        self.by_id[mandate.mandate_id] = mandate
        if mandate.mandate_id == self.default.mandate_id:
            self.default = mandate
        self._next_expiry_ns = self._earliest_expiry_ns()

    def for_symbol(self, symbol: Symbol, now_ns: int) -> Mandate:
        """Return the mandate a closing order in ``symbol`` goes under at ``now_ns``.

        Among the mandates that list the symbol (the default first), one ACTIVE and valid at
        ``now_ns``; failing that, the first that lists it (a risk-reducing close passes its
        status and validity guard); when none lists the symbol, the default (its symbol guard
        then refuses, and the kill switch's flatten reports the position it could not close).
        """
        listing = [
            mandate for mandate in (self.default, *self.by_id.values()) if symbol in mandate.symbols
        ]
        in_force = (
            mandate
            for mandate in listing
            if mandate.status is MandateStatus.ACTIVE and mandate.is_valid_at(now_ns)
        )
        return next(in_force, listing[0] if listing else self.default)

    def resend_refusal(self, spec: OrderSpec, now_ns: int) -> str | None:
        """Return why ``spec``'s mandate forbids resending it at ``now_ns`` (module function)."""
        return resend_refusal(self.by_id, spec, now_ns)

    def _earliest_expiry_ns(self) -> int:
        """Return when the next mandate that can still expire does (ns since the epoch)."""
        pending = [
            to_ns(mandate.valid_until)
            for mandate in self.by_id.values()
            if mandate.status not in TERMINAL_MANDATE_STATUSES
        ]
        return min(pending, default=_NEVER_NS)


def resend_refusal(
    mandates: Mapping[MandateId, Mandate], spec: OrderSpec, now_ns: int
) -> str | None:
    """Return why an order the venue never answered may not be resent now, or None.

    Resending places the order: new risk, so its mandate must still be known, ACTIVE and
    valid at ``now_ns``, as the guard chain asks of a new order. A reduce-only order (a close,
    the kill switch's flatten among them) is exempt, as the chain exempts a close.
    """
    if spec.reduce_only:
        return None
    mandate = mandates.get(spec.mandate_id)
    if mandate is None:
        return f"mandate={spec.mandate_id} status=unknown"
    if mandate.status is not MandateStatus.ACTIVE:
        return f"mandate={spec.mandate_id} status={mandate.status}"
    if not mandate.is_valid_at(now_ns):
        return (
            f"mandate={spec.mandate_id} now_ns={now_ns} "
            f"valid_until={mandate.valid_until.isoformat()}"
        )
    return None
