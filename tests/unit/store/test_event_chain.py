"""The chain's canonical encoding, its hash (versions 1 and 2), and what verify_records finds."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import pytest

from aiswarm.store import ZERO_HASH, StoredEvent, record_hash, to_canonical_json, verify_records
from aiswarm.store.event_chain import record_bytes

Row = tuple[int, int, str, str, str, str]

T0 = 1_700_000_000_000_000_000


def chain(count: int, legacy: int = 0) -> list[Row]:
    """Return ``count`` well-chained rows with varied accounts, types and payloads.

    The first ``legacy`` rows have account "" (written before accounts, encoding version 1).
    """
    rows: list[Row] = []
    prev = ZERO_HASH
    for seq in range(1, count + 1):
        account = "" if seq <= legacy else ("acct-a" if seq % 3 else "acct-b")
        kind = "order.submitted" if seq % 2 else "order.event"
        text = to_canonical_json({"n": seq, "qty": Decimal(seq) / 4})
        ts_ns = T0 + seq * 1_000
        prev = record_hash(prev, seq, ts_ns, account, kind, text)
        rows.append((seq, ts_ns, account, kind, text, prev))
    return rows


# --- canonical encoding -------------------------------------------------------------------


def test_canonical_json_when_decimal_then_exact_string() -> None:
    assert to_canonical_json({"px": Decimal("101.2500")}) == '{"px":"101.2500"}'


def test_canonical_json_when_keys_in_any_order_then_same_text() -> None:
    first = to_canonical_json({"b": 1, "a": {"y": 2, "x": [3, 4]}})
    second = to_canonical_json({"a": {"x": [3, 4], "y": 2}, "b": 1})
    assert first == second == '{"a":{"x":[3,4],"y":2},"b":1}'


def test_canonical_json_when_non_ascii_then_kept_verbatim() -> None:
    assert to_canonical_json({"note": "€ café"}) == '{"note":"€ café"}'


def test_canonical_json_when_aware_datetime_then_iso_text() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert to_canonical_json({"at": moment}) == '{"at":"2024-01-02T03:04:05+02:00"}'


def test_canonical_json_when_mapping_not_dict_then_encoded_as_object() -> None:
    nested = MappingProxyType({"b": 2, "a": 1})
    assert to_canonical_json(MappingProxyType({"m": nested})) == '{"m":{"a":1,"b":2}}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
def test_canonical_json_when_not_finite_then_refused_naming_key(bad: object) -> None:
    with pytest.raises(ValueError, match=r"key 'fill\.px'"):
        to_canonical_json({"fill": {"px": bad}})


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"tags": {1, 2}}, "tags"),
        ({"legs": [1, {"raw": b"\x00"}]}, r"legs\[1\]\.raw"),
        ({"at": datetime(2024, 1, 1)}, "at"),
    ],
)
def test_canonical_json_when_not_json_type_then_type_error_naming_key(
    payload: dict[str, object], path: str
) -> None:
    with pytest.raises(TypeError, match=rf"key '{path}'"):
        to_canonical_json(payload)


def test_canonical_json_when_not_a_mapping_then_refused() -> None:
    with pytest.raises(TypeError, match="must be a mapping"):
        to_canonical_json([1, 2])  # type: ignore[arg-type]


def test_canonical_json_when_lone_surrogate_then_refused() -> None:
    with pytest.raises(ValueError, match="not valid Unicode"):
        to_canonical_json({"s": "\ud800"})


# --- hash ----------------------------------------------------------------------------------


def test_record_hash_when_account_given_then_version_2_bytes_hand_computed() -> None:
    text = to_canonical_json({"qty": Decimal("0.5")})
    by_hand = hashlib.sha256(
        bytes(32) + b'[2,1,1700000000000000000,"acct-1","order.submitted",{"qty":"0.5"}]'
    ).hexdigest()
    assert record_hash(ZERO_HASH, 1, T0, "acct-1", "order.submitted", text) == by_hand


def test_record_hash_when_account_empty_then_legacy_version_1_bytes_hand_computed() -> None:
    text = to_canonical_json({"qty": Decimal("0.5")})
    by_hand = hashlib.sha256(
        bytes(32) + b'[1,1,1700000000000000000,"order.submitted",{"qty":"0.5"}]'
    ).hexdigest()
    assert record_hash(ZERO_HASH, 1, T0, "", "order.submitted", text) == by_hand


def test_record_hash_when_second_record_then_chains_raw_previous_digest() -> None:
    first = record_hash(ZERO_HASH, 1, T0, "", "a", "{}")
    by_hand = hashlib.sha256(
        bytes.fromhex(first) + '[2,2,7,"compte-é","é",{"k":"v"}]'.encode()
    ).hexdigest()
    assert record_hash(first, 2, 7, "compte-é", "é", '{"k":"v"}') == by_hand


def test_record_bytes_when_account_needs_escaping_then_json_string() -> None:
    assert record_bytes(3, 9, 'a"b', "t", "{}") == b'[2,3,9,"a\\"b","t",{}]'


def test_stored_event_payload_when_read_then_decoded_from_text() -> None:
    event = StoredEvent(1, T0, "acct-1", "order.event", '{"px":"1.5"}', ZERO_HASH)
    assert event.payload == {"px": "1.5"}


# --- verify_records ------------------------------------------------------------------------


def test_verify_records_when_untouched_then_ok_with_head() -> None:
    rows = chain(40)
    report = verify_records(rows)
    assert (report.ok, report.checked, report.first_bad_seq) == (True, 40, None)
    assert report.head_hash == rows[-1][5]


def test_verify_records_when_legacy_rows_then_v2_rows_then_one_chain_verifies() -> None:
    rows = chain(30, legacy=12)
    report = verify_records(rows)
    assert {row[2] for row in rows[:12]} == {""}
    assert (report.ok, report.checked) == (True, 30)


@pytest.mark.parametrize(
    ("seq", "account"),
    [
        (20, "acct-b"),  # moved to another account's stream
        (20, ""),  # blanked: the verifier then hashes version 1 bytes
        (5, "acct-a"),  # a legacy record claimed by an account
    ],
)
def test_verify_records_when_account_edited_then_fails_at_that_seq(seq: int, account: str) -> None:
    rows = chain(30, legacy=10)
    number, ts_ns, old, kind, text, stored = rows[seq - 1]
    assert old != account
    rows[seq - 1] = (number, ts_ns, account, kind, text, stored)
    report = verify_records(rows)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, seq, seq - 1)


def test_verify_records_when_empty_then_ok_with_zero_head() -> None:
    report = verify_records([])
    assert report.ok
    assert report.checked == 0
    assert report.head_hash == ZERO_HASH


def test_verify_records_when_payload_edited_then_fails_at_that_seq() -> None:
    rows = chain(40)
    seq, ts_ns, account, kind, _, stored = rows[16]
    rows[16] = (seq, ts_ns, account, kind, '{"n":17,"qty":"999"}', stored)
    report = verify_records(rows)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 17, 16)
    assert report.reason.startswith("seq 17: stored hash")
    assert report.head_hash == rows[15][5]


def test_verify_records_when_ts_edited_then_fails_at_that_seq() -> None:
    rows = chain(10)
    seq, ts_ns, account, kind, text, stored = rows[4]
    rows[4] = (seq, ts_ns + 1, account, kind, text, stored)
    assert verify_records(rows).first_bad_seq == 5


def test_verify_records_when_row_deleted_then_names_missing_seq() -> None:
    rows = chain(40)
    del rows[22]
    report = verify_records(rows)
    assert (report.ok, report.first_bad_seq) == (False, 23)
    assert report.reason == "seq 23 is missing (next stored is 24)"


def test_verify_records_when_rows_swapped_then_fails_at_lower_seq() -> None:
    rows = chain(20)
    low, high = rows[9], rows[10]
    rows[9] = (10, *high[1:5], low[5])
    rows[10] = (11, *low[1:5], high[5])
    assert verify_records(rows).first_bad_seq == 10


def test_verify_records_when_row_inserted_and_later_seqs_shifted_then_fails_there() -> None:
    rows = chain(40)
    shifted = [(row[0] + 1, *row[1:]) for row in rows[29:]]
    forged = (30, T0, "acct-a", "order.event", '{"n":30,"qty":"1000"}', rows[29][5])
    rows = [*rows[:29], forged, *shifted]
    assert verify_records(rows).first_bad_seq == 30


def test_verify_records_when_seq_repeated_then_fails_at_expected_seq() -> None:
    rows = chain(10)
    rows.insert(5, rows[4])
    report = verify_records(rows)
    assert report.first_bad_seq == 6
    assert "found seq 5 again" in report.reason


def test_verify_records_when_pinned_head_matches_then_ok() -> None:
    rows = chain(10)
    assert verify_records(rows, expected_head=rows[-1][5]).ok


def test_verify_records_when_chain_extended_past_pin_then_fails_after_pin() -> None:
    rows = chain(10)
    report = verify_records(rows, expected_head=rows[6][5])
    assert (report.ok, report.first_bad_seq) == (False, 8)
    assert "pinned head is seq 7" in report.reason


def test_verify_records_when_pin_not_in_chain_then_fails() -> None:
    rows = chain(10)
    report = verify_records(rows, expected_head="ab" * 32)
    assert not report.ok
    assert report.first_bad_seq is None
    assert "is not in the chain" in report.reason


def test_verify_records_when_started_after_known_prefix_then_checks_tail_only() -> None:
    rows = chain(10)
    report = verify_records(rows[5:], start_prev=rows[4][5], start_seq=6)
    assert report.ok
    assert report.checked == 5


def test_verify_records_when_text_not_unicode_then_fails_there() -> None:
    rows = chain(5)
    seq, ts_ns, account, kind, _, stored = rows[2]
    rows[2] = (seq, ts_ns, account, kind, '{"s":"\ud800"}', stored)
    report = verify_records(rows)
    assert report.first_bad_seq == 3
    assert "not valid Unicode" in report.reason


def test_canonical_json_when_payload_contains_itself_then_value_error() -> None:
    payload: dict[str, object] = {}
    payload["self"] = payload
    with pytest.raises(ValueError, match="cannot be stored"):
        to_canonical_json(payload)
