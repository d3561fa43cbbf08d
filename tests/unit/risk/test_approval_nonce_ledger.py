"""The nonce ledger: a spent nonce is refused, and a ledger rebuilt from the store remembers."""

from __future__ import annotations

import pytest

from aiswarm.risk.approval import ApprovalRefusal, ApprovalRejected, ApprovalSigner
from aiswarm.risk.keyring import HmacKeyring
from aiswarm.risk.nonce_ledger import NonceLedger
from kit.builders import order_spec

NONCE = "000102030405060708090a0b0c0d0e0f"


def test_mark_used_when_nonce_new_then_recorded() -> None:
    # Arrange
    ledger = NonceLedger()

    # Act
    ledger.mark_used(NONCE)

    # Assert
    assert ledger.is_used(NONCE)
    assert NONCE in ledger
    assert len(ledger) == 1


def test_mark_used_when_nonce_already_used_then_nonce_reused() -> None:
    # Arrange
    ledger = NonceLedger()
    ledger.mark_used(NONCE)

    # Act
    with pytest.raises(ApprovalRejected) as caught:
        ledger.mark_used(NONCE)

    # Assert
    assert caught.value.code is ApprovalRefusal.NONCE_REUSED
    assert NONCE in caught.value.detail
    assert len(ledger) == 1


def test_replayed_approval_when_its_nonce_was_spent_then_refused() -> None:
    # Arrange: the OMS spends the nonce of the first submission.
    signer = ApprovalSigner(HmacKeyring({"k": b"k" * 32}, "k").signer(), ttl_ns=10**9)
    approved = signer.approve(order_spec(), 0)
    ledger = NonceLedger()
    ledger.mark_used(approved.approval.nonce)

    # Act: the same approval arrives again.
    with pytest.raises(ApprovalRejected) as caught:
        ledger.mark_used(approved.approval.nonce)

    # Assert
    assert caught.value.code is ApprovalRefusal.NONCE_REUSED


def test_from_nonces_when_rebuilt_after_restart_then_remembers_spent_nonces() -> None:
    # Arrange: the nonces an event store replay yields.
    stored = ["a" * 32, "b" * 32, "a" * 32]

    # Act
    ledger = NonceLedger.from_nonces(stored)

    # Assert
    assert len(ledger) == 2
    assert ledger.is_used("a" * 32)
    assert not ledger.is_used("c" * 32)
    with pytest.raises(ApprovalRejected, match="NONCE_REUSED"):
        ledger.mark_used("b" * 32)


def test_is_used_when_asked_then_does_not_record() -> None:
    # Arrange
    ledger = NonceLedger()

    # Act
    first = ledger.is_used(NONCE)

    # Assert
    assert first is False
    assert len(ledger) == 0
    ledger.mark_used(NONCE)
