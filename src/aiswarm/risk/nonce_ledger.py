"""Remember every approval nonce that was spent, so no approval executes twice.

The ledger is memory only; the event store is its record. The OMS owns the contract:

1. after ``ApprovalVerifier.verify`` passes, ask ``is_used(nonce)``; a used nonce is refused
   (NONCE_REUSED) and the refusal recorded;
2. append the event that carries the nonce (the order's acceptance) to the event store;
3. only then ``mark_used(nonce)`` and let the order proceed.

Write-ahead order matters: if the process dies after step 2, replay finds the nonce; if it dies
before, the order never went anywhere. On restart the OMS's ``restore`` marks the nonce of
every stored acceptance as used (``from_nonces`` does the same from a list of nonces).

A nonce only needs remembering until its approval expires (the verifier refuses it after that);
the ledger keeps every nonce for now, at about 100 bytes each.
No I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiswarm.risk.approval import ApprovalRefusal, ApprovalRejected

__all__ = ["NonceLedger"]


class NonceLedger:
    """The set of spent approval nonces. Not thread-safe: one OMS owns one ledger."""

    __slots__ = ("_used",)

    def __init__(self) -> None:
        self._used: set[str] = set()

    @classmethod
    def from_nonces(cls, nonces: Iterable[str]) -> NonceLedger:
        """Return a ledger holding ``nonces``, e.g. replayed from the event store on restart.

        A nonce listed twice is kept once: the store is the record, and rebuilding must not
        fail over a duplicate that the OMS itself would have refused.
        """
        ledger = cls()
        ledger._used.update(nonces)
        return ledger

    def is_used(self, nonce: str) -> bool:
        """Return whether ``nonce`` has already been spent."""
        return nonce in self._used

    def mark_used(self, nonce: str) -> None:
        """Record ``nonce`` as spent; raise ApprovalRejected(NONCE_REUSED) if it already was."""
        used = self._used
        if nonce in used:
            raise ApprovalRejected(
                ApprovalRefusal.NONCE_REUSED,
                f"nonce {nonce} was already used: an approval executes once; approve again",
            )
        used.add(nonce)

    def __contains__(self, nonce: object) -> bool:
        return nonce in self._used

    def __len__(self) -> int:
        return len(self._used)

    def __repr__(self) -> str:
        return f"NonceLedger({len(self._used)} nonces)"
