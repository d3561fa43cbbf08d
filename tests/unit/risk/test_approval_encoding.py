"""The canonical encoding: field texts, the signed bytes, storage, and the documented example."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.risk.approval import (
    Approval,
    ApprovalRefusal,
    ApprovalRejected,
    ApprovalSigner,
)
from aiswarm.risk.approval_encoding import SIGNED_FIELDS, order_fields
from aiswarm.risk.keyring import Ed25519KeySigner, HmacKeyring, load_ed25519_private_key
from aiswarm.types import ClientOrderId, OrderType, Symbol
from kit.builders import order_spec

DOC = Path(__file__).resolve().parents[3] / "docs" / "approvals.md"

# The worked example in docs/approvals.md; a change here must change the doc, and back.
EXAMPLE_NOW_NS = 1_704_067_200_000_000_000
EXAMPLE_TTL_NS = 5_000_000_000
EXAMPLE_NONCE = bytes(range(16))
EXAMPLE_HMAC_KEY_ID = "example-2024-01"
EXAMPLE_HMAC_KEY = b"aiswarm-approvals-example-key-32"
EXAMPLE_ED25519_KEY_ID = "example-ed25519"
EXAMPLE_ED25519_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
EXAMPLE_FIELD_LINES = (
    "cid-1\nmandate-1\nacct-1\nbinance\nBTC/USDT\nbuy\nlimit\n0.01\n50000\n\ngtc\nfalse\nfalse"
)
EXAMPLE_HMAC_MESSAGE = (
    "aiswarm-approval/1\nexample-2024-01\nhmac-sha256\n1704067200000000000\n"
    "1704067205000000000\n000102030405060708090a0b0c0d0e0f\n" + EXAMPLE_FIELD_LINES
).encode()
EXAMPLE_HMAC_SIGNATURE = "2446a827a11112c2ffdbec308c1c7678a7897c2a541d11b71bb6302056998606"
EXAMPLE_ED25519_PUBLIC_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
EXAMPLE_ED25519_SIGNATURE = (
    "02e0f9b37e725877f94ef99db68899e94c1183f987b12af592d990c422585678"
    "af3886ba04b0975dec1740d6dfaeda564cdb37e9c0b08ae7c97058e9bac1070e"
)


def _example_approval(signer: HmacKeyring | Ed25519KeySigner) -> Approval:
    inner = signer.signer() if isinstance(signer, HmacKeyring) else signer
    approval_signer = ApprovalSigner(
        inner, ttl_ns=EXAMPLE_TTL_NS, nonce_source=lambda: EXAMPLE_NONCE
    )
    return approval_signer.approve(order_spec(), EXAMPLE_NOW_NS).approval


def test_worked_example_when_signed_with_hmac_then_bytes_and_signature_match_doc() -> None:
    # Arrange
    keyring = HmacKeyring({EXAMPLE_HMAC_KEY_ID: EXAMPLE_HMAC_KEY}, EXAMPLE_HMAC_KEY_ID)

    # Act
    approval = _example_approval(keyring)

    # Assert
    assert approval.message() == EXAMPLE_HMAC_MESSAGE
    assert approval.signature == EXAMPLE_HMAC_SIGNATURE
    assert hmac.new(EXAMPLE_HMAC_KEY, EXAMPLE_HMAC_MESSAGE, hashlib.sha256).hexdigest() == (
        EXAMPLE_HMAC_SIGNATURE
    )


def test_worked_example_when_signed_with_ed25519_then_signature_matches_doc() -> None:
    # Arrange
    signer = Ed25519KeySigner(
        load_ed25519_private_key(bytes.fromhex(EXAMPLE_ED25519_SEED)), EXAMPLE_ED25519_KEY_ID
    )

    # Act
    approval = _example_approval(signer)

    # Assert
    assert approval.message() == EXAMPLE_HMAC_MESSAGE.replace(
        b"example-2024-01\nhmac-sha256", b"example-ed25519\ned25519"
    )
    assert approval.signature == EXAMPLE_ED25519_SIGNATURE
    assert signer.public_key().public_bytes_raw().hex() == EXAMPLE_ED25519_PUBLIC_KEY


def test_approvals_doc_when_read_then_shows_the_tested_example_verbatim() -> None:
    # Arrange
    text = DOC.read_text(encoding="utf-8")

    # Act
    quoted = [
        EXAMPLE_HMAC_MESSAGE.hex(),
        EXAMPLE_HMAC_SIGNATURE,
        EXAMPLE_HMAC_KEY.decode(),
        EXAMPLE_ED25519_SEED,
        EXAMPLE_ED25519_PUBLIC_KEY,
        EXAMPLE_ED25519_SIGNATURE,
        EXAMPLE_HMAC_MESSAGE.decode(),
        f"The same {len(EXAMPLE_HMAC_MESSAGE)} bytes in hex",
    ]

    # Assert
    assert [value for value in quoted if value not in text] == []


def _doc_verifier() -> Any:
    """Return the ``verify`` function of the doc's independent verifier, run as written."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## An independent verifier", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["verify"]


@pytest.mark.parametrize(
    ("spec_changes", "approval_changes", "now_offset_ns", "expected"),
    [
        pytest.param({}, {}, 0, None, id="valid"),
        pytest.param({"quantity": "0.010"}, {}, 0, None, id="other-spelling"),
        pytest.param({"quantity": "2"}, {}, 0, "FIELD_MISMATCH field quantity", id="quantity"),
        pytest.param({"reduce_only": True}, {}, 0, "FIELD_MISMATCH field reduce_only", id="flag"),
        pytest.param({}, {"nonce": "f" * 32}, 0, "BAD_SIGNATURE", id="nonce"),
        pytest.param({}, {"key_id": "other"}, 0, "UNKNOWN_KEY", id="key"),
        pytest.param({}, {}, EXAMPLE_TTL_NS + 1, "EXPIRED", id="expired"),
    ],
)
def test_doc_independent_verifier_when_run_on_example_then_agrees_with_ours(
    spec_changes: dict[str, object],
    approval_changes: dict[str, object],
    now_offset_ns: int,
    expected: str | None,
) -> None:
    # Arrange
    verify = _doc_verifier()
    keyring = HmacKeyring({EXAMPLE_HMAC_KEY_ID: EXAMPLE_HMAC_KEY}, EXAMPLE_HMAC_KEY_ID)
    spec = json.loads(order_spec().model_dump_json()) | spec_changes
    approval = _example_approval(keyring).to_dict() | approval_changes

    # Act
    outcome = verify(
        spec,
        approval,
        {EXAMPLE_HMAC_KEY_ID: EXAMPLE_HMAC_KEY},
        set(),
        EXAMPLE_NOW_NS + now_offset_ns,
        0,
    )

    # Assert
    assert outcome == expected


def test_order_fields_when_default_spec_then_canonical_texts_in_signed_order() -> None:
    # Act
    fields = order_fields(order_spec())

    # Assert
    assert dict(zip(SIGNED_FIELDS, fields, strict=True)) == {
        "client_order_id": "cid-1",
        "mandate_id": "mandate-1",
        "account": "acct-1",
        "venue": "binance",
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "limit",
        "quantity": "0.01",
        "limit_price": "50000",
        "stop_price": "",
        "time_in_force": "gtc",
        "reduce_only": "false",
        "post_only": "false",
    }


@pytest.mark.parametrize(
    ("spellings", "text"),
    [
        pytest.param(("1", "1.0", "1.00", "1E0", "0.1E1"), "1", id="one"),
        pytest.param(("1000", "1E+3", "1.000E3", "1000.000"), "1000", id="thousand"),
        pytest.param(("0.01", "0.010", "1E-2", "0.0100000"), "0.01", id="hundredth"),
        pytest.param(("0.00000001", "1E-8", "1.0E-8"), "0.00000001", id="tiny"),
        pytest.param(("50000.10", "50000.1", "5.00001E4"), "50000.1", id="price"),
    ],
)
def test_order_fields_when_decimal_spelled_differently_then_same_text(
    spellings: tuple[str, ...], text: str
) -> None:
    # Act
    texts = {order_fields(order_spec(quantity=Decimal(spelling)))[7] for spelling in spellings}

    # Assert
    assert texts == {text}


@given(
    st.decimals(min_value=Decimal("-1e30"), max_value=Decimal("1e30"), allow_nan=False),
    st.integers(min_value=0, max_value=12),
)
def test_decimal_text_when_trailing_zeros_added_then_same_text_and_exact_value(
    value: Decimal, extra_zeros: int
) -> None:
    # Arrange
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    padded = Decimal((sign, digits + (0,) * extra_zeros, exponent - extra_zeros))
    spec = order_spec(order_type=OrderType.MARKET, quantity=Decimal(1))

    # Act
    texts = [
        order_fields(spec.model_copy(update={"quantity": number}))[7] for number in (value, padded)
    ]

    # Assert
    assert texts[0] == texts[1]
    assert Decimal(texts[0]) == value
    assert "E" not in texts[0]
    assert "." not in texts[0] or not texts[0].endswith(("0", "."))


def test_order_fields_when_zero_then_text_is_zero() -> None:
    # Arrange
    spec = order_spec()

    # Act
    texts = [
        order_fields(spec.model_copy(update={"quantity": Decimal(zero)}))[7]
        for zero in ("0", "0.000", "-0", "0E-8", "-0.0")
    ]

    # Assert
    assert texts == ["0"] * 5


@pytest.mark.parametrize("bad", ["cid\n1", "cid\x1f1", "cid\r1", "cid\t1", "cid\u20281"])
def test_order_fields_when_text_has_framing_character_then_value_error(bad: str) -> None:
    # Arrange
    spec = order_spec(client_order_id=ClientOrderId(bad))

    # Act / Assert
    with pytest.raises(ValueError, match="field client_order_id="):
        order_fields(spec)


def test_signer_when_symbol_has_newline_then_refuses_to_sign() -> None:
    # Arrange
    signer = ApprovalSigner(HmacKeyring({"k": b"k" * 32}, "k").signer(), ttl_ns=1)

    # Act / Assert
    with pytest.raises(ValueError, match="field symbol="):
        signer.approve(order_spec(symbol=Symbol("BTC/USDT\nETH/USDT")), 0)


def test_order_fields_when_text_is_printable_unicode_then_kept_as_is() -> None:
    # Arrange
    spec = order_spec(symbol=Symbol("币安人生/USDT"))

    # Act
    fields = order_fields(spec)

    # Assert
    assert fields[4] == "币安人生/USDT"


def test_approval_when_stored_as_json_and_read_back_then_equal() -> None:
    # Arrange
    keyring = HmacKeyring({EXAMPLE_HMAC_KEY_ID: EXAMPLE_HMAC_KEY}, EXAMPLE_HMAC_KEY_ID)
    approval = _example_approval(keyring)

    # Act
    stored = json.dumps(approval.to_dict())
    restored = Approval.from_dict(json.loads(stored))

    # Assert
    assert restored == approval
    assert restored.message() == EXAMPLE_HMAC_MESSAGE


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param({"version": 2}, ApprovalRefusal.UNSUPPORTED_VERSION, id="version-2"),
        pytest.param({"version": True}, ApprovalRefusal.MALFORMED, id="version-bool"),
        pytest.param({"key_id": "a\nb"}, ApprovalRefusal.MALFORMED, id="key-id-newline"),
        pytest.param({"key_id": ""}, ApprovalRefusal.MALFORMED, id="key-id-empty"),
        pytest.param({"algorithm": "rsa"}, ApprovalRefusal.MALFORMED, id="algorithm"),
        pytest.param({"issued_at_ns": "1"}, ApprovalRefusal.MALFORMED, id="issued-text"),
        pytest.param({"expires_at_ns": 1.5}, ApprovalRefusal.MALFORMED, id="expires-float"),
        pytest.param({"nonce": "ABC"}, ApprovalRefusal.MALFORMED, id="nonce"),
        pytest.param({"nonce": "0" * 31 + "G"}, ApprovalRefusal.MALFORMED, id="nonce-not-hex"),
        pytest.param({"fields": ["x"] * 12}, ApprovalRefusal.MALFORMED, id="fields-count"),
        pytest.param({"fields": ["x\n"] * 13}, ApprovalRefusal.MALFORMED, id="fields-newline"),
        pytest.param({"fields": "x" * 13}, ApprovalRefusal.MALFORMED, id="fields-string"),
        pytest.param({"signature": "ABCD"}, ApprovalRefusal.MALFORMED, id="signature-case"),
        pytest.param({"signature": ""}, ApprovalRefusal.MALFORMED, id="signature-empty"),
        pytest.param({"extra": 1}, ApprovalRefusal.MALFORMED, id="unknown-key"),
    ],
)
def test_from_dict_when_shape_wrong_then_rejected_with_code(
    change: dict[str, object], code: ApprovalRefusal
) -> None:
    # Arrange
    keyring = HmacKeyring({EXAMPLE_HMAC_KEY_ID: EXAMPLE_HMAC_KEY}, EXAMPLE_HMAC_KEY_ID)
    data = _example_approval(keyring).to_dict() | change

    # Act
    with pytest.raises(ApprovalRejected) as caught:
        Approval.from_dict(data)

    # Assert
    assert caught.value.code is code


def test_from_dict_when_key_missing_then_malformed_naming_keys() -> None:
    # Arrange
    keyring = HmacKeyring({EXAMPLE_HMAC_KEY_ID: EXAMPLE_HMAC_KEY}, EXAMPLE_HMAC_KEY_ID)
    data = _example_approval(keyring).to_dict()
    del data["nonce"]

    # Act
    with pytest.raises(ApprovalRejected) as caught:
        Approval.from_dict(data)

    # Assert
    assert caught.value.code is ApprovalRefusal.MALFORMED
    assert "expected" in caught.value.detail


@given(key=st.binary(min_size=32, max_size=200), message=st.binary(max_size=600))
def test_keyring_hmac_when_computed_then_equals_standard_library_hmac(
    key: bytes, message: bytes
) -> None:
    # Arrange
    signer = HmacKeyring({"k": key}, "k").signer()

    # Act
    signature = signer.sign(message)

    # Assert
    assert signature == hmac.digest(key, message, "sha256")
