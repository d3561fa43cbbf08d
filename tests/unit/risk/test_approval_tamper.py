"""The tamper matrix: change a signed order field or an approval attribute after approval.

Tampering is done the way hostile or buggy code would: past the frozen models and past the
``Approved`` token with ``object.__setattr__`` and ``object.__new__``. The OMS-side verifier must
still refuse, naming the field (the order changed) or the signature (the approval changed).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.risk.approval import (
    Algorithm,
    Approval,
    ApprovalRefusal,
    ApprovalRejected,
    ApprovalSigner,
    Approved,
)
from aiswarm.risk.approval_encoding import SIGNED_FIELDS
from aiswarm.risk.approval_verifier import ApprovalVerifier
from aiswarm.risk.keyring import HmacKeyring
from aiswarm.types import OrderSpec, OrderType, Side, TimeInForce
from kit.builders import order_spec

NOW_NS = 1_704_067_200_000_000_000
TTL_NS = 5_000_000_000
KEYRING = HmacKeyring({"k1": b"1" * 32, "k2": b"2" * 32}, "k1")
SIGNER = ApprovalSigner(KEYRING.signer(), ttl_ns=TTL_NS)
VERIFIER = ApprovalVerifier(KEYRING, max_skew_ns=0)

# field -> (a different value, its canonical text); the spec is order_spec()'s limit buy.
SPEC_TAMPERS: dict[str, tuple[Any, str]] = {
    "client_order_id": ("cid-2", "cid-2"),
    "mandate_id": ("mandate-2", "mandate-2"),
    "account": ("acct-2", "acct-2"),
    "venue": ("kraken", "kraken"),
    "symbol": ("ETH/USDT", "ETH/USDT"),
    "side": (Side.SELL, "sell"),
    "order_type": (OrderType.MARKET, "market"),
    "quantity": (Decimal("0.02"), "0.02"),
    "limit_price": (Decimal("60000.00"), "60000"),
    "stop_price": (Decimal("49000"), "49000"),
    "time_in_force": (TimeInForce.IOC, "ioc"),
    "reduce_only": (True, "true"),
    "post_only": (True, "true"),
}


def _forge(item: OrderSpec, approval: Approval) -> Approved[OrderSpec]:
    """Return an Approved built without the risk engine's token."""
    forged: Approved[OrderSpec] = object.__new__(Approved)
    object.__setattr__(forged, "item", item)
    object.__setattr__(forged, "approval", approval)
    return forged


def _refusal(approved: Approved[OrderSpec]) -> ApprovalRejected:
    with pytest.raises(ApprovalRejected) as caught:
        VERIFIER.verify(approved, NOW_NS)
    return caught.value


def test_tamper_matrix_covers_every_signed_field() -> None:
    # Assert
    assert tuple(SPEC_TAMPERS) == SIGNED_FIELDS


@pytest.mark.parametrize("field", SIGNED_FIELDS)
def test_verify_when_signed_spec_field_changed_then_field_mismatch_names_it(field: str) -> None:
    # Arrange
    spec = order_spec()
    approved = SIGNER.approve(spec, NOW_NS)
    value, text = SPEC_TAMPERS[field]
    signed_text = approved.approval.fields[SIGNED_FIELDS.index(field)]
    tampered = _forge(spec.model_copy(update={field: value}), approved.approval)

    # Act
    error = _refusal(tampered)

    # Assert
    assert error.code is ApprovalRefusal.FIELD_MISMATCH
    assert error.detail == f"field {field}: signed={signed_text} presented={text}"


def test_verify_when_approved_spec_mutated_in_place_then_field_mismatch() -> None:
    # Arrange
    approved = SIGNER.approve(order_spec(), NOW_NS)
    object.__setattr__(approved.item, "quantity", Decimal("2"))

    # Act
    error = _refusal(approved)

    # Assert
    assert str(error) == "FIELD_MISMATCH field quantity: signed=0.01 presented=2"


def test_verify_when_several_fields_changed_then_names_first_in_signed_order() -> None:
    # Arrange
    approved = SIGNER.approve(order_spec(), NOW_NS)
    tampered_spec = order_spec(side=Side.SELL, quantity=Decimal("5"))

    # Act
    error = _refusal(_forge(tampered_spec, approved.approval))

    # Assert
    assert error.detail == "field side: signed=buy presented=sell"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"version": 2}, ApprovalRefusal.UNSUPPORTED_VERSION, id="version"),
        pytest.param({"key_id": "k9"}, ApprovalRefusal.UNKNOWN_KEY, id="key_id-unknown"),
        pytest.param({"key_id": "k2"}, ApprovalRefusal.BAD_SIGNATURE, id="key_id-other-known"),
        pytest.param({"algorithm": Algorithm.ED25519}, ApprovalRefusal.BAD_SIGNATURE, id="algo"),
        pytest.param({"issued_at_ns": NOW_NS - 1}, ApprovalRefusal.BAD_SIGNATURE, id="issued"),
        pytest.param(
            {"expires_at_ns": NOW_NS + 10 * TTL_NS}, ApprovalRefusal.BAD_SIGNATURE, id="expires"
        ),
        pytest.param(
            {"expires_at_ns": float(NOW_NS + TTL_NS)}, ApprovalRefusal.BAD_SIGNATURE, id="float"
        ),
        pytest.param({"nonce": "f" * 32}, ApprovalRefusal.BAD_SIGNATURE, id="nonce"),
        pytest.param({"signature": "00" * 32}, ApprovalRefusal.BAD_SIGNATURE, id="signature"),
        pytest.param({"signature": "00" * 16}, ApprovalRefusal.BAD_SIGNATURE, id="sig-short"),
        pytest.param({"signature": "zz"}, ApprovalRefusal.MALFORMED, id="signature-not-hex"),
        pytest.param({"fields": ("cid-1",)}, ApprovalRefusal.MALFORMED, id="fields-count"),
    ],
)
def test_verify_when_approval_attribute_changed_then_refused_with_code(
    changes: dict[str, Any], code: ApprovalRefusal
) -> None:
    # Arrange
    approved = SIGNER.approve(order_spec(), NOW_NS)
    tampered = dataclasses.replace(approved.approval, **changes)

    # Act
    error = _refusal(_forge(approved.item, tampered))

    # Assert
    assert error.code is code


@pytest.mark.parametrize("field", SIGNED_FIELDS)
def test_verify_when_signed_field_text_changed_in_approval_then_bad_signature(field: str) -> None:
    # Arrange
    approved = SIGNER.approve(order_spec(), NOW_NS)
    fields = list(approved.approval.fields)
    fields[SIGNED_FIELDS.index(field)] = SPEC_TAMPERS[field][1]
    tampered = dataclasses.replace(approved.approval, fields=tuple(fields))

    # Act
    error = _refusal(_forge(approved.item, tampered))

    # Assert
    assert error.code is ApprovalRefusal.BAD_SIGNATURE


def test_verify_when_spec_and_signed_fields_changed_together_then_bad_signature() -> None:
    # Arrange: the attacker rewrites the quantity on both sides so they agree again.
    approved = SIGNER.approve(order_spec(), NOW_NS)
    fields = list(approved.approval.fields)
    fields[SIGNED_FIELDS.index("quantity")] = "100"
    approval = dataclasses.replace(approved.approval, fields=tuple(fields))
    spec = order_spec(quantity=Decimal("100"))

    # Act
    error = _refusal(_forge(spec, approval))

    # Assert
    assert error.code is ApprovalRefusal.BAD_SIGNATURE


def test_verify_when_newline_smuggled_across_fields_then_bad_signature() -> None:
    # Arrange: move text across a line break so the joined lines might read the same.
    approved = SIGNER.approve(order_spec(), NOW_NS)
    fields = list(approved.approval.fields)
    fields[0] = fields[0] + "\n" + fields[1]
    fields[1] = ""
    approval = dataclasses.replace(approved.approval, fields=tuple(fields))

    # Act
    error = _refusal(_forge(approved.item, approval))

    # Assert
    assert error.code is ApprovalRefusal.BAD_SIGNATURE


def test_verify_when_spec_field_has_wrong_type_then_malformed() -> None:
    # Arrange
    approved = SIGNER.approve(order_spec(), NOW_NS)
    object.__setattr__(approved.item, "reduce_only", "yes")

    # Act
    error = _refusal(approved)

    # Assert
    assert error.code is ApprovalRefusal.MALFORMED


_MUTATIONS: dict[str, Any] = {
    "client_order_id": lambda spec: spec.client_order_id + "x",
    "mandate_id": lambda spec: spec.mandate_id + "x",
    "account": lambda spec: spec.account + "x",
    "venue": lambda spec: spec.venue + "x",
    "symbol": lambda spec: spec.symbol + "x",
    "side": lambda spec: spec.side.opposite,
    "order_type": lambda spec: next(t for t in OrderType if t is not spec.order_type),
    "quantity": lambda spec: spec.quantity + Decimal("0.00001"),
    "limit_price": lambda spec: (spec.limit_price or Decimal(0)) + Decimal("0.01"),
    "stop_price": lambda spec: (spec.stop_price or Decimal(0)) + Decimal("0.01"),
    "time_in_force": lambda spec: next(t for t in TimeInForce if t is not spec.time_in_force),
    "reduce_only": lambda spec: not spec.reduce_only,
    "post_only": lambda spec: not spec.post_only,
}


@st.composite
def _specs(draw: st.DrawFn) -> OrderSpec:
    order_type = draw(st.sampled_from(OrderType))
    price = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
    post_only = order_type is OrderType.LIMIT and draw(st.booleans())
    return order_spec(
        client_order_id=draw(st.text(st.characters(categories=["L", "N", "P"]), max_size=20)),
        side=draw(st.sampled_from(Side)),
        order_type=order_type,
        quantity=draw(
            st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("10000"), places=5)
        ),
        limit_price=draw(price) if order_type.needs_limit_price else None,
        stop_price=draw(price) if order_type.needs_stop_price else None,
        time_in_force=TimeInForce.GTC if post_only else draw(st.sampled_from(TimeInForce)),
        reduce_only=draw(st.booleans()),
        post_only=post_only,
    )


@given(spec=_specs(), field=st.sampled_from(SIGNED_FIELDS))
def test_any_spec_when_approved_then_verifies_and_any_single_field_change_is_refused(
    spec: OrderSpec, field: str
) -> None:
    # Arrange
    approved = SIGNER.approve(spec, NOW_NS)
    tampered = spec.model_copy(update={field: _MUTATIONS[field](spec)})

    # Act
    VERIFIER.verify(approved, NOW_NS)
    with pytest.raises(ApprovalRejected) as caught:
        VERIFIER.verify(_forge(tampered, approved.approval), NOW_NS)

    # Assert
    assert caught.value.code is ApprovalRefusal.FIELD_MISMATCH
    assert caught.value.detail.startswith(f"field {field}: ")


def test_verify_when_approval_replaced_by_other_object_then_malformed() -> None:
    # Arrange
    approved = SIGNER.approve(order_spec(), NOW_NS)
    forged = _forge(approved.item, approved.approval)
    object.__setattr__(forged, "approval", approved.approval.to_dict())

    # Act
    error = _refusal(forged)

    # Assert
    assert error.code is ApprovalRefusal.MALFORMED
