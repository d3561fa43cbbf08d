"""The signer's and verifier's shortcuts give exactly what the plain construction gives."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.risk.approval import (
    Algorithm,
    Approval,
    ApprovalSigner,
)
from aiswarm.risk.approval_encoding import canonical_texts, fields_match
from aiswarm.risk.keyring import HmacKeyring
from aiswarm.types import OrderType, Side, TimeInForce
from kit.builders import order_spec

NOW_NS = 1_704_067_200_000_000_000
SIGNER = ApprovalSigner(HmacKeyring({"k": b"k" * 32}, "k").signer(), ttl_ns=5_000_000_000)

decimals = st.sampled_from(["0.01", "0.010", "1E-2", "0.02", "2", "2.000", "50000", "5E+4"])


def test_approve_when_signed_then_approval_equals_one_built_by_its_constructor() -> None:
    # Act
    approval = SIGNER.approve(order_spec(), NOW_NS).approval
    rebuilt = Approval(**{f.name: getattr(approval, f.name) for f in dataclasses.fields(Approval)})

    # Assert
    assert type(approval) is Approval
    assert approval == rebuilt
    assert hash(approval) == hash(rebuilt)
    assert approval.algorithm is Algorithm.HMAC_SHA256


def test_approve_when_signed_then_approval_is_frozen() -> None:
    # Arrange
    approval = SIGNER.approve(order_spec(), NOW_NS).approval

    # Act / Assert
    with pytest.raises(dataclasses.FrozenInstanceError):
        approval.nonce = "0" * 32  # type: ignore[misc]


@given(
    signed_quantity=decimals,
    presented_quantity=decimals,
    side=st.sampled_from(list(Side)),
    reduce_only=st.booleans(),
    post_only=st.booleans(),
    tif=st.sampled_from(list(TimeInForce)),
)
def test_fields_match_when_true_then_canonical_texts_equal_and_true_when_spelled_the_same(
    signed_quantity: str,
    presented_quantity: str,
    side: Side,
    reduce_only: bool,
    post_only: bool,
    tif: TimeInForce,
) -> None:
    # Arrange
    post_only = post_only and tif is TimeInForce.GTC
    signed = canonical_texts(
        order_spec(quantity=Decimal(signed_quantity), reduce_only=reduce_only, post_only=post_only)
    )
    presented = order_spec(
        quantity=Decimal(presented_quantity),
        side=side,
        reduce_only=reduce_only,
        post_only=post_only,
        time_in_force=tif,
        order_type=OrderType.LIMIT,
    )

    # Act
    matched = fields_match(presented, signed)

    # Assert: never a match the canonical texts deny; always one when spelled canonically
    canonical_equal = canonical_texts(presented) == signed
    if matched:
        assert canonical_equal
    if canonical_equal and str(Decimal(presented_quantity)) == signed[7]:
        assert matched


def test_fields_match_when_value_of_wrong_type_then_not_matched() -> None:
    # Arrange: tampering past the frozen model with a float and an int flag
    spec = order_spec()
    signed = canonical_texts(spec)
    tampered = order_spec()
    object.__setattr__(tampered, "quantity", 0.01)
    flagged = order_spec()
    object.__setattr__(flagged, "reduce_only", 0)

    # Act / Assert
    assert fields_match(spec, signed)
    assert not fields_match(tampered, signed)
    assert not fields_match(flagged, signed)
