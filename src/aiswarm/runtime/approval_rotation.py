"""Rotate the approval keys while running: a new key id signs at once, the old one retires later.

Generation 1 is the key the approval secret gives (``approval_keys``); each rotation adds the
next generation, derived from the same secret with HKDF, so nothing secret is ever stored and
a restart can rebuild every key. The ``approval-keys`` stream holds the history:

* ``approval_key.rotated`` {key_id, generation, algorithm, public_key, by, reason}: appended
  first; then the new key signs every approval from that instant, and every older key that is
  not retired still verifies.
* ``approval_key.retired`` {key_id, generation, by}: once an older key's last approval has
  expired (the approval lifetime plus the clock skew allowed, counted on the engine's clock
  from when this process learned of the rotation), its id is refused (``KEY_REVOKED``).

Fail closed: an id is either in the keyring or refused; a restart rebuilds the keyring from the
records (an unretired older key gets a fresh grace period, never less). A rotation recorded by
another process (``aiswarm keys rotate-approval`` on a shared PostgreSQL store) is taken in at
the next step (``sync``). In Ed25519 mode each account's stream records the new public key
(``approval.key``) before the key signs there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from aiswarm.errors import ConfigError
from aiswarm.execution import EventJournal
from aiswarm.risk import (
    Algorithm,
    ApprovalSigner,
    Ed25519Verifier,
    HmacKeyring,
    RiskEngine,
)
from aiswarm.risk.approval_verifier import Verifier
from aiswarm.risk.keyring import load_ed25519_public_key
from aiswarm.runtime.access_keys import RUNTIME_PRINCIPAL
from aiswarm.runtime.approval_keys import (
    APPROVAL_KEY,
    SigningKeys,
    generation_secret,
    key_check,
    record_public_key,
    signing_keys,
)
from aiswarm.store import EventStore, StoredEvent
from aiswarm.types import EventType

__all__ = ["APPROVAL_KEYS_STREAM", "ApprovalKeyRotation", "CurrentVerifier"]

APPROVAL_KEYS_STREAM = "approval-keys"
_ROTATED = EventType.APPROVAL_KEY_ROTATED
_RETIRED = EventType.APPROVAL_KEY_RETIRED
_RUNTIME = RUNTIME_PRINCIPAL


class CurrentVerifier:
    """A ``Verifier`` that checks with the keyring of the moment (swapped on rotation)."""

    __slots__ = ("current",)

    def __init__(self, current: Verifier) -> None:
        self.current = current

    def verify_signature(
        self, key_id: str, algorithm: Algorithm, message: bytes, signature: bytes
    ) -> None:
        """Verify with the current keyring (see ``Verifier``)."""
        self.current.verify_signature(key_id, algorithm, message, signature)


@dataclass(frozen=True, slots=True)
class _Generation:
    number: int
    keys: SigningKeys

    @property
    def key_id(self) -> str:
        return self.keys.signer.key_id


class ApprovalKeyRotation:
    """Every generation of approval keys, which one signs, and which ids are retired.

    The signers (one ``RiskEngine`` per account) and the verifier (``verifier``, shared by every
    OMS) follow it; see the module docstring for the records and how they come back.
    """

    def __init__(
        self,
        secret: bytes,
        algorithm: Algorithm,
        *,
        approval_ttl_ns: int,
        max_skew_ns: int,
        store: EventStore | None = None,
    ) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._ttl_ns = approval_ttl_ns
        self._grace_ns = approval_ttl_ns + max_skew_ns
        self._store = store
        self._generations = [_Generation(1, signing_keys(secret, algorithm, 1))]
        self._retired: set[str] = set()
        self._due_ns: dict[str, int | None] = {}  # older, unretired id -> retire at (None: unset)
        self._after_seq = 0
        # per account: its risk engine, its journal, the key id whose public key it recorded
        self._engines: list[list[Any]] = []
        # load, rotate and sync await the store: one at a time, so none sees another's half-step
        self._lock = asyncio.Lock()
        self.verifier = CurrentVerifier(self._keyring())

    @property
    def signing(self) -> SigningKeys:
        """The keys of the newest generation: it signs every new approval."""
        return self._generations[-1].keys

    @property
    def signing_key_id(self) -> str:
        """The key id new approvals are signed with."""
        return self._generations[-1].key_id

    def signer(self) -> ApprovalSigner:
        """Return an approval signer over the newest key."""
        return ApprovalSigner(self.signing.signer, ttl_ns=self._ttl_ns)

    def public_record(self) -> dict[str, str] | None:
        """Return the signing key's ``approval.key`` payload (None for HMAC)."""
        return self.signing.public_record()

    def attach(self, engine: RiskEngine, journal: EventJournal) -> None:
        """Make ``engine`` sign with the newest key from now on, and at every rotation."""
        self._engines.append([engine, journal, self.signing_key_id])

    def state(self) -> list[dict[str, Any]]:
        """Return every key id, oldest first: generation, whether it signs, verifies or retired."""
        newest = self.signing_key_id
        return [
            {
                "key_id": generation.key_id,
                "generation": generation.number,
                "algorithm": self._algorithm.value,
                "signing": generation.key_id == newest,
                "retired": generation.key_id in self._retired,
                "retires_after_ns": self._due_ns.get(generation.key_id),
                "public_key": None
                if generation.keys.public_key is None
                else generation.keys.public_key.hex(),
            }
            for generation in self._generations
        ]

    async def start(self) -> None:
        """Load the records at start; on a first start record generation 1's key check.

        Raises ``ConfigError`` when the approval secret is not the one the log was written with.
        """
        async with self._lock:
            await self._load()
            if self._store is None or self._after_seq:
                return
            await self._check_public_keys()
            await self._store.append(
                _ROTATED,
                self._record(self._generations[0], _RUNTIME, "the first approval key"),
                account=APPROVAL_KEYS_STREAM,
            )
            await self._load()

    async def load(self) -> None:
        """Take in the rotation records (at start, and from other processes at each ``sync``)."""
        async with self._lock:
            await self._load()

    async def _load(self) -> None:
        if self._store is None:
            return
        replay = self._store.replay(
            types=(_ROTATED, _RETIRED), after_seq=self._after_seq, account=APPROVAL_KEYS_STREAM
        )
        changed = False
        async with aclosing(replay) as events:
            async for event in events:
                changed = self._take(event) or changed
        if changed:
            await self._switch()

    def _take(self, event: StoredEvent) -> bool:
        self._after_seq = max(self._after_seq, event.seq)
        payload = event.payload
        if event.type == _RETIRED:
            self._retired.add(payload["key_id"])
            self._due_ns.pop(payload["key_id"], None)
            return True
        number = int(payload["generation"])
        recorded_check = payload.get("key_check")  # absent on records written before checks
        if recorded_check is not None and recorded_check != key_check(self._secret, number):
            raise ConfigError(
                f"wrong approval secret: approval key generation {number} was recorded with key "
                f"check {recorded_check}, which this secret does not give; use the approval "
                "secret the log was written with (AIS_APPROVAL_SECRET or state/approval_secret)"
            )
        if number <= self._generations[-1].number:
            return False
        generation = self._generation(number)
        if payload.get("key_id") != generation.key_id:
            raise ConfigError(
                f"approval key generation {number} is recorded as {payload.get('key_id')!r}, "
                f"but the approval secret gives {generation.key_id!r}: the secret changed; "
                "restore the secret the log was written with"
            )
        for older in self._generations:
            if older.key_id not in self._retired:
                self._due_ns.setdefault(older.key_id, None)
        self._generations.append(generation)
        return True

    def _generation(self, number: int) -> _Generation:
        return _Generation(number, signing_keys(self._secret, self._algorithm, number))

    async def rotate(self, by: str, reason: str) -> dict[str, Any]:
        """Record and start using the next generation; return its row of ``state``.

        The record comes first (write ahead); the new key signs from the next approval on.
        """
        if self._store is None:
            raise ValueError("approval keys rotate only over an event store")
        async with self._lock:
            # Another process may have rotated already; a wrong secret is refused here, by the
            # key checks of the records so far, before anything is written.
            await self._load()
            await self._check_public_keys()
            generation = self._generation(self._generations[-1].number + 1)
            payload = self._record(generation, by, reason)
            await self._store.append(_ROTATED, payload, account=APPROVAL_KEYS_STREAM)
            await self._load()  # read back from the log: it switches signers and verifier
            return self.state()[-1]

    def _record(self, generation: _Generation, by: str, reason: str) -> dict[str, Any]:
        record = generation.keys.public_record()
        return {
            "key_id": generation.key_id,
            "generation": generation.number,
            "algorithm": self._algorithm.value,
            "public_key": None if record is None else record["public_key"],
            "key_check": key_check(self._secret, generation.number),
            "by": by,
            "reason": reason,
        }

    async def _check_public_keys(self) -> None:
        """Ed25519: refuse when the log names a public key this secret does not give."""
        if self._store is None or self._algorithm is not Algorithm.ED25519:
            return
        ours = {g.key_id: g.keys.public_key for g in self._generations}
        async with aclosing(self._store.replay(types=(APPROVAL_KEY,))) as events:
            async for event in events:
                key_id = str(event.payload.get("key_id"))
                raw = ours.get(key_id)
                if raw is None or raw.hex() != event.payload.get("public_key"):
                    raise ConfigError(
                        f"wrong approval secret: the log records Ed25519 key {key_id!r} "
                        f"(account {event.account!r}), which this secret does not give; use the "
                        "approval secret the log was written with"
                    )

    async def sync(self, now_ns: int) -> None:
        """Take in others' rotations, then retire every older id whose approvals have expired.

        Called at the start of every engine step, with the engine's decision time.
        """
        if self._store is None:
            return
        async with self._lock:
            await self._load()
            await self._retire_due(now_ns)

    async def _retire_due(self, now_ns: int) -> None:
        assert self._store is not None  # sync checked
        if not self._due_ns:
            return
        due = [key_id for key_id, at in self._due_ns.items() if at is not None and at <= now_ns]
        for key_id, at in self._due_ns.items():
            if at is None:
                self._due_ns[key_id] = now_ns + self._grace_ns
        for key_id in due:
            number = next(g.number for g in self._generations if g.key_id == key_id)
            await self._store.append(
                _RETIRED,
                {"key_id": key_id, "generation": number, "by": _RUNTIME},
                account=APPROVAL_KEYS_STREAM,
            )
            self._retired.add(key_id)
            self._due_ns.pop(key_id, None)
        if due:
            await self._switch()

    async def _switch(self) -> None:
        """Point the verifier and every attached signer at the keys as they now stand."""
        for attached in self._engines:
            engine, journal, recorded = attached
            if recorded != self.signing_key_id:
                # Ed25519: the account's stream names the public key before it signs there.
                await record_public_key(journal, (), self.signing)
                attached[2] = self.signing_key_id
            engine.use_signer(self.signer())
        self.verifier.current = self._keyring()

    def _keyring(self) -> Verifier:
        """Return a verifier holding every generation, refusing the retired ids."""
        generations: Sequence[_Generation] = self._generations
        if self._algorithm is Algorithm.HMAC_SHA256:
            secrets: Mapping[str, bytes] = {
                g.key_id: generation_secret(self._secret, g.number) for g in generations
            }
            return HmacKeyring(secrets, self.signing_key_id, self._retired)
        public = {}
        for generation in generations:
            raw = generation.keys.public_key
            assert raw is not None  # every Ed25519 key has one
            public[generation.key_id] = load_ed25519_public_key(raw)
        return Ed25519Verifier(public, self._retired)
