"""Encode events canonically, chain their hashes, and check a stored chain. No I/O.

This page is the specification an independent verifier needs; nothing else is required to check
a store with ``sqlite3`` or ``psql`` and ``sha256``.

Record
    ``seq`` (1, 2, 3, … with no gaps), ``ts_ns`` (integer nanoseconds since the Unix epoch, UTC,
    from the injected clock when the event was appended), ``account`` (the stream the event
    belongs to: 1 to 128 printable characters, or ``""`` on records written before events
    carried accounts), ``type`` (1 to 128 printable characters), ``payload`` (the canonical JSON
    text of a JSON object, stored verbatim as TEXT) and ``hash`` (64 lowercase hex characters).
    All accounts share one chain: ``seq`` and the hash run across every account in append order.

Canonical payload text
    ``json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)`` where a finite ``Decimal`` becomes its ``str()`` (a JSON string, so money
    keeps every digit), a timezone-aware ``datetime`` becomes its ISO-8601 ``isoformat()`` text,
    and any other non-JSON value (a set, bytes, a naive datetime, NaN) is refused with the key
    that held it. Decoding the text gives the strings back, not the ``Decimal``: the stored text
    is the fact, and readers re-parse money from it. (``canonical_json`` writes most payloads
    with a faster encoder; its text is the same, byte for byte, or it is not used.)

Record bytes (encoding version 2, every record with an account)
    The UTF-8 encoding of the characters ``[2,`` then decimal ``seq``, ``,``, decimal ``ts_ns``,
    ``,``, ``json.dumps(account, ensure_ascii=False)``, ``,``,
    ``json.dumps(type, ensure_ascii=False)``, ``,``, the stored payload text verbatim, and ``]``.
    For example ``[2,1,1700000000000000000,"acct-1","order.submitted",{"qty":"0.5"}]``.

Record bytes (encoding version 1, legacy records whose account is ``""``)
    The same without the account: ``[1,<seq>,<ts_ns>,<json type>,<payload text>]``, e.g.
    ``[1,1,1700000000000000000,"order.submitted",{"qty":"0.5"}]``. Only records written before
    the ``account`` column existed have an empty account; the store refuses to append one, so a
    record's account alone says which version its bytes use, and a version number leads the
    bytes so the two can never be confused.

Hash
    ``hash_n = SHA-256(prev || record_bytes)`` where ``prev`` is the 32 raw bytes of the previous
    record's hash, and 32 zero bytes for seq 1. Version 1 and version 2 records chain into each
    other like any two records.

What the chain can and cannot show
    Editing any field of a record (its account too: blanking it switches the bytes to version 1,
    which changes them as surely), deleting a record, inserting one, or swapping two changes a
    recomputed hash at the first record touched, and ``verify_records`` names that seq. A bare
    hash chain cannot detect someone who rewrites a record *and every hash after it*, or who
    appends well-formed records at the end; that is why an operator can pin a head hash they
    wrote down elsewhere and pass it as ``expected_head``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from typing import Any

from aiswarm.store.canonical_json import to_canonical_json

__all__ = [
    "ENCODING_VERSION",
    "LEGACY_ENCODING_VERSION",
    "ZERO_HASH",
    "ChainReport",
    "ChainVerifier",
    "Row",
    "StoredEvent",
    "json_text",
    "record_bytes",
    "record_hash",
    "to_canonical_json",
    "verify_records",
]

ENCODING_VERSION = 2
LEGACY_ENCODING_VERSION = 1
ZERO_HASH = "0" * 64

# One stored record as a plain tuple, in StoredEvent's field order:
# seq, ts_ns, account, type, payload text, hash.
Row = tuple[int, int, str, str, str, str]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One record of the chain, exactly as stored; the fields are in record-bytes order.

    ``payload`` is decoded from ``payload_text`` on each access, so the event ``append`` returns
    equals the one ``replay`` yields later (a ``Decimal`` comes back as its string). Slotted and
    frozen because the store builds one per append on its hot path.
    """

    seq: int
    ts_ns: int
    account: str
    type: str
    payload_text: str
    hash: str

    @property
    def payload(self) -> dict[str, Any]:
        """Return the payload decoded from its stored JSON text (a new dict on each call)."""
        decoded: dict[str, Any] = json.loads(self.payload_text)
        return decoded


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What a walk over the chain found.

    ``checked`` counts the records that verified before the first bad one (all of them when
    ``ok``); ``head_hash`` is the hash of the last record that verified (``ZERO_HASH`` for an
    empty chain); ``reason`` says what is wrong at ``first_bad_seq``, or summarises a good chain.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
    head_hash: str


def json_text(text: str) -> str:
    """Return ``text`` as the JSON string record bytes hold (an account or a type)."""
    return json.dumps(text, ensure_ascii=False)


# A log holds a few dozen types and accounts; verify re-encodes them on every record.
_cached_json_text = lru_cache(maxsize=4096)(json_text)


def record_bytes(seq: int, ts_ns: int, account: str, event_type: str, payload_text: str) -> bytes:
    """Return the bytes hashed for one record: version 2, or version 1 when ``account`` is ''."""
    kind = _cached_json_text(event_type)
    if not account:
        return f"[{LEGACY_ENCODING_VERSION},{seq},{ts_ns},{kind},{payload_text}]".encode()
    stream = _cached_json_text(account)
    return f"[{ENCODING_VERSION},{seq},{ts_ns},{stream},{kind},{payload_text}]".encode()


def record_hash(
    prev_hash: str, seq: int, ts_ns: int, account: str, event_type: str, payload_text: str
) -> str:
    """Return the hex hash of a record chained after ``prev_hash`` (hex)."""
    digest = sha256(bytes.fromhex(prev_hash))
    digest.update(record_bytes(seq, ts_ns, account, event_type, payload_text))
    return digest.hexdigest()


class ChainVerifier:
    """Walk a chain page by page, remembering where it is, and stop at the first bad record.

    Feed rows ``(seq, ts_ns, account, type, payload_text, hash)`` in ascending seq order;
    ``report()`` says what was found. ``EventStore.verify`` feeds it one database page at a
    time, which is why this is a class and not only a function.
    """

    def __init__(self, start_prev: str = ZERO_HASH, start_seq: int = 1) -> None:
        self._prev = start_prev
        self._expected = start_seq
        self._checked = 0
        self._bad: tuple[int, str] | None = None
        self._seen: dict[str, int] = {}

    @property
    def failed(self) -> bool:
        """Return whether a bad record has been found (later rows are then ignored)."""
        return self._bad is not None

    def feed(self, rows: Iterable[Row], *, track: str = "") -> None:
        """Check ``rows`` against the chain so far; ``track`` is a hash whose seq to remember."""
        if self._bad is not None:
            return
        prev = bytes.fromhex(self._prev)
        expected = self._expected
        checked = 0
        try:
            for seq, ts_ns, account, event_type, payload_text, stored in rows:
                if seq != expected:
                    self._bad = (expected, _seq_problem(expected, seq))
                    break
                digest = sha256(prev)
                try:
                    digest.update(record_bytes(seq, ts_ns, account, event_type, payload_text))
                except UnicodeEncodeError:  # only a hand-edited row can hold such text
                    self._bad = (seq, f"seq {seq}: stored text is not valid Unicode")
                    break
                prev = digest.digest()
                recomputed = prev.hex()
                if stored != recomputed:
                    self._bad = (
                        seq,
                        f"seq {seq}: stored hash {stored} does not match recomputed {recomputed}",
                    )
                    break
                if track and recomputed == track:
                    self._seen[track] = seq
                expected += 1
                checked += 1
                self._prev = recomputed
        finally:
            self._expected = expected
            self._checked += checked

    def seq_of(self, hash_hex: str) -> int | None:
        """Return the seq whose hash was ``hash_hex`` if it was tracked and seen."""
        return self._seen.get(hash_hex)

    def report(self) -> ChainReport:
        """Return what the walk found so far."""
        if self._bad is not None:
            seq, reason = self._bad
            return ChainReport(False, self._checked, seq, reason, self._prev)
        last = self._expected - 1
        reason = f"{self._checked} records verified; head is seq {last}"
        return ChainReport(True, self._checked, None, reason, self._prev)


def _seq_problem(expected: int, found: int) -> str:
    """Describe a row whose seq is not the next one."""
    if found > expected:
        return f"seq {expected} is missing (next stored is {found})"
    return f"seq {expected}: found seq {found} again, out of order"


def verify_records(
    rows: Iterable[Row],
    start_prev: str = ZERO_HASH,
    start_seq: int = 1,
    expected_head: str | None = None,
) -> ChainReport:
    """Return a report on ``rows`` (seq, ts_ns, account, type, payload_text, hash) in seq order.

    ``start_prev``/``start_seq`` let a caller check a tail after a known-good prefix.
    ``expected_head`` is a head hash the operator pinned elsewhere: a good chain whose last hash
    differs is reported not ok, because only a pin can catch a rewritten or extended tail.
    """
    verifier = ChainVerifier(start_prev, start_seq)
    verifier.feed(rows, track=expected_head or "")
    return pin_report(verifier, expected_head)


def pin_report(verifier: ChainVerifier, expected_head: str | None) -> ChainReport:
    """Return the verifier's report, failed if the chain does not end at ``expected_head``."""
    report = verifier.report()
    if not report.ok or expected_head is None or report.head_hash == expected_head:
        return report
    pinned_at = verifier.seq_of(expected_head)
    if pinned_at is not None:
        reason = (
            f"the pinned head is seq {pinned_at}, but the chain goes on to a different head "
            f"{report.head_hash}; if the later records are genuine, pin the new head"
        )
        return ChainReport(False, report.checked, pinned_at + 1, reason, report.head_hash)
    reason = (
        f"pinned head {expected_head} is not in the chain (its head is {report.head_hash}, "
        f"{report.checked} records checked): records were rewritten, "
        "or the pin belongs to another store"
    )
    return ChainReport(False, report.checked, None, reason, report.head_hash)
