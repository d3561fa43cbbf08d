"""Keyrings: weak or missing keys refused at startup, secrets never shown, keys loaded safely."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from aiswarm.errors import ConfigError
from aiswarm.risk.approval import Algorithm
from aiswarm.risk.keyring import (
    Ed25519KeySigner,
    Ed25519Verifier,
    HmacKeyring,
    KeyringError,
    load_ed25519_private_key,
    load_ed25519_public_key,
)

SECRET = b"s" * 32


def test_hmac_keyring_when_key_shorter_than_32_bytes_then_refused_naming_key_id() -> None:
    # Act
    with pytest.raises(KeyringError) as caught:
        HmacKeyring({"good": SECRET, "weak-2024": b"s" * 31}, "good")

    # Assert
    assert "'weak-2024' is 31 bytes" in str(caught.value)
    assert isinstance(caught.value, ConfigError)
    assert isinstance(caught.value, ValueError)


def test_hmac_keyring_when_key_is_text_not_bytes_then_refused() -> None:
    # Act / Assert
    with pytest.raises(KeyringError, match="'k' is str"):
        HmacKeyring({"k": "s" * 40}, "k")  # type: ignore[dict-item]


def test_hmac_keyring_when_signing_key_missing_then_refused() -> None:
    # Act / Assert
    with pytest.raises(KeyringError, match="signing key 'new' is not in the keyring"):
        HmacKeyring({"old": SECRET}, "new")


def test_hmac_keyring_when_signing_key_revoked_then_refused() -> None:
    # Act / Assert
    with pytest.raises(KeyringError, match="'old' is revoked"):
        HmacKeyring({"old": SECRET}, "old", revoked=("old",))


@pytest.mark.parametrize("key_id", ["", "a\nb", "a\x1fb"])
def test_hmac_keyring_when_key_id_not_printable_text_then_refused(key_id: str) -> None:
    # Act / Assert
    with pytest.raises(KeyringError, match="key id"):
        HmacKeyring({key_id: SECRET}, key_id)


def test_with_revoked_when_called_then_returns_new_keyring_and_leaves_original() -> None:
    # Arrange
    keyring = HmacKeyring({"old": SECRET, "new": b"n" * 32}, "new")

    # Act
    revoked = keyring.with_revoked("old")

    # Assert
    assert revoked.revoked == frozenset({"old"})
    assert keyring.revoked == frozenset()
    assert revoked.key_ids == keyring.key_ids == frozenset({"old", "new"})


def test_with_revoked_when_revoking_signing_key_then_refused() -> None:
    # Arrange
    keyring = HmacKeyring({"old": SECRET}, "old")

    # Act / Assert
    with pytest.raises(KeyringError, match="sign with another key id"):
        keyring.with_revoked("old")


def test_keyring_and_signer_when_shown_then_secret_never_appears() -> None:
    # Arrange
    secret = b"very-secret-approval-key-0123456789"
    keyring = HmacKeyring({"k1": secret}, "k1")

    # Act
    shown = repr(keyring) + repr(keyring.signer()) + str(keyring)

    # Assert
    assert "very-secret" not in shown
    assert secret.hex() not in shown
    assert "k1" in shown


def test_hmac_signer_when_asked_then_reports_signing_key_and_algorithm() -> None:
    # Arrange
    keyring = HmacKeyring({"old": SECRET, "new": b"n" * 32}, "new")

    # Act
    signer = keyring.signer()

    # Assert
    assert (signer.key_id, signer.algorithm) == ("new", Algorithm.HMAC_SHA256)
    assert keyring.signing_key_id == "new"


def test_ed25519_key_signer_when_given_other_key_type_then_refused() -> None:
    # Act / Assert
    with pytest.raises(KeyringError, match="expected an Ed25519PrivateKey"):
        Ed25519KeySigner(generate_private_key(SECP256R1()), "ec")  # type: ignore[arg-type]


def test_ed25519_verifier_when_given_private_key_then_refused() -> None:
    # Act / Assert
    with pytest.raises(KeyringError, match="expected an Ed25519PublicKey"):
        Ed25519Verifier({"ed": Ed25519PrivateKey.generate()})  # type: ignore[dict-item]


def test_load_ed25519_keys_when_raw_or_pem_then_same_key_pair() -> None:
    # Arrange
    private_key = Ed25519PrivateKey.generate()
    raw_private = private_key.private_bytes_raw()
    pem_private = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_key = private_key.public_key()
    raw_public = public_key.public_bytes_raw()
    pem_public = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    # Act
    loaded = [load_ed25519_private_key(raw_private), load_ed25519_private_key(pem_private)]
    loaded_public = [load_ed25519_public_key(raw_public), load_ed25519_public_key(pem_public)]

    # Assert
    assert {key.private_bytes_raw() for key in loaded} == {raw_private}
    assert {key.public_bytes_raw() for key in loaded_public} == {raw_public}


def test_load_ed25519_keys_when_pem_holds_other_key_type_then_refused() -> None:
    # Arrange
    ec_key = generate_private_key(SECP256R1())
    pem_private = ec_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    pem_public = ec_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    # Act / Assert
    with pytest.raises(KeyringError, match="expected an Ed25519 private key"):
        load_ed25519_private_key(pem_private)
    with pytest.raises(KeyringError, match="expected an Ed25519 public key"):
        load_ed25519_public_key(pem_public)


@pytest.mark.parametrize("data", [b"", b"not a key", b"x" * 31])
def test_load_ed25519_keys_when_garbage_then_refused(data: bytes) -> None:
    # Act / Assert
    with pytest.raises(KeyringError):
        load_ed25519_private_key(data)
    with pytest.raises(KeyringError):
        load_ed25519_public_key(data)
