"""`aiswarm approvals public-key`: the Ed25519 public key approvals are signed with.

It reads the config and the approval secret as `aiswarm run` does (without creating one) and
derives the same key, so an operator can hand the key to whoever verifies approvals before the
first start; `aiswarm run` records the same key in the log (``approval.key``).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from aiswarm.config import load_config, resolve_secrets
from aiswarm.config.secret_bytes import secret_bytes
from aiswarm.errors import ConfigError
from aiswarm.risk import Algorithm
from aiswarm.risk.keyring import load_ed25519_public_key
from aiswarm.runtime.approval_keys import signing_keys

__all__ = ["approval_public_key"]


def approval_public_key(config_path: Path | None) -> dict[str, str]:
    """Return the configured Ed25519 key: key id, algorithm, public key (hex and PEM), source.

    Raises ``ConfigError`` in HMAC mode (a shared secret has no public half) and when there is
    no approval secret yet.
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
    record = signing_keys(secret_bytes(secret), Algorithm.ED25519).public_record()
    assert record is not None  # Ed25519 keys always have one
    public = load_ed25519_public_key(bytes.fromhex(record["public_key"]))
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return record | {"pem": pem, "source": source}
