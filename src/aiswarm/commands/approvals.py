"""`aiswarm approvals public-key`: the Ed25519 public keys approvals are signed with.

It reads the config and the approval secret as `aiswarm run` does (without creating one) and
derives the same keys, so an operator can hand them to whoever verifies approvals before the
first start; `aiswarm run` records each in the log (``approval.key``). After a rotation
(``approval_key.rotated`` in the event store) the current signing key is printed first, then
every older key not yet retired (its approvals may still be in flight). With no event store yet
(a SQLite file not created), the key is generation 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from aiswarm.clock import WallClock
from aiswarm.config import AppConfig, load_config, resolve_secrets
from aiswarm.config.secret_bytes import secret_bytes
from aiswarm.errors import ConfigError
from aiswarm.risk import Algorithm
from aiswarm.risk.keyring import load_ed25519_public_key
from aiswarm.runtime.approval_rotation import ApprovalKeyRotation
from aiswarm.runtime.host import APPROVAL_TTL_NS, MAX_SKEW_NS
from aiswarm.store import open_event_store
from aiswarm.store.store_url import parse_store_url

__all__ = ["approval_public_key"]


async def approval_public_key(config_path: Path | None) -> dict[str, Any]:
    """Return the signing Ed25519 key: key id, generation, algorithm, public key (hex, PEM),
    source, and ``verifying``: the older keys not yet retired, newest first, each likewise.

    Raises ``ConfigError`` in HMAC mode (a shared secret has no public half), when there is no
    approval secret yet, and when the log was written with another secret.
    """
    config = load_config(config_path)
    if config.trading.approval_algorithm is not Algorithm.ED25519:
        raise ConfigError(
            f"trading.approval_algorithm is {config.trading.approval_algorithm}: an HMAC key is "
            "a shared secret with no public half; set trading.approval_algorithm: ed25519 "
            "(or AIS_TRADING__APPROVAL_ALGORITHM=ed25519) to sign approvals with Ed25519"
        )
    resolved = resolve_secrets(config, create=False)
    secret = resolved.config.approval_secret
    source = resolved.sources["approval_secret"]
    if secret is None:
        raise ConfigError(f"there is no approval secret yet: {source}")
    rows = await _live_keys(config, secret_bytes(secret))
    signing, *older = rows
    return _shown(signing) | {"source": source, "verifying": [_shown(row) for row in older]}


async def _live_keys(config: AppConfig, secret: bytes) -> list[dict[str, Any]]:
    """Return the unretired generations, the signing one first, as the event store holds them."""
    path = parse_store_url(config.store.url).sqlite_path
    store = None
    if path is None or path.exists():  # reading must not create a store
        store = await open_event_store(config.store.url, WallClock())
    rotation = ApprovalKeyRotation(
        secret,
        Algorithm.ED25519,
        approval_ttl_ns=APPROVAL_TTL_NS,
        max_skew_ns=MAX_SKEW_NS,
        store=store,
    )
    try:
        await rotation.load()
    finally:
        if store is not None:
            await store.close()
    return [row for row in reversed(rotation.state()) if not row["retired"]]


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    public = load_ed25519_public_key(bytes.fromhex(row["public_key"]))
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return {
        "key_id": row["key_id"],
        "generation": row["generation"],
        "algorithm": row["algorithm"],
        "public_key": row["public_key"],
        "pem": pem,
    }
