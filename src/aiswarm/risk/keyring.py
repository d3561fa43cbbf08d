"""Hold the keys that sign and verify approvals: an HMAC keyring, or Ed25519 key pairs.

HMAC-SHA256 (the default) uses one shared secret per key id. ``HmacKeyring`` signs with one key
and verifies with several, so a key can be rotated without refusing approvals already in
flight: add the new key, switch signing to it, wait out the old approvals' lifetime, then revoke
the old key. Whoever can verify an HMAC can also forge one.

Ed25519 (the option) separates the two: ``Ed25519KeySigner`` holds the private key on the risk
side, and ``Ed25519Verifier`` holds only public keys, so the executor side can check approvals
but never make one.

Every key id belongs to exactly one algorithm; an approval claiming another algorithm for it is
refused as BAD_SIGNATURE, so one algorithm's signature can never be checked as another's.
Secrets never appear in ``repr``. No I/O: keys arrive as bytes or key objects.

Hot path: HMAC verification is on the OMS's path for every order. ``hmac.digest`` sets up an
OpenSSL HMAC context per call (about 1.4 µs here); instead the keyring hashes the padded key
once per key (RFC 2104's inner and outer pads) and copies those SHA-256 states per message
(about 0.6 µs). The result is byte-for-byte HMAC-SHA256; a test checks it against ``hmac``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from aiswarm.errors import ConfigError
from aiswarm.risk.approval import Algorithm, ApprovalRefusal, ApprovalRejected

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = [
    "MIN_HMAC_KEY_BYTES",
    "Ed25519KeySigner",
    "Ed25519Verifier",
    "HmacKeyring",
    "KeyringError",
    "load_ed25519_private_key",
    "load_ed25519_public_key",
]

MIN_HMAC_KEY_BYTES: Final = 32
"""The shortest HMAC key accepted: SHA-256's output size (RFC 2104 advises no less)."""

_BLOCK_BYTES: Final = 64  # SHA-256's block size
_INNER_PAD: Final = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD: Final = bytes(byte ^ 0x5C for byte in range(256))
# Module constants: reading a member off the Enum class costs more than the check itself.
_HMAC_SHA256: Final = Algorithm.HMAC_SHA256
_ED25519: Final = Algorithm.ED25519


class KeyringError(ConfigError, ValueError):
    """A key or key id is unusable (too short, unknown, revoked, wrong type): fix the config."""


def _check_key_id(key_id: object) -> str:
    if not isinstance(key_id, str) or not key_id or not key_id.isprintable():
        raise KeyringError(
            f"key id {key_id!r} is not usable: a key id is non-empty printable text "
            "(no newlines or control characters), e.g. 'approvals-2024-06'"
        )
    return key_id


def _hmac_pads(key: bytes) -> tuple[_Hash, _Hash]:
    """Return SHA-256 states that have absorbed RFC 2104's inner and outer padded keys."""
    if len(key) > _BLOCK_BYTES:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK_BYTES, b"\0")
    return hashlib.sha256(block.translate(_INNER_PAD)), hashlib.sha256(block.translate(_OUTER_PAD))


def _hmac_sha256(pads: tuple[_Hash, _Hash], message: bytes) -> bytes:
    """Return HMAC-SHA256 of ``message`` under the key ``pads`` came from (as ``hmac.digest``)."""
    inner_pad, outer_pad = pads
    inner = inner_pad.copy()
    inner.update(message)
    outer = outer_pad.copy()
    outer.update(inner.digest())
    return outer.digest()


class _HmacSigner:
    """Signs with one key of an ``HmacKeyring``; made by ``HmacKeyring.signer()``."""

    __slots__ = ("_pads", "key_id")

    algorithm: Final = Algorithm.HMAC_SHA256

    def __init__(self, key_id: str, pads: tuple[_Hash, _Hash]) -> None:
        self.key_id = key_id
        self._pads = pads

    def sign(self, message: bytes) -> bytes:
        """Return the 32-byte HMAC-SHA256 of ``message``."""
        # _hmac_sha256, inlined: the risk engine signs every approved order.
        inner_pad, outer_pad = self._pads
        inner = inner_pad.copy()
        inner.update(message)
        outer = outer_pad.copy()
        outer.update(inner.digest())
        return outer.digest()

    def __repr__(self) -> str:
        return f"HmacSigner(key_id={self.key_id!r})"


class HmacKeyring:
    """HMAC-SHA256 keys by id: one signs, all that are not revoked verify. Immutable.

    ``keys`` maps key id to secret bytes (at least ``MIN_HMAC_KEY_BYTES``). ``revoked`` lists
    ids whose approvals are refused from now on, even if their secret is still listed.
    Raises KeyringError (a ConfigError and ValueError) for a short key, an unusable key id, or a
    signing key that is missing or revoked.
    """

    __slots__ = ("_pads", "_revoked", "_signing_key_id", "_source")

    def __init__(
        self,
        keys: Mapping[str, bytes],
        signing_key_id: str,
        revoked: Collection[str] = (),
    ) -> None:
        for key_id, key in keys.items():
            _check_key_id(key_id)
            if not isinstance(key, bytes) or len(key) < MIN_HMAC_KEY_BYTES:
                size = len(key) if isinstance(key, bytes) else type(key).__name__
                raise KeyringError(
                    f"HMAC key {key_id!r} is {size} bytes; it must be bytes, at least "
                    f"{MIN_HMAC_KEY_BYTES} long: generate one with secrets.token_bytes(32)"
                )
        if signing_key_id not in keys:
            raise KeyringError(
                f"signing key {signing_key_id!r} is not in the keyring (ids: {sorted(keys)}): "
                "add its secret or pick one of those ids"
            )
        if signing_key_id in revoked:
            raise KeyringError(
                f"signing key {signing_key_id!r} is revoked: sign with another key id"
            )
        self._source = dict(keys)
        self._pads = {key_id: _hmac_pads(key) for key_id, key in keys.items()}
        self._signing_key_id = signing_key_id
        self._revoked = frozenset(revoked)

    @property
    def signing_key_id(self) -> str:
        """The id of the key new approvals are signed with."""
        return self._signing_key_id

    @property
    def key_ids(self) -> frozenset[str]:
        """Every key id listed, revoked or not."""
        return frozenset(self._pads)

    @property
    def revoked(self) -> frozenset[str]:
        """The key ids whose approvals are refused."""
        return self._revoked

    def signer(self) -> _HmacSigner:
        """Return a signer for the signing key, for ``ApprovalSigner``."""
        return _HmacSigner(self._signing_key_id, self._pads[self._signing_key_id])

    def with_revoked(self, key_id: str) -> HmacKeyring:
        """Return a copy of this keyring that refuses ``key_id``'s approvals.

        Raises KeyringError when ``key_id`` is the signing key: build a keyring that signs with
        another key first (revoking it here would make every new approval fail).
        """
        return HmacKeyring(self._source, self._signing_key_id, self._revoked | {key_id})

    def verify_signature(
        self, key_id: str, algorithm: Algorithm, message: bytes, signature: bytes
    ) -> None:
        """Return if ``signature`` is ``key_id``'s HMAC of ``message``; else raise ApprovalRejected.

        Revocation is checked first, so a revoked key whose secret was already dropped still
        reports KEY_REVOKED rather than UNKNOWN_KEY.
        """
        if key_id in self._revoked:
            raise ApprovalRejected(ApprovalRefusal.KEY_REVOKED, f"key {key_id!r} is revoked")
        pads = self._pads.get(key_id)
        if pads is None:
            raise ApprovalRejected(
                ApprovalRefusal.UNKNOWN_KEY, f"key {key_id!r} is not in the keyring"
            )
        if algorithm != _HMAC_SHA256:
            raise ApprovalRejected(
                ApprovalRefusal.BAD_SIGNATURE,
                f"key {key_id!r} is {Algorithm.HMAC_SHA256}, the approval claims {algorithm}",
            )
        # _hmac_sha256, inlined: this is the OMS's hot path.
        inner_pad, outer_pad = pads
        inner = inner_pad.copy()
        inner.update(message)
        outer = outer_pad.copy()
        outer.update(inner.digest())
        if not hmac.compare_digest(outer.digest(), signature):
            raise ApprovalRejected(
                ApprovalRefusal.BAD_SIGNATURE, f"signature does not match key {key_id!r}"
            )

    def __repr__(self) -> str:
        return (
            f"HmacKeyring(key_ids={sorted(self._pads)}, signing_key_id="
            f"{self._signing_key_id!r}, revoked={sorted(self._revoked)})"
        )


class Ed25519KeySigner:
    """Sign approvals with an Ed25519 private key; it stays on the risk engine's side."""

    __slots__ = ("_private_key", "key_id")

    algorithm: Final = Algorithm.ED25519

    def __init__(self, private_key: Ed25519PrivateKey, key_id: str) -> None:
        if not isinstance(private_key, Ed25519PrivateKey):
            raise KeyringError(
                f"key {key_id!r} is a {type(private_key).__name__}, expected an Ed25519PrivateKey"
            )
        self.key_id = _check_key_id(key_id)
        self._private_key = private_key

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032)."""
        return self._private_key.sign(message)

    def public_key(self) -> Ed25519PublicKey:
        """Return the public key to give the verifying side."""
        return self._private_key.public_key()

    def __repr__(self) -> str:
        return f"Ed25519KeySigner(key_id={self.key_id!r})"


class Ed25519Verifier:
    """Verify Ed25519 approvals with public keys only, so this side can never sign. Immutable.

    Raises KeyringError for an unusable key id or a key that is not an Ed25519 public key.
    """

    __slots__ = ("_public_keys", "_revoked")

    def __init__(
        self, public_keys: Mapping[str, Ed25519PublicKey], revoked: Collection[str] = ()
    ) -> None:
        for key_id, key in public_keys.items():
            _check_key_id(key_id)
            if not isinstance(key, Ed25519PublicKey):
                raise KeyringError(
                    f"key {key_id!r} is a {type(key).__name__}, expected an Ed25519PublicKey"
                )
        self._public_keys = dict(public_keys)
        self._revoked = frozenset(revoked)

    @property
    def key_ids(self) -> frozenset[str]:
        """Every key id listed, revoked or not."""
        return frozenset(self._public_keys)

    @property
    def revoked(self) -> frozenset[str]:
        """The key ids whose approvals are refused."""
        return self._revoked

    def with_revoked(self, key_id: str) -> Ed25519Verifier:
        """Return a copy of this verifier that refuses ``key_id``'s approvals."""
        return Ed25519Verifier(self._public_keys, self._revoked | {key_id})

    def verify_signature(
        self, key_id: str, algorithm: Algorithm, message: bytes, signature: bytes
    ) -> None:
        """Return if ``signature`` is ``key_id``'s Ed25519 signature of ``message``; else raise.

        Verification handles no secret, so its timing reveals nothing an attacker lacks.
        """
        if key_id in self._revoked:
            raise ApprovalRejected(ApprovalRefusal.KEY_REVOKED, f"key {key_id!r} is revoked")
        public_key = self._public_keys.get(key_id)
        if public_key is None:
            raise ApprovalRejected(
                ApprovalRefusal.UNKNOWN_KEY, f"key {key_id!r} is not a known public key"
            )
        if algorithm != _ED25519:
            raise ApprovalRejected(
                ApprovalRefusal.BAD_SIGNATURE,
                f"key {key_id!r} is {Algorithm.ED25519}, the approval claims {algorithm}",
            )
        try:
            public_key.verify(signature, message)
        except InvalidSignature:
            raise ApprovalRejected(
                ApprovalRefusal.BAD_SIGNATURE, f"signature does not match key {key_id!r}"
            ) from None

    def __repr__(self) -> str:
        return (
            f"Ed25519Verifier(key_ids={sorted(self._public_keys)}, revoked={sorted(self._revoked)})"
        )


def load_ed25519_private_key(data: bytes) -> Ed25519PrivateKey:
    """Return the Ed25519 private key in ``data``: 32 raw seed bytes, or unencrypted PKCS#8 PEM.

    Raises KeyringError when ``data`` is neither, or holds another kind of key.
    """
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyringError(
            f"not an Ed25519 private key ({error}): pass 32 raw bytes or unencrypted PEM"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyringError(f"PEM holds a {type(key).__name__}, expected an Ed25519 private key")
    return key


def load_ed25519_public_key(data: bytes) -> Ed25519PublicKey:
    """Return the Ed25519 public key in ``data``: 32 raw bytes, or SubjectPublicKeyInfo PEM.

    Raises KeyringError when ``data`` is neither, or holds another kind of key.
    """
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    try:
        key = load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise KeyringError(
            f"not an Ed25519 public key ({error}): pass 32 raw bytes or PEM"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyringError(f"PEM holds a {type(key).__name__}, expected an Ed25519 public key")
    return key
