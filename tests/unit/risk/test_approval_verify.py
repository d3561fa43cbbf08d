"""Approvals: sign then verify, expiry and skew, unknown and revoked keys, rotation, Ed25519."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from aiswarm.errors import ApprovalError
from aiswarm.risk.approval import (
    Algorithm,
    ApprovalRefusal,
    ApprovalRejected,
    ApprovalSigner,
    Approved,
)
from aiswarm.risk.approval_verifier import ApprovalVerifier
from aiswarm.risk.keyring import Ed25519KeySigner, Ed25519Verifier, HmacKeyring
from aiswarm.types import OrderSpec
from kit.builders import order_spec

NOW_NS = 1_704_067_200_000_000_000
TTL_NS = 5_000_000_000
SKEW_NS = 250_000_000
OLD_KEY = b"o" * 32
NEW_KEY = b"n" * 32


def _keyring(signing: str = "old", revoked: tuple[str, ...] = ()) -> HmacKeyring:
    return HmacKeyring({"old": OLD_KEY, "new": NEW_KEY}, signing, revoked)


def _approve(keyring: HmacKeyring, spec: OrderSpec | None = None) -> Approved[OrderSpec]:
    signer = ApprovalSigner(keyring.signer(), ttl_ns=TTL_NS)
    return signer.approve(spec or order_spec(), NOW_NS)


def _refusal(verifier: ApprovalVerifier, approved: Approved[OrderSpec], now_ns: int) -> str:
    with pytest.raises(ApprovalRejected) as caught:
        verifier.verify(approved, now_ns)
    return str(caught.value)


def test_hmac_approval_when_verified_by_same_keyring_then_passes() -> None:
    # Arrange
    keyring = _keyring()
    approved = _approve(keyring)
    verifier = ApprovalVerifier(keyring, max_skew_ns=SKEW_NS)

    # Act
    verifier.verify(approved, NOW_NS + 1)

    # Assert
    assert approved.approval.algorithm is Algorithm.HMAC_SHA256
    assert approved.approval.key_id == "old"
    assert len(bytes.fromhex(approved.approval.signature)) == 32


def test_approve_when_called_then_approval_binds_spec_times_and_fresh_nonce() -> None:
    # Arrange
    signer = ApprovalSigner(_keyring().signer(), ttl_ns=TTL_NS)
    spec = order_spec()

    # Act
    first = signer.approve(spec, NOW_NS)
    second = signer.approve(spec, NOW_NS)

    # Assert
    assert first.item is spec
    assert first.approval.issued_at_ns == NOW_NS
    assert first.approval.expires_at_ns == NOW_NS + TTL_NS
    assert len(first.approval.nonce) == 32
    assert first.approval.nonce != second.approval.nonce


def test_ed25519_approval_when_verified_with_public_key_only_then_passes() -> None:
    # Arrange
    private_key = Ed25519PrivateKey.generate()
    signer = ApprovalSigner(Ed25519KeySigner(private_key, "ed-1"), ttl_ns=TTL_NS)
    verifier = ApprovalVerifier(
        Ed25519Verifier({"ed-1": private_key.public_key()}), max_skew_ns=SKEW_NS
    )

    # Act
    approved = signer.approve(order_spec(), NOW_NS)
    verifier.verify(approved, NOW_NS)

    # Assert
    assert approved.approval.algorithm is Algorithm.ED25519
    assert len(bytes.fromhex(approved.approval.signature)) == 64


def test_ed25519_verifier_when_holding_public_keys_then_has_nothing_to_sign_with() -> None:
    # Arrange
    verifier = Ed25519Verifier({"ed-1": Ed25519PrivateKey.generate().public_key()})

    # Act
    held = [getattr(verifier, name) for name in verifier.__slots__]

    # Assert: the executor side holds public keys and revocations, no private key, no signer.
    assert not hasattr(verifier, "sign")
    assert not any(isinstance(value, Ed25519PrivateKey) for value in held)


def test_ed25519_approval_when_signed_by_another_private_key_then_bad_signature() -> None:
    # Arrange
    impostor = ApprovalSigner(Ed25519KeySigner(Ed25519PrivateKey.generate(), "ed-1"), ttl_ns=TTL_NS)
    genuine_public = Ed25519PrivateKey.generate().public_key()
    verifier = ApprovalVerifier(Ed25519Verifier({"ed-1": genuine_public}), max_skew_ns=0)

    # Act
    text = _refusal(verifier, impostor.approve(order_spec(), NOW_NS), NOW_NS)

    # Assert
    assert text.startswith(ApprovalRefusal.BAD_SIGNATURE)


def test_hmac_approval_when_presented_to_ed25519_verifier_then_refused() -> None:
    # Arrange: the Ed25519 side knows a public key under the HMAC key's id.
    approved = _approve(_keyring())
    verifier = ApprovalVerifier(
        Ed25519Verifier({"old": Ed25519PrivateKey.generate().public_key()}), max_skew_ns=0
    )

    # Act
    text = _refusal(verifier, approved, NOW_NS)

    # Assert
    assert text.startswith(ApprovalRefusal.BAD_SIGNATURE)
    assert "approval claims hmac-sha256" in text


def test_hmac_approval_when_key_id_unknown_to_ed25519_verifier_then_unknown_key() -> None:
    # Arrange
    approved = _approve(_keyring())
    verifier = ApprovalVerifier(
        Ed25519Verifier({"ed-1": Ed25519PrivateKey.generate().public_key()}), max_skew_ns=0
    )

    # Act
    text = _refusal(verifier, approved, NOW_NS)

    # Assert
    assert text.startswith(ApprovalRefusal.UNKNOWN_KEY)


def test_ed25519_approval_when_presented_to_hmac_keyring_then_bad_signature() -> None:
    # Arrange: an HMAC keyring with a secret under the Ed25519 key's id.
    signer = ApprovalSigner(Ed25519KeySigner(Ed25519PrivateKey.generate(), "old"), ttl_ns=TTL_NS)
    verifier = ApprovalVerifier(_keyring(), max_skew_ns=0)

    # Act
    text = _refusal(verifier, signer.approve(order_spec(), NOW_NS), NOW_NS)

    # Assert
    assert text.startswith(ApprovalRefusal.BAD_SIGNATURE)
    assert "approval claims ed25519" in text


@pytest.mark.parametrize(
    ("offset_ns", "skew_ns", "passes"),
    [
        pytest.param(TTL_NS, 0, True, id="at-expiry"),
        pytest.param(TTL_NS + 1, 0, False, id="one-ns-past-expiry-no-skew"),
        pytest.param(TTL_NS + SKEW_NS, SKEW_NS, True, id="within-skew"),
        pytest.param(TTL_NS + SKEW_NS + 1, SKEW_NS, False, id="past-skew"),
    ],
)
def test_verify_when_time_passes_expiry_then_expired_unless_within_skew(
    offset_ns: int, skew_ns: int, passes: bool
) -> None:
    # Arrange
    keyring = _keyring()
    approved = _approve(keyring)
    verifier = ApprovalVerifier(keyring, max_skew_ns=skew_ns)

    # Act
    if passes:
        verifier.verify(approved, NOW_NS + offset_ns)
        return
    text = _refusal(verifier, approved, NOW_NS + offset_ns)

    # Assert
    assert text.startswith(ApprovalRefusal.EXPIRED)
    assert f"expires_at_ns={NOW_NS + TTL_NS}" in text


@pytest.mark.parametrize(
    ("now_offset_ns", "skew_ns", "passes"),
    [
        pytest.param(-SKEW_NS, SKEW_NS, True, id="verifier-behind-within-skew"),
        pytest.param(-SKEW_NS - 1, SKEW_NS, False, id="verifier-behind-past-skew"),
        pytest.param(-1, 0, False, id="verifier-behind-no-skew"),
    ],
)
def test_verify_when_issued_after_now_then_issued_in_future_unless_within_skew(
    now_offset_ns: int, skew_ns: int, passes: bool
) -> None:
    # Arrange
    keyring = _keyring()
    approved = _approve(keyring)
    verifier = ApprovalVerifier(keyring, max_skew_ns=skew_ns)

    # Act
    if passes:
        verifier.verify(approved, NOW_NS + now_offset_ns)
        return
    text = _refusal(verifier, approved, NOW_NS + now_offset_ns)

    # Assert
    assert text.startswith(ApprovalRefusal.ISSUED_IN_FUTURE)


def test_is_expired_when_asked_then_compares_with_expiry_plus_skew() -> None:
    # Arrange
    approval = _approve(_keyring()).approval

    # Act
    answers = (
        approval.is_expired(NOW_NS + TTL_NS),
        approval.is_expired(NOW_NS + TTL_NS + 1),
        approval.is_expired(NOW_NS + TTL_NS + 1, skew_ns=1),
    )

    # Assert
    assert answers == (False, True, False)


def test_verify_when_key_unknown_then_unknown_key() -> None:
    # Arrange
    approved = _approve(HmacKeyring({"other": b"x" * 32}, "other"))
    verifier = ApprovalVerifier(_keyring(), max_skew_ns=0)

    # Act
    text = _refusal(verifier, approved, NOW_NS)

    # Assert
    assert text == "UNKNOWN_KEY key 'other' is not in the keyring"


def test_verify_when_key_revoked_then_key_revoked() -> None:
    # Arrange
    approved = _approve(_keyring(signing="old"))
    verifier = ApprovalVerifier(_keyring(signing="new", revoked=("old",)), max_skew_ns=0)

    # Act
    text = _refusal(verifier, approved, NOW_NS)

    # Assert
    assert text == "KEY_REVOKED key 'old' is revoked"


def test_verify_when_revoked_key_secret_already_dropped_then_still_key_revoked() -> None:
    # Arrange
    approved = _approve(_keyring(signing="old"))
    verifier = ApprovalVerifier(HmacKeyring({"new": NEW_KEY}, "new", ("old",)), max_skew_ns=0)

    # Act
    text = _refusal(verifier, approved, NOW_NS)

    # Assert
    assert text.startswith(ApprovalRefusal.KEY_REVOKED)


def test_rotation_when_signing_switches_to_new_key_then_old_approvals_pass_until_revoked() -> None:
    # Arrange: approvals signed before the switch are still in flight.
    before_rotation = _approve(_keyring(signing="old"))
    rotated = _keyring(signing="new")
    after_rotation = _approve(rotated)
    verifier = ApprovalVerifier(rotated, max_skew_ns=0)

    # Act: the overlap window, then the old key is revoked.
    verifier.verify(before_rotation, NOW_NS)
    verifier.verify(after_rotation, NOW_NS)
    revoked_verifier = ApprovalVerifier(rotated.with_revoked("old"), max_skew_ns=0)
    revoked_verifier.verify(after_rotation, NOW_NS)
    text = _refusal(revoked_verifier, before_rotation, NOW_NS)

    # Assert
    assert after_rotation.approval.key_id == "new"
    assert text.startswith(ApprovalRefusal.KEY_REVOKED)


def test_ed25519_verifier_when_key_revoked_then_key_revoked() -> None:
    # Arrange
    private_key = Ed25519PrivateKey.generate()
    signer = ApprovalSigner(Ed25519KeySigner(private_key, "ed-1"), ttl_ns=TTL_NS)
    verifier = Ed25519Verifier({"ed-1": private_key.public_key()}).with_revoked("ed-1")

    # Act
    text = _refusal(
        ApprovalVerifier(verifier, max_skew_ns=0), signer.approve(order_spec(), NOW_NS), NOW_NS
    )

    # Assert
    assert text.startswith(ApprovalRefusal.KEY_REVOKED)


def test_verify_when_spec_spelled_with_other_exponent_then_passes() -> None:
    # Arrange: 0.010 and 1E-2 are the same quantity as the signed 0.01.
    keyring = _keyring()
    approved = _approve(keyring, order_spec(quantity=Decimal("0.010")))
    forged = _forge(order_spec(quantity=Decimal("1E-2")), approved)
    verifier = ApprovalVerifier(keyring, max_skew_ns=0)

    # Act
    verifier.verify(forged, NOW_NS)

    # Assert
    assert approved.approval.fields[7] == "0.01"


def test_approved_when_built_directly_then_type_error() -> None:
    # Arrange
    approval = _approve(_keyring()).approval

    # Act
    with pytest.raises(TypeError) as caught:
        Approved(order_spec(), approval)

    # Assert
    assert "only by the risk engine" in str(caught.value)


def test_approved_when_built_with_wrong_token_then_type_error() -> None:
    # Arrange
    approval = _approve(_keyring()).approval

    # Act / Assert
    with pytest.raises(TypeError, match=r"ApprovalSigner\.approve"):
        Approved(order_spec(), approval, object())


def test_approved_when_assigned_or_deleted_then_refused() -> None:
    # Arrange
    approved = _approve(_keyring())

    # Act / Assert
    with pytest.raises(AttributeError, match="read-only"):
        approved.item = order_spec(quantity=Decimal("9"))
    with pytest.raises(AttributeError, match="read-only"):
        del approved.approval


def test_approved_when_copied_or_pickled_then_refused() -> None:
    # Arrange
    approved = _approve(_keyring())

    # Act / Assert
    with pytest.raises(TypeError, match="to_dict"):
        copy.copy(approved)
    with pytest.raises(TypeError, match="to_dict"):
        pickle.dumps(approved)


def test_verify_when_given_bare_spec_then_malformed() -> None:
    # Arrange
    verifier = ApprovalVerifier(_keyring(), max_skew_ns=0)

    # Act
    with pytest.raises(ApprovalRejected) as caught:
        verifier.verify(order_spec(), NOW_NS)  # type: ignore[arg-type]

    # Assert
    assert caught.value.code is ApprovalRefusal.MALFORMED
    assert "got OrderSpec" in caught.value.detail


def test_approval_rejected_when_raised_then_is_approval_error_with_code_and_detail() -> None:
    # Arrange
    error = ApprovalRejected(ApprovalRefusal.EXPIRED, "expires_at_ns=1 now_ns=2 skew_ns=0")

    # Act
    restored = pickle.loads(pickle.dumps(error))

    # Assert
    assert isinstance(error, ApprovalError)
    assert str(error) == "EXPIRED expires_at_ns=1 now_ns=2 skew_ns=0"
    assert (restored.code, restored.detail) == (error.code, error.detail)


@pytest.mark.parametrize("ttl_ns", [0, -1])
def test_signer_when_ttl_not_positive_then_value_error(ttl_ns: int) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="ttl_ns"):
        ApprovalSigner(_keyring().signer(), ttl_ns=ttl_ns)


def test_signer_when_nonce_source_returns_wrong_length_then_value_error() -> None:
    # Arrange
    signer = ApprovalSigner(_keyring().signer(), ttl_ns=TTL_NS, nonce_source=lambda: b"\0" * 8)

    # Act / Assert
    with pytest.raises(ValueError, match="8 bytes; expected 16"):
        signer.approve(order_spec(), NOW_NS)


def test_verifier_when_skew_negative_then_value_error() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="max_skew_ns"):
        ApprovalVerifier(_keyring(), max_skew_ns=-1)


def _forge(item: OrderSpec, approved: Approved[OrderSpec]) -> Approved[OrderSpec]:
    """Build an Approved around another spec the way hostile code would: past the token."""
    forged: Approved[OrderSpec] = object.__new__(Approved)
    object.__setattr__(forged, "item", item)
    object.__setattr__(forged, "approval", approved.approval)
    return forged
