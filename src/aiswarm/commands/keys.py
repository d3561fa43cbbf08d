"""`aiswarm keys …`: API keys (new, list, revoke), approval key rotation, and the start check.

Each command opens the event store named by the config, appends or reads the records
(``runtime.access_keys``, ``runtime.approval_rotation``) and closes it. With a SQLite store only
one process may append, so while `aiswarm run` holds the file use the admin routes
(``POST /keys/new``, ``POST /keys/{id}/revoke``, ``POST /approval-keys/rotate``); on PostgreSQL the
commands may run beside it, which takes their records in at the next request or step.

``ensure_credential`` is `aiswarm run`'s check before it starts: with no live key and no
``AIS_API_KEY`` the server refuses to start and says how to make one, except on paper mode's
first run, which makes an admin key (``paper-admin``) and writes it to ``state_dir/api_key``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiswarm.clock import WallClock
from aiswarm.config import AppConfig, load_config, resolve_secrets
from aiswarm.config.secret_bytes import secret_bytes
from aiswarm.errors import ConfigError
from aiswarm.runtime.access_keys import CLI_PRINCIPAL, AccessKeys, Scope
from aiswarm.runtime.approval_rotation import ApprovalKeyRotation
from aiswarm.runtime.host import APPROVAL_TTL_NS, MAX_SKEW_NS
from aiswarm.store import EventStore, open_event_store
from aiswarm.types import Mode

__all__ = [
    "PAPER_PRINCIPAL",
    "ensure_credential",
    "list_keys",
    "new_key",
    "revoke_key",
    "rotate_approval_key",
]

PAPER_PRINCIPAL = "paper-admin"
_CLI = CLI_PRINCIPAL


@asynccontextmanager
async def _store(config: AppConfig) -> AsyncIterator[EventStore]:
    store = await open_event_store(config.store.url, WallClock())
    try:
        yield store
    finally:
        await store.close()


def _scope(scope: str) -> Scope:
    try:
        return Scope(scope)
    except ValueError:
        raise ConfigError(f"--scope was {scope!r}; use read, trade or admin") from None


async def new_key(config_path: Path | None, name: str, scope: str) -> dict[str, Any]:
    """Create a key for principal ``name``; return its id, name, scope and the key (once)."""
    chosen = _scope(scope)
    async with _store(load_config(config_path)) as store:
        access = await AccessKeys.load(store)
        try:
            record, key = await access.create(store, name, chosen, _CLI)
        except ValueError as exc:
            raise ConfigError(f"--name: {exc}") from None
    return {"key_id": record.key_id, "name": name, "scope": chosen.value, "key": key}


async def list_keys(config_path: Path | None) -> list[dict[str, Any]]:
    """Return every key ever created (never the key itself)."""
    async with _store(load_config(config_path)) as store:
        return (await AccessKeys.load(store)).listed()


async def revoke_key(config_path: Path | None, key_id: str) -> dict[str, Any]:
    """Revoke ``key_id``; return its row."""
    async with _store(load_config(config_path)) as store:
        access = await AccessKeys.load(store)
        try:
            await access.revoke(store, key_id, _CLI)
        except KeyError as exc:
            raise ConfigError(f"key id {key_id!r}: {exc.args[0]}") from None
        return next(row for row in access.listed() if row["key_id"] == key_id)


async def rotate_approval_key(config_path: Path | None, reason: str) -> dict[str, Any]:
    """Record the next approval key generation; return its row."""
    if not reason.strip():
        raise ConfigError("--reason was blank; say why the approval key rotates")
    config = load_config(config_path)
    secret = resolve_secrets(config, create=False).config.approval_secret
    if secret is None:
        raise ConfigError(
            "there is no approval secret to derive a new key from: set AIS_APPROVAL_SECRET "
            "(or, in paper mode, run `aiswarm run` once to create state/approval_secret)"
        )
    async with _store(config) as store:
        rotation = ApprovalKeyRotation(
            secret_bytes(secret),
            config.trading.approval_algorithm,
            approval_ttl_ns=APPROVAL_TTL_NS,
            max_skew_ns=MAX_SKEW_NS,
            store=store,
        )
        await rotation.load()
        return await rotation.rotate(_CLI, reason)


async def ensure_credential(config: AppConfig) -> tuple[str, Path | None]:
    """Make sure some credential opens the API; return who it is and the file holding it.

    Raises ConfigError, saying how to make one, when none exists outside paper mode.
    """
    bootstrap = None if config.api_key is None else config.api_key.get_secret_value()
    path = config.state_dir / "api_key"
    async with _store(config) as store:
        access = await AccessKeys.load(store, bootstrap)
        if access.has_credential():
            shown = path if config.mode is Mode.PAPER and path.exists() else None
            return "an existing key", shown
        if config.mode is not Mode.PAPER:
            raise ConfigError(
                "no API credential exists, so the API would open to nobody: create one with "
                "`aiswarm keys new --name NAME --scope admin` (it prints the key once), or set "
                "AIS_API_KEY"
            )
        _, key = await access.create(store, PAPER_PRINCIPAL, Scope.ADMIN, "aiswarm run")
    _write_key_file(path, key)
    return f"a new admin key for {PAPER_PRINCIPAL}", path


def _write_key_file(path: Path, key: str) -> None:
    """Write ``key`` to ``path`` with 0600 permissions, replacing a stale file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    draft = path.with_name(f".{path.name}.new")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    os.replace(draft, path)
