"""API keys and the principals they stand for: created, listed, revoked, all through the log.

Every credential maps to a principal, a name with one scope: ``read`` (look), ``trade`` (also
pause, resume, trip the kill switch) or ``admin`` (also reset it, stop a flatten, manage keys,
rotate approval keys). Each scope includes the ones before it.

A key is ``ais_<key id>_<secret>``: 12 hex digits naming the key, then 43 characters of
``secrets.token_urlsafe(32)`` (256 random bits). The log never holds the key: ``access_key.created``
records the key id, the principal's name and scope, and the SHA-256 of the whole key, and
``access_key.revoked`` ends it, both in the ``access`` stream. SHA-256 (not a slow password hash)
is enough because the secret is 256 random bits, not something a person chose. Presented keys
are hashed and compared with ``hmac.compare_digest`` (constant time).

Crash-only: the registry is the fold of those records, appended before they take effect, so a
restart (or another process, on PostgreSQL) sees exactly the keys the log holds. ``refresh``
reads the records appended since it last looked, so a key revoked by ``aiswarm keys revoke`` is
refused from the next request on.

``AIS_API_KEY`` (optional) is a bootstrap admin principal named ``bootstrap``: configured
outside the log (only its hash is held, in memory), it lets an operator in before any key is
created. Paper mode's first run instead creates a real admin key (``paper-admin``) in the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from aiswarm.store import EventStore, StoredEvent
from aiswarm.types import EventType

__all__ = [
    "ACCESS_STREAM",
    "BOOTSTRAP_PRINCIPAL",
    "CLI_PRINCIPAL",
    "RUNTIME_PRINCIPAL",
    "SYSTEM_PRINCIPALS",
    "AccessKeys",
    "AdminNames",
    "KeyRecord",
    "Principal",
    "Scope",
    "check_principal_name",
]

ACCESS_STREAM = "access"
"""The stream holding ``access_key.created`` and ``access_key.revoked``."""
BOOTSTRAP_PRINCIPAL = "bootstrap"
"""The admin principal ``AIS_API_KEY`` stands for."""
RUNTIME_PRINCIPAL = "runtime"
"""``by`` on what the platform does by itself (retiring an approval key, a session change)."""
CLI_PRINCIPAL = "cli"
"""``by`` on what an `aiswarm keys` command records."""
SYSTEM_PRINCIPALS = frozenset({BOOTSTRAP_PRINCIPAL, RUNTIME_PRINCIPAL, CLI_PRINCIPAL})
"""Names the system itself writes as ``by``: no key may take one (in any letter case), so a
record by the system cannot be mistaken for one by an operator, nor the other way round."""

_CREATED = EventType.ACCESS_KEY_CREATED
_REVOKED = EventType.ACCESS_KEY_REVOKED
_KEY = re.compile(r"^ais_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class Scope(StrEnum):
    """What a principal may do; each scope includes the ones listed before it."""

    READ = "read"
    TRADE = "trade"
    ADMIN = "admin"

    def grants(self, needed: Scope) -> bool:
        """Return whether this scope allows what ``needed`` guards."""
        order = list(Scope)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a name and a scope. Recorded on every control event."""

    name: str
    scope: Scope
    key_id: str | None = field(default=None, compare=False)
    """The key presented (None for the bootstrap key): recorded as ``by_key_id`` beside ``by``."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One key as the log holds it (never the key itself)."""

    key_id: str
    principal: Principal
    digest: bytes
    created_by: str
    created_seq: int
    revoked_by: str | None = None


def check_principal_name(name: str) -> str:
    """Return ``name`` if it can name a principal; else raise ValueError saying what fits."""
    if name.lower() in SYSTEM_PRINCIPALS:
        reserved = ", ".join(sorted(SYSTEM_PRINCIPALS))
        raise ValueError(
            f"principal name {name!r} is reserved for the system ({reserved}); choose another"
        )
    if not _NAME.match(name):
        raise ValueError(
            f"principal name {name!r} is not usable: use 1-64 letters, digits, '.', '_', '@' or "
            "'-', starting with a letter or digit"
        )
    return name


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class AccessKeys:
    """The registry of API keys: the fold of the ``access`` stream, plus the bootstrap key."""

    def __init__(self, bootstrap_key: str | None = None) -> None:
        self._keys: dict[str, KeyRecord] = {}
        self._after_seq = 0
        self._bootstrap = None if bootstrap_key is None else _digest(bootstrap_key)
        # One refresh at a time: two overlapping reads of the same range would fold it twice.
        self._refreshing = asyncio.Lock()

    @classmethod
    async def load(cls, store: EventStore, bootstrap_key: str | None = None) -> AccessKeys:
        """Return the registry as ``store`` holds it."""
        keys = cls(bootstrap_key)
        await keys.refresh(store)
        return keys

    async def refresh(self, store: EventStore) -> None:
        """Take in the key records appended since the last look (by any process).

        The fold is idempotent: a record at or below the high-water mark is skipped, and a
        creation never replaces a key id already known (so a revoked key stays revoked).
        """
        async with self._refreshing:
            replay = store.replay(
                types=(_CREATED, _REVOKED), after_seq=self._after_seq, account=ACCESS_STREAM
            )
            async with aclosing(replay) as events:
                async for event in events:
                    self._take(event)

    def _take(self, event: StoredEvent) -> None:
        if event.seq <= self._after_seq:
            return
        payload = event.payload
        self._after_seq = event.seq
        if event.type == _CREATED:
            if payload["key_id"] in self._keys:
                return
            principal = Principal(payload["name"], Scope(payload["scope"]))
            self._keys[payload["key_id"]] = KeyRecord(
                payload["key_id"],
                principal,
                bytes.fromhex(payload["key_sha256"]),
                payload["by"],
                event.seq,
            )
        elif event.type == _REVOKED and payload["key_id"] in self._keys:
            record = self._keys[payload["key_id"]]
            self._keys[record.key_id] = KeyRecord(
                record.key_id,
                record.principal,
                record.digest,
                record.created_by,
                record.created_seq,
                payload["by"],
            )

    def authenticate(self, presented: str) -> Principal | None:
        """Return the principal ``presented`` is a live key of, or None."""
        digest = _digest(presented)
        found = _KEY.match(presented)
        if found is not None:
            record = self._keys.get(found.group(1))
            if (
                record is not None
                and record.revoked_by is None
                and hmac.compare_digest(record.digest, digest)
            ):
                return replace(record.principal, key_id=record.key_id)
            return None
        if self._bootstrap is not None and hmac.compare_digest(self._bootstrap, digest):
            return Principal(BOOTSTRAP_PRINCIPAL, Scope.ADMIN)
        return None

    def has_credential(self) -> bool:
        """Return whether any credential works: a live key, or the bootstrap key."""
        return self._bootstrap is not None or any(
            record.revoked_by is None for record in self._keys.values()
        )

    def is_admin(self, name: str) -> bool:
        """Return whether ``name`` is a principal with a live admin key (or the bootstrap)."""
        if name == BOOTSTRAP_PRINCIPAL:
            return self._bootstrap is not None
        return any(
            record.principal.name == name
            and record.principal.scope is Scope.ADMIN
            and record.revoked_by is None
            for record in self._keys.values()
        )

    def listed(self) -> list[dict[str, Any]]:
        """Return every key ever created, oldest first: id, name, scope, who made or ended it."""
        return [
            {
                "key_id": record.key_id,
                "name": record.principal.name,
                "scope": record.principal.scope.value,
                "created_by": record.created_by,
                "created_seq": record.created_seq,
                "revoked": record.revoked_by is not None,
                "revoked_by": record.revoked_by,
            }
            for record in sorted(self._keys.values(), key=lambda record: record.created_seq)
        ]

    async def create(
        self, store: EventStore, name: str, scope: Scope, by: str, by_key_id: str | None = None
    ) -> tuple[KeyRecord, str]:
        """Record a new key for ``name`` with ``scope``; return its record and the key (once).

        Raises ValueError for an unusable name.
        """
        check_principal_name(name)
        key_id = secrets.token_hex(6)
        while key_id in self._keys:  # 48 random bits: a clash is near impossible; still refuse
            key_id = secrets.token_hex(6)
        key = f"ais_{key_id}_{secrets.token_urlsafe(32)}"
        payload = {
            "key_id": key_id,
            "name": name,
            "scope": scope.value,
            "key_sha256": _digest(key).hex(),
            "by": by,
            "by_key_id": by_key_id,
        }
        await store.append(_CREATED, payload, account=ACCESS_STREAM)
        # Read back from the log, not from the append: on PostgreSQL another process may have
        # appended records numbered before ours, which a jump to our seq would skip.
        await self.refresh(store)
        return self._keys[key_id], key

    async def revoke(
        self, store: EventStore, key_id: str, by: str, by_key_id: str | None = None
    ) -> KeyRecord:
        """Record the end of ``key_id``; raise KeyError naming the known ids if there is none.

        Revoking a key already revoked changes nothing and records nothing.
        """
        await self.refresh(store)
        record = self._keys.get(key_id)
        if record is None:
            known = ", ".join(self._keys) or "none"
            raise KeyError(
                f"no API key with id {key_id!r} (known: {known}); see `aiswarm keys list`"
            )
        if record.revoked_by is None:
            payload = {"key_id": key_id, "by": by, "by_key_id": by_key_id}
            await store.append(_REVOKED, payload, account=ACCESS_STREAM)
            await self.refresh(store)
        return self._keys[key_id]


class AdminNames:
    """The names allowed to reset the kill switch: live admin principals, looked up on use.

    A ``Container`` over the registry, so a key created or revoked after the spine was built
    counts at once (``KillSwitch`` asks it at every reset).
    """

    __slots__ = ("_keys",)

    def __init__(self, keys: AccessKeys) -> None:
        self._keys = keys

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._keys.is_admin(name)
