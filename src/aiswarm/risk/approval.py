"""Sign every economically relevant field of an order, and verify it before anything executes.

The risk engine holds an ``ApprovalSigner``; it turns an ``OrderSpec`` into ``Approved[OrderSpec]``,
the only type the OMS accepts. The OMS holds an ``ApprovalVerifier``; it re-derives the canonical
text of each signed field from the spec it was handed and checks it, the key, the signature and
the clock before the order may go further. The nonce is checked by the OMS against its
``NonceLedger`` after ``verify`` passes (see ``nonce_ledger.py``).

``Approved`` can only be built with a module-private token that ``ApprovalSigner`` holds, so an
unapproved order does not type-check at the OMS and cannot be built by accident. Python cannot
stop determined code (``object.__new__`` and ``object.__setattr__`` reach past any guard); that
is what the signature is for. The type stops mistakes, the signature stops tampering.

The canonical encoding is specified byte by byte in docs/approvals.md, with a worked example
that tests/unit/risk/test_approval_encoding.py keeps honest.

Hot path: signing and verifying run for every order, so ``Approval`` is a slotted frozen
dataclass rather than a pydantic model, field texts are read straight from the model's values
in one call (no dumping), the verifier compares plain ``str()`` texts before normalising any
Decimal, the signer builds ``Approval`` through a same-layout draft instead of the frozen
dataclass ``__init__`` (half the cost), and nonces come from a pool (``nonce_pool``).
No I/O, no clock: callers pass ``now_ns``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter, itemgetter
from typing import Final, Generic, NoReturn, Protocol, TypeGuard, TypeVar

from aiswarm.errors import ApprovalError
from aiswarm.risk.nonce_pool import NONCE_BYTES, next_nonce
from aiswarm.types import OrderSpec

__all__ = [
    "MESSAGE_HEADER",
    "SIGNED_FIELDS",
    "Algorithm",
    "Approval",
    "ApprovalRefusal",
    "ApprovalRejected",
    "ApprovalSigner",
    "ApprovalVerifier",
    "Approved",
    "Signer",
    "Verifier",
    "order_fields",
]

T = TypeVar("T")

APPROVAL_VERSION: Final = 1
MESSAGE_HEADER: Final = "aiswarm-approval/1"
"""The first line of every signed message; it changes whenever the encoding does."""

SIGNED_FIELDS: Final[tuple[str, ...]] = (
    "client_order_id",
    "mandate_id",
    "account",
    "venue",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "limit_price",
    "stop_price",
    "time_in_force",
    "reduce_only",
    "post_only",
)
"""The ``OrderSpec`` fields an approval signs, in the order they are encoded."""

_FIELD_COUNT: Final = len(SIGNED_FIELDS)
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


def _decimal_text(value: Decimal) -> str:
    """Return ``value`` as plain fixed-point text with no exponent and no trailing zeros.

    Equal numbers give equal text whatever their exponent: ``1.0``, ``1.00`` and ``1E0`` are all
    ``"1"``; ``1E+3`` is ``"1000"``; zero is ``"0"``. No context precision is involved, so
    nothing is rounded.
    """
    if value.__class__ is not Decimal:
        raise TypeError(f"expected a Decimal, got {value!r} ({type(value).__name__})")
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    if text[-1] == "0" and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _bool_text(name: str, value: object) -> str:
    """Return ``"true"``/``"false"`` for a bool; raise ValueError naming ``name`` otherwise."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise ValueError(f"{name}={value!r} ({type(value).__name__}): expected a boolean")


_SIGNED_VALUES: Final = itemgetter(*SIGNED_FIELDS)
"""Read every signed field from a model's ``__dict__`` in one C call."""


def _canonical_texts(spec: OrderSpec) -> tuple[str, ...]:
    """Return the canonical text of each signed field, without the printable check.

    Reads the model's ``__dict__`` (where pydantic keeps field values) in one call to save a
    little on every order; ``object.__setattr__`` tampering lands there too, so nothing is
    missed. Raises TypeError, ValueError or KeyError for a value of the wrong type.
    """
    (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        side,
        order_type,
        quantity,
        limit_price,
        stop_price,
        time_in_force,
        reduce_only,
        post_only,
    ) = _SIGNED_VALUES(spec.__dict__)
    return (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        str(side),
        str(order_type),
        _decimal_text(quantity),
        "" if limit_price is None else _decimal_text(limit_price),
        "" if stop_price is None else _decimal_text(stop_price),
        str(time_in_force),
        # Spelled out for the two real booleans; anything else goes to the refusing helper.
        "false" if reduce_only is False else _bool_text("reduce_only", reduce_only),
        "false" if post_only is False else _bool_text("post_only", post_only),
    )


def _fields_match(spec: OrderSpec, signed: tuple[str, ...]) -> bool:
    """Return True only if every signed field of ``spec`` has the value that was signed.

    The verifier's hot path. Ids compare as they are, as in ``_canonical_texts``, and so do
    enums (a ``StrEnum`` member equals its value; ``str()`` of one is that value); a Decimal
    compares by ``str()``, which gives back its exact value, so equal text means an equal
    number, and ``_decimal_text`` (normalising) is not needed in the usual case.

    False means "not shown equal", not "different": the caller then compares the canonical
    texts, which decides (``0.010`` against a signed ``0.01``), names the field, or refuses a
    value of the wrong type.
    """
    (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        side,
        order_type,
        quantity,
        limit_price,
        stop_price,
        time_in_force,
        reduce_only,
        post_only,
    ) = _SIGNED_VALUES(spec.__dict__)
    if quantity.__class__ is not Decimal:
        return False
    # A None in the tuple (a price or flag of the wrong type) never equals a signed text.
    return (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        side,
        order_type,
        str(quantity),
        ""
        if limit_price is None
        else str(limit_price)
        if limit_price.__class__ is Decimal
        else None,
        "" if stop_price is None else str(stop_price) if stop_price.__class__ is Decimal else None,
        time_in_force,
        "false" if reduce_only is False else "true" if reduce_only is True else None,
        "false" if post_only is False else "true" if post_only is True else None,
    ) == signed


def order_fields(spec: OrderSpec) -> tuple[str, ...]:
    """Return the canonical text of each signed field of ``spec``, in ``SIGNED_FIELDS`` order.

    Decimals are plain fixed-point without trailing zeros (``"0.01"``, ``"50000"``), None is
    ``""``, booleans are ``"true"``/``"false"`` and enums their value. Raises ValueError when a
    text field holds a character that is not printable (a newline, a unit separator, any other
    control character or non-space whitespace): such a value could blur the framing of the
    signed message, and no venue takes it anyway.
    """
    texts = _canonical_texts(spec)
    # One join and one C-level scan: the cheapest check of all thirteen texts at once.
    if not "".join(texts).isprintable():
        _refuse_unprintable(texts)
    return texts


def _refuse_unprintable(texts: tuple[str, ...]) -> NoReturn:
    """Raise ValueError naming the first field whose text is not printable."""
    name, text = next(
        (n, t) for n, t in zip(SIGNED_FIELDS, texts, strict=True) if not t.isprintable()
    )
    raise ValueError(
        f"field {name}={text!r} holds a character that is not printable; signed fields "
        "must be printable text (no newlines or control characters): fix the value"
    )


def _message(
    key_id: str,
    algorithm: str,
    issued_at_ns: int,
    expires_at_ns: int,
    nonce: str,
    fields: tuple[str, ...],
) -> bytes:
    """Return the exact bytes that are signed (docs/approvals.md, "Canonical message").

    Nineteen lines joined by LF: the header, five approval lines, then the thirteen field texts
    by position. A tampered float time formats as ``1.7e+18``, never as the integer it replaced.
    """
    return (
        f"{MESSAGE_HEADER}\n{key_id}\n{algorithm}\n{issued_at_ns}\n{expires_at_ns}\n{nonce}\n"
        + "\n".join(fields)
    ).encode()


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
        return _message(
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
        if not isinstance(fields, list | tuple) or len(fields) != _FIELD_COUNT:
            _malformed(f"fields={fields!r}, expected a list of {_FIELD_COUNT} texts")
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
        # Lines 1-3 of every message this signer makes (see _message); built once.
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
        # _message(), with lines 1-3 prebuilt; the encoding test checks the bytes.
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
            if len(signed) != _FIELD_COUNT:
                raise ApprovalRejected(
                    ApprovalRefusal.MALFORMED,
                    f"approval has {len(signed)} fields, expected {_FIELD_COUNT}: "
                    f"{', '.join(SIGNED_FIELDS)}",
                )
            # _message(), inlined: this is the OMS's hot path.
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
            if _fields_match(item, signed):
                return
            presented = _canonical_texts(item)
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
        ApprovalRefusal.MALFORMED, f"fields={signed!r}: expected a tuple of {_FIELD_COUNT} texts"
    )
