"""Sign every economically relevant field of an order: the approval record and its signer.

The risk engine holds an ``ApprovalSigner``; it turns an ``OrderSpec`` into ``Approved[OrderSpec]``,
the only type the OMS accepts. The OMS checks it with an ``ApprovalVerifier``
(``approval_verifier.py``) before the order may go further, then spends the nonce against its
``NonceLedger`` (``nonce_ledger.py``). What exactly is signed, the canonical text of each field
and the message bytes, is defined in ``approval_encoding.py``.

``Approved`` can only be built with a module-private token that ``ApprovalSigner`` holds, so an
unapproved order does not type-check at the OMS and cannot be built by accident. Python cannot
stop determined code (``object.__new__`` and ``object.__setattr__`` reach past any guard); that
is what the signature is for. The type stops mistakes, the signature stops tampering.

Hot path: signing runs for every order, so ``Approval`` is a slotted frozen dataclass rather
than a pydantic model, the signer builds ``Approval`` through a same-layout draft instead of the
frozen dataclass ``__init__`` (half the cost), and nonces come from a pool (``nonce_pool``).
No I/O, no clock: callers pass ``now_ns``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Generic, NoReturn, Protocol, TypeGuard, TypeVar

from aiswarm.errors import ApprovalError
from aiswarm.risk.approval_encoding import FIELD_COUNT, MESSAGE_HEADER, encode_message, order_fields
from aiswarm.risk.nonce_pool import NONCE_BYTES, next_nonce
from aiswarm.types import OrderSpec

__all__ = [
    "APPROVAL_VERSION",
    "Algorithm",
    "Approval",
    "ApprovalRefusal",
    "ApprovalRejected",
    "ApprovalSigner",
    "Approved",
    "Signer",
]

T = TypeVar("T")

APPROVAL_VERSION: Final = 1
_NONCE_BYTES: Final = NONCE_BYTES
_NONCE_PATTERN: Final = re.compile(r"[0-9a-f]{32}")
_HEX_PATTERN: Final = re.compile(r"(?:[0-9a-f]{2})+")


class Algorithm(StrEnum):
    """How an approval is signed. Each key id belongs to exactly one algorithm."""

    HMAC_SHA256 = "hmac-sha256"
    ED25519 = "ed25519"


_ALGORITHMS: Final = frozenset(algorithm.value for algorithm in Algorithm)


class ApprovalRefusal(StrEnum):
    """Why an approval did not verify: a stable code for events, metrics and operators."""

    MALFORMED = "MALFORMED"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    KEY_REVOKED = "KEY_REVOKED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    EXPIRED = "EXPIRED"
    ISSUED_IN_FUTURE = "ISSUED_IN_FUTURE"
    FIELD_MISMATCH = "FIELD_MISMATCH"
    NONCE_REUSED = "NONCE_REUSED"


class ApprovalRejected(ApprovalError):  # noqa: N818 - reads as the fact it reports
    """An approval failed one verification step; ``code`` says which, ``detail`` the values.

    Never retried: the order is refused and the refusal recorded.
    """

    def __init__(self, code: ApprovalRefusal, detail: str) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code} {self.detail}"


@dataclass(frozen=True, slots=True)
class Approval:
    """The risk engine's signed statement that one order, exactly as encoded, may execute.

    ``issued_at_ns`` and ``expires_at_ns`` are nanoseconds since the Unix epoch (UTC) on the
    risk engine's clock. ``nonce`` is 32 lower-case hex digits (16 random bytes) and makes every
    approval single-use. ``fields`` are the canonical texts of ``SIGNED_FIELDS``, and
    ``signature`` is the lower-case hex signature over ``message()``.
    """

    version: int
    key_id: str
    algorithm: Algorithm
    issued_at_ns: int
    expires_at_ns: int
    nonce: str
    fields: tuple[str, ...]
    signature: str

    def is_expired(self, now_ns: int, skew_ns: int = 0) -> bool:
        """Return whether ``now_ns`` is past ``expires_at_ns``, allowing ``skew_ns`` of slack."""
        return now_ns > self.expires_at_ns + skew_ns

    def message(self) -> bytes:
        """Return the exact bytes the signature covers."""
        return encode_message(
            self.key_id,
            self.algorithm,
            self.issued_at_ns,
            self.expires_at_ns,
            self.nonce,
            self.fields,
        )

    def to_dict(self) -> dict[str, object]:
        """Return the approval as a JSON-safe dict for the event store.

        The times stay integers: exact in Python's json, but above 2**53, so a JavaScript
        reader must parse them as BigInt.
        """
        return {
            "version": self.version,
            "key_id": self.key_id,
            "algorithm": self.algorithm.value,
            "issued_at_ns": self.issued_at_ns,
            "expires_at_ns": self.expires_at_ns,
            "nonce": self.nonce,
            "fields": list(self.fields),
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Approval:
        """Return the approval stored by ``to_dict``, or raise ApprovalRejected saying why not.

        Checks shape only (keys, types, formats); the signature is checked by the verifier.
        """
        expected = {
            "version",
            "key_id",
            "algorithm",
            "issued_at_ns",
            "expires_at_ns",
            "nonce",
            "fields",
            "signature",
        }
        if set(data) != expected:
            _malformed(f"keys {sorted(data)}, expected {sorted(expected)}")
        version = data["version"]
        if not _is_int(version):
            _malformed(f"version={version!r}, expected an integer")
        if version != APPROVAL_VERSION:
            raise ApprovalRejected(
                ApprovalRefusal.UNSUPPORTED_VERSION,
                f"version={version}, this verifier reads version {APPROVAL_VERSION}",
            )
        key_id = data["key_id"]
        if not isinstance(key_id, str) or not key_id or not key_id.isprintable():
            _malformed(f"key_id={key_id!r}, expected non-empty printable text")
        algorithm = data["algorithm"]
        if not isinstance(algorithm, str) or algorithm not in _ALGORITHMS:
            _malformed(f"algorithm={algorithm!r}, expected one of {sorted(_ALGORITHMS)}")
        issued_at_ns = data["issued_at_ns"]
        expires_at_ns = data["expires_at_ns"]
        if not _is_int(issued_at_ns) or not _is_int(expires_at_ns):
            _malformed(
                f"issued_at_ns={issued_at_ns!r} expires_at_ns={expires_at_ns!r}: expected integers"
            )
        nonce = data["nonce"]
        if not isinstance(nonce, str) or _NONCE_PATTERN.fullmatch(nonce) is None:
            _malformed(f"nonce={nonce!r}, expected 32 lower-case hex digits")
        fields = data["fields"]
        if not isinstance(fields, list | tuple) or len(fields) != FIELD_COUNT:
            _malformed(f"fields={fields!r}, expected a list of {FIELD_COUNT} texts")
        texts = tuple(fields)
        if not all(isinstance(text, str) and text.isprintable() for text in texts):
            _malformed(f"fields={texts!r}, expected printable texts")
        signature = data["signature"]
        if not isinstance(signature, str) or _HEX_PATTERN.fullmatch(signature) is None:
            _malformed(f"signature={signature!r}, expected lower-case hex")
        return cls(
            version=APPROVAL_VERSION,
            key_id=key_id,
            algorithm=Algorithm(algorithm),
            issued_at_ns=issued_at_ns,
            expires_at_ns=expires_at_ns,
            nonce=nonce,
            fields=texts,
            signature=signature,
        )


def _is_int(value: object) -> TypeGuard[int]:
    """Return whether ``value`` is an int and not a bool (JSON has no such overlap)."""
    return type(value) is int


def _malformed(detail: str) -> NoReturn:
    raise ApprovalRejected(ApprovalRefusal.MALFORMED, detail)


_ISSUER: Final = object()
"""The token ``Approved`` requires; only this module holds it."""


class Approved(Generic[T]):
    """An item the risk engine approved, with the approval that proves it. Read-only.

    Only ``ApprovalSigner.approve`` (and so the risk engine that holds the signer) makes one;
    building it anywhere else raises TypeError. The OMS accepts nothing else, and still calls
    ``ApprovalVerifier.verify``: this type stops mistakes, the signature stops tampering.
    Copying and pickling are refused (they would build one without the token); send
    ``approval.to_dict()`` and the spec's JSON across a process boundary instead.
    """

    __slots__ = ("approval", "item")

    item: T
    approval: Approval

    def __init__(self, item: T, approval: Approval, issuer: object = None) -> None:
        if issuer is not _ISSUER:
            raise TypeError(
                "Approved is created only by the risk engine: call ApprovalSigner.approve(spec, "
                "now_ns) instead of building one"
            )
        object.__setattr__(self, "item", item)
        object.__setattr__(self, "approval", approval)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Approved is read-only: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Approved is read-only: cannot delete {name}")

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("Approved cannot be copied or pickled: send approval.to_dict() instead")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Approved):
            return NotImplemented
        return bool(self.item == other.item and self.approval == other.approval)

    def __hash__(self) -> int:
        return hash((self.item, self.approval))

    def __repr__(self) -> str:
        return f"Approved(item={self.item!r}, approval={self.approval!r})"


class Signer(Protocol):
    """Signs approval messages with one key (HMAC keyring or Ed25519 private key)."""

    @property
    def key_id(self) -> str:
        """The id verifiers look the key up by."""
        ...

    @property
    def algorithm(self) -> Algorithm:
        """The algorithm this key signs with."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Return the raw signature over ``message``."""
        ...


class _ApprovalDraft:
    """``Approval``'s exact slot layout with a plain ``__init__``; only the signer uses it.

    A frozen dataclass fills each field through ``object.__setattr__`` (about 40 ns a field);
    this fills them at slot speed, and the signer then re-labels the instance as ``Approval``
    (same slots, so CPython allows the ``__class__`` assignment), whose frozen ``__setattr__``
    refuses every later change. The result equals ``Approval(...)``; a test checks that.
    """

    __slots__ = Approval.__slots__

    def __init__(
        self,
        version: int,
        key_id: str,
        algorithm: Algorithm,
        issued_at_ns: int,
        expires_at_ns: int,
        nonce: str,
        fields: tuple[str, ...],
        signature: str,
    ) -> None:
        self.version = version
        self.key_id = key_id
        self.algorithm = algorithm
        self.issued_at_ns = issued_at_ns
        self.expires_at_ns = expires_at_ns
        self.nonce = nonce
        self.fields = fields
        self.signature = signature


_NEW = object.__new__
_SET_ITEM = vars(Approved)["item"].__set__
_SET_APPROVAL = vars(Approved)["approval"].__set__


class ApprovalSigner:
    """Approve order specs: the one public way to make an ``Approved[OrderSpec]``.

    ``ttl_ns`` is how long an approval stays valid after it is issued (nanoseconds); keep it
    short, since an approval is a bearer token until its nonce is spent. Nonces come from
    ``nonce_pool.next_nonce`` (the OS's CSPRNG, drawn in batches) unless ``nonce_source`` is
    given: it returns 16 random bytes per call, and tests pass a fixed one.
    """

    __slots__ = ("_algorithm", "_key_id", "_next_nonce", "_prefix", "_sign", "_ttl_ns")

    def __init__(
        self,
        signer: Signer,
        *,
        ttl_ns: int,
        nonce_source: Callable[[], bytes] | None = None,
    ) -> None:
        if type(ttl_ns) is not int or ttl_ns <= 0:
            raise ValueError(f"ttl_ns={ttl_ns!r}: expected a positive number of nanoseconds")
        key_id = signer.key_id
        if not key_id or not key_id.isprintable():
            raise ValueError(f"key_id={key_id!r}: expected non-empty printable text")
        self._key_id = key_id
        self._algorithm = Algorithm(signer.algorithm)
        # Lines 1-3 of every message this signer makes (see encode_message); built once.
        self._prefix = f"{MESSAGE_HEADER}\n{key_id}\n{self._algorithm}\n"
        self._sign = signer.sign
        self._ttl_ns = ttl_ns
        self._next_nonce: Callable[[], str] = (
            next_nonce if nonce_source is None else _hex_nonces(nonce_source)
        )

    def approve(self, spec: OrderSpec, now_ns: int) -> Approved[OrderSpec]:
        """Return ``spec`` wrapped with a fresh approval issued at ``now_ns``.

        Call it only after every guard has passed. Raises ValueError when a field cannot be
        encoded (see ``order_fields``) or the nonce source misbehaves.
        """
        fields = order_fields(spec)
        nonce = self._next_nonce()
        expires_at_ns = now_ns + self._ttl_ns
        # encode_message(), with lines 1-3 prebuilt; the encoding test checks the bytes.
        signature = self._sign(
            (f"{self._prefix}{now_ns}\n{expires_at_ns}\n{nonce}\n" + "\n".join(fields)).encode()
        ).hex()
        draft = _ApprovalDraft(
            APPROVAL_VERSION,
            self._key_id,
            self._algorithm,
            now_ns,
            expires_at_ns,
            nonce,
            fields,
            signature,
        )
        draft.__class__ = Approval  # type: ignore[assignment]  # see _ApprovalDraft
        approved: Approved[OrderSpec] = _NEW(Approved)
        _SET_ITEM(approved, spec)
        _SET_APPROVAL(approved, draft)
        return approved


def _hex_nonces(source: Callable[[], bytes]) -> Callable[[], str]:
    """Return a nonce function that hex-encodes ``source()``, refusing a wrong length."""

    def nonce() -> str:
        raw = source()
        if len(raw) != _NONCE_BYTES:
            raise ValueError(f"nonce_source returned {len(raw)} bytes; expected {_NONCE_BYTES}")
        return raw.hex()

    return nonce
