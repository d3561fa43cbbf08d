"""Turn the approval secret into the signing keys, and record an Ed25519 public key in the log.

Keys come in generations (1, 2, ...; see ``approval_rotation``): generation 1 uses the secret's
bytes as they are, generation N >= 2 the 32 bytes HKDF-SHA256(secret, salt: none, info:
``aiswarm-approval-key/N``) gives (RFC 5869). So one configured secret yields every key, a
restart rebuilds them all, and no key's secret is ever written anywhere.

HMAC-SHA256 (the default) signs with the generation's bytes under key id ``approval-N``
(``approval-1`` for the first); both the risk engine and the OMS hold them. Ed25519 signs with
a private key: the generation's bytes when they are PEM, else the seed
SHA-256(``aiswarm-ed25519-seed/1`` + those bytes).
Its key id is ``ed25519-`` and the first 16 hex digits of the public key, so a new key always
has a new id, and the OMS receives only the public key.

In Ed25519 mode the account's stream records the public key (``approval.key``) before the first
approval it signs: the log alone then lets anyone verify every approval (docs/approvals.md).
Each key is recorded once: a restart with the same key records nothing, a rotated key is
recorded beside the old one, and a key id already recorded with another public key stops the
start rather than leave the log ambiguous.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from aiswarm.errors import ConfigError
from aiswarm.execution import EventJournal
from aiswarm.risk import (
    Algorithm,
    Ed25519KeySigner,
    Ed25519Verifier,
    HmacKeyring,
    load_ed25519_private_key,
)
from aiswarm.risk.approval import Signer
from aiswarm.risk.approval_verifier import Verifier
from aiswarm.types import EventType

__all__ = [
    "APPROVAL_KEY",
    "HMAC_KEY_ID",
    "SigningKeys",
    "generation_secret",
    "key_check",
    "record_public_key",
    "signing_keys",
]

APPROVAL_KEY = EventType.APPROVAL_KEY
HMAC_KEY_ID = "approval-1"
"""The key id of the first generation's HMAC key."""
_HKDF_INFO = "aiswarm-approval-key/"

_CHECK_TAG = b"aiswarm-key-check"
_ED25519_SEED_TAG = b"aiswarm-ed25519-seed/1"
_PEM_START = b"-----BEGIN"
_KEY_ID_HEX_DIGITS = 16


@dataclass(frozen=True, slots=True)
class SigningKeys:
    """The risk engine's signer, the OMS's verifier, and the public key others verify with.

    ``public_key`` is the raw 32-byte Ed25519 public key, or None for HMAC (which has none).
    """

    signer: Signer
    verifier: Verifier
    public_key: bytes | None

    def public_record(self) -> dict[str, str] | None:
        """Return the ``approval.key`` payload of an Ed25519 key (None for HMAC)."""
        if self.public_key is None:
            return None
        return {
            "key_id": self.signer.key_id,
            "algorithm": str(self.signer.algorithm),
            "public_key": self.public_key.hex(),
        }


def generation_secret(secret: bytes, generation: int) -> bytes:
    """Return generation ``generation``'s key material: the secret itself for 1, else HKDF."""
    if generation < 1:
        raise ValueError(f"generation={generation}: key generations count from 1")
    if generation == 1:
        return secret
    info = f"{_HKDF_INFO}{generation}".encode("ascii")
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(secret)


def key_check(secret: bytes, generation: int) -> str:
    """Return generation ``generation``'s key-check value: 16 hex digits that tell keys apart.

    HMAC-SHA256(the generation's key material, ``aiswarm-key-check``) cut to 8 bytes: recorded
    beside each rotation so a different approval secret is caught, it reveals nothing usable
    about the key (a one-way function of it, and too short to verify a guess offline cheaply
    against a 256-bit secret).
    """
    material = generation_secret(secret, generation)
    return hmac.new(material, _CHECK_TAG, sha256).digest()[:8].hex()


def signing_keys(secret: bytes, algorithm: Algorithm, generation: int = 1) -> SigningKeys:
    """Return the signer, verifier and public key of ``generation`` of ``secret``'s keys.

    ``secret`` is the approval secret's bytes (``config.secret_bytes``). Raises ``KeyringError``
    (a ``ConfigError``) for an HMAC secret under 32 bytes or PEM that is not an unencrypted
    Ed25519 private key.
    """
    secret = generation_secret(secret, generation)
    if algorithm is Algorithm.HMAC_SHA256:
        key_id = HMAC_KEY_ID if generation == 1 else f"approval-{generation}"
        keyring = HmacKeyring({key_id: secret}, key_id)
        return SigningKeys(keyring.signer(), keyring, None)
    if secret.startswith(_PEM_START):
        private = load_ed25519_private_key(secret)
    else:
        private = load_ed25519_private_key(sha256(_ED25519_SEED_TAG + secret).digest())
    public = private.public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = f"ed25519-{raw.hex()[:_KEY_ID_HEX_DIGITS]}"
    signer = Ed25519KeySigner(private, key_id)
    return SigningKeys(signer, Ed25519Verifier({key_id: public}), raw)


async def record_public_key(
    journal: EventJournal, records: Sequence[tuple[str, Mapping[str, Any]]], keys: SigningKeys
) -> None:
    """Append ``approval.key`` for ``keys`` unless ``records`` (the stream so far) hold it.

    Raises ``ConfigError`` when the key id is recorded with another public key.
    """
    record = keys.public_record()
    if record is None:
        return
    for event_type, payload in records:
        if event_type != APPROVAL_KEY or payload.get("key_id") != record["key_id"]:
            continue
        if payload.get("public_key") == record["public_key"]:
            return
        raise ConfigError(
            f"approval key id {record['key_id']} is recorded with public key "
            f"{payload.get('public_key')}, but the approval secret gives {record['public_key']}; "
            "one key id must name one key: use another approval secret"
        )
    await journal.append(APPROVAL_KEY, record)
