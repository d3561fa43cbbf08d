"""Verify an approved order before it executes: the OMS's check of the risk engine's signature.

The OMS holds an ``ApprovalVerifier``; it re-derives the canonical text of each signed field
(``approval_encoding.py``) from the spec it was handed and checks it, the key, the signature and
the clock before the order may go further. The nonce is checked by the OMS against its
``NonceLedger`` after ``verify`` passes (see ``nonce_ledger.py``).

Hot path: verifying runs for every order, so the approval's attributes are read in one call,
the message is built inline, and fields are compared as plain ``str()`` texts
(``fields_match``) before any Decimal is normalised. No I/O, no clock: callers pass ``now_ns``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Final, NoReturn, Protocol

from aiswarm.risk.approval import (
    APPROVAL_VERSION,
    Algorithm,
    ApprovalRefusal,
    ApprovalRejected,
    Approved,
)
from aiswarm.risk.approval_encoding import (
    FIELD_COUNT,
    MESSAGE_HEADER,
    SIGNED_FIELDS,
    canonical_texts,
    fields_match,
)
from aiswarm.types import OrderSpec

__all__ = ["ApprovalVerifier", "Verifier"]

_APPROVAL_ATTRIBUTES: Final = attrgetter(
    "version",
    "key_id",
    "algorithm",
    "issued_at_ns",
    "expires_at_ns",
    "nonce",
    "fields",
    "signature",
)
"""Read every attribute of an ``Approval`` in one C call (the verifier's hot path)."""


class Verifier(Protocol):
    """Checks a signature by key id; holds whatever keys the deployment trusts."""

    def verify_signature(
        self, key_id: str, algorithm: Algorithm, message: bytes, signature: bytes
    ) -> None:
        """Return if ``signature`` is valid; else raise ApprovalRejected.

        Codes: KEY_REVOKED, UNKNOWN_KEY, or BAD_SIGNATURE (also when ``algorithm`` is not the
        key's own algorithm). Comparison is constant-time.
        """
        ...


class ApprovalVerifier:
    """Verify an approved order before it executes: the OMS's first check.

    Steps, in this order, each with its refusal code (docs/approvals.md, "Verification"):

    1. the wrapper is an ``Approved`` (MALFORMED) and the version is 1 (UNSUPPORTED_VERSION);
    2. the approval has 13 field texts and a hex signature (MALFORMED);
    3. the key is not revoked (KEY_REVOKED) and is known (UNKNOWN_KEY), the approval claims
       the key's own algorithm, and the signature over ``approval.message()`` is valid,
       compared in constant time (BAD_SIGNATURE): the ``Verifier``'s part;
    4. now is not past expiry + skew (EXPIRED), and the issue time is not past now + skew
       (ISSUED_IN_FUTURE);
    5. every field of the order equals what was signed (FIELD_MISMATCH, naming the first
       that differs; MALFORMED when a field has the wrong type).

    The signature comes before the field comparison so that a changed approval is reported as
    BAD_SIGNATURE and a changed order as FIELD_MISMATCH naming the field. The nonce is the
    caller's to check next, against its ledger.
    """

    __slots__ = ("_max_skew_ns", "_verify_signature")

    def __init__(self, verifier: Verifier, *, max_skew_ns: int) -> None:
        if type(max_skew_ns) is not int or max_skew_ns < 0:
            raise ValueError(f"max_skew_ns={max_skew_ns!r}: expected nanoseconds >= 0")
        self._verify_signature = verifier.verify_signature
        self._max_skew_ns = max_skew_ns

    def verify(self, approved: Approved[OrderSpec], now_ns: int) -> None:
        """Return if ``approved`` may execute at ``now_ns``; else raise ApprovalRejected."""
        if approved.__class__ is not Approved:
            raise ApprovalRejected(
                ApprovalRefusal.MALFORMED,
                f"expected Approved[OrderSpec], got {type(approved).__name__}: only the risk "
                "engine approves orders",
            )
        try:
            version, key_id, algorithm, issued_at_ns, expires_at_ns, nonce, signed, signature = (
                _APPROVAL_ATTRIBUTES(approved.approval)
            )
        except AttributeError as error:
            raise ApprovalRejected(ApprovalRefusal.MALFORMED, f"approval: {error}") from None
        if version != APPROVAL_VERSION:
            raise ApprovalRejected(
                ApprovalRefusal.UNSUPPORTED_VERSION,
                f"version={version!r}, this verifier reads version {APPROVAL_VERSION}",
            )
        try:
            if len(signed) != FIELD_COUNT:
                raise ApprovalRejected(
                    ApprovalRefusal.MALFORMED,
                    f"approval has {len(signed)} fields, expected {FIELD_COUNT}: "
                    f"{', '.join(SIGNED_FIELDS)}",
                )
            # encode_message(), inlined: this is the OMS's hot path.
            message = (
                f"{MESSAGE_HEADER}\n{key_id}\n{algorithm}\n{issued_at_ns}\n{expires_at_ns}"
                f"\n{nonce}\n" + "\n".join(signed)
            ).encode()
            raw_signature = bytes.fromhex(signature)
        except (TypeError, ValueError) as error:  # not a sequence, bad hex, unencodable text
            raise ApprovalRejected(ApprovalRefusal.MALFORMED, f"approval: {error}") from None
        self._verify_signature(key_id, algorithm, message, raw_signature)
        skew_ns = self._max_skew_ns
        if now_ns > expires_at_ns + skew_ns:
            raise ApprovalRejected(
                ApprovalRefusal.EXPIRED,
                f"expires_at_ns={expires_at_ns} now_ns={now_ns} skew_ns={skew_ns}",
            )
        if issued_at_ns > now_ns + skew_ns:
            raise ApprovalRejected(
                ApprovalRefusal.ISSUED_IN_FUTURE,
                f"issued_at_ns={issued_at_ns} now_ns={now_ns} skew_ns={skew_ns}",
            )
        item = approved.item
        try:
            if fields_match(item, signed):
                return
            presented = canonical_texts(item)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise ApprovalRejected(ApprovalRefusal.MALFORMED, f"order: {error!r}") from None
        if presented != signed:
            _refuse_mismatch(signed, presented)


def _refuse_mismatch(signed: tuple[str, ...], presented: tuple[str, ...]) -> NoReturn:
    """Raise FIELD_MISMATCH naming the first field whose presented text differs."""
    for name, signed_text, presented_text in zip(SIGNED_FIELDS, signed, presented, strict=True):
        if signed_text != presented_text:
            raise ApprovalRejected(
                ApprovalRefusal.FIELD_MISMATCH,
                f"field {name}: signed={signed_text} presented={presented_text}",
            )
    raise ApprovalRejected(
        ApprovalRefusal.MALFORMED, f"fields={signed!r}: expected a tuple of {FIELD_COUNT} texts"
    )
