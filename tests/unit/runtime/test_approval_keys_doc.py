"""The approval key a secret gives, as docs/approvals.md ("From the secret to the key") says.

The example values are computed here from the doc's rule with the standard library and
``cryptography`` and compared with what the runtime derives; the doc quotes them verbatim.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from aiswarm.errors import ConfigError
from aiswarm.risk import Algorithm
from aiswarm.runtime.approval_keys import HMAC_KEY_ID, signing_keys

DOC = Path(__file__).resolve().parents[3] / "docs" / "approvals.md"

EXAMPLE_SECRET = b"aiswarm-approvals-example-key-32"
EXAMPLE_SEED = "4f99a98e68a2863e0c47ed89bf224f47b9af7412781c9baef418ea7d07a19821"
EXAMPLE_PUBLIC_KEY = "4727c62c165d2a9e179082905304cefae0f5abcf069de27933e6fede5c86decf"
EXAMPLE_KEY_ID = "ed25519-4727c62c165d2a9e"


def _raw_public(private: Ed25519PrivateKey) -> str:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def test_ed25519_when_secret_not_pem_then_seed_is_sha256_of_tag_and_secret() -> None:
    # Arrange: the doc's rule, by hand
    seed = hashlib.sha256(b"aiswarm-ed25519-seed/1" + EXAMPLE_SECRET).digest()
    by_hand = Ed25519PrivateKey.from_private_bytes(seed)

    # Act
    keys = signing_keys(EXAMPLE_SECRET, Algorithm.ED25519)

    # Assert
    assert seed.hex() == EXAMPLE_SEED
    assert _raw_public(by_hand) == EXAMPLE_PUBLIC_KEY
    assert keys.public_record() == {
        "key_id": EXAMPLE_KEY_ID,
        "algorithm": "ed25519",
        "public_key": EXAMPLE_PUBLIC_KEY,
    }
    assert keys.signer.sign(b"m") == by_hand.sign(b"m")


def test_ed25519_when_secret_is_pem_then_that_private_key_signs() -> None:
    # Arrange
    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    # Act
    keys = signing_keys(pem, Algorithm.ED25519)

    # Assert
    assert keys.public_key is not None
    assert keys.public_key.hex() == _raw_public(private)
    assert keys.signer.key_id == f"ed25519-{_raw_public(private)[:16]}"


def test_ed25519_when_pem_holds_no_ed25519_key_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ConfigError, match="not an Ed25519 private key"):
        signing_keys(
            b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
            Algorithm.ED25519,
        )


def test_hmac_when_secret_given_then_key_is_the_secret_bytes_under_approval_1() -> None:
    # Act
    keys = signing_keys(EXAMPLE_SECRET, Algorithm.HMAC_SHA256)

    # Assert
    assert (keys.signer.key_id, HMAC_KEY_ID) == ("approval-1", "approval-1")
    assert keys.signer.sign(b"m") == hmac.new(EXAMPLE_SECRET, b"m", hashlib.sha256).digest()
    assert keys.public_record() is None


def test_approvals_doc_when_read_then_quotes_the_tested_key_example() -> None:
    # Act
    text = DOC.read_text(encoding="utf-8")

    # Assert
    quoted = [EXAMPLE_SECRET.decode(), EXAMPLE_SEED, EXAMPLE_PUBLIC_KEY, EXAMPLE_KEY_ID]
    assert [value for value in quoted if value not in text] == []
    assert "SHA-256(`aiswarm-ed25519-seed/1` ‖ secret bytes)" in text
