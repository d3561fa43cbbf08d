"""Make sure the approval secret exists before anything trades or listens.

Shadow and live mode require it from the operator (environment or `AIS_…_FILE`). Paper mode
may create a fresh random one, once, in the state directory with 0600 permissions, so a new user
can run `make run` without setup; it never uses a built-in default. A state file that others can
read is refused, because a leaked approval key lets anyone sign orders.

The API key (`AIS_API_KEY`) is optional, a bootstrap admin principal; API keys are made with
`aiswarm keys new` and live, hashed, in the event store (``runtime.access_keys``). Paper mode's
first run makes an admin key there and writes it to ``state_dir/api_key`` (``commands.keys``).
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from aiswarm.config.loader import MIN_SECRET_BYTES, SECRET_FIELDS, env_name
from aiswarm.config.models import AppConfig
from aiswarm.config.secret_bytes import decode_secret_file
from aiswarm.errors import ConfigError
from aiswarm.types import Mode

__all__ = ["ResolvedSecrets", "resolve_secrets"]


@dataclass(frozen=True, slots=True)
class ResolvedSecrets:
    """The config with the approval secret filled in, and where each secret came from."""

    config: AppConfig
    created: tuple[Path, ...]
    sources: dict[str, str]


def _read_state_secret(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path} has permissions {mode:o}; others could read a secret. Run: chmod 600 {path}"
        )
    value = decode_secret_file(path.read_bytes(), str(path))
    if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"{path} holds a secret shorter than {MIN_SECRET_BYTES} bytes; delete the file "
            f"and aiswarm will create a new one"
        )
    return value


def _write_state_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def resolve_secrets(config: AppConfig, *, create: bool) -> ResolvedSecrets:
    """Return the config with every secret present, or raise `ConfigError` naming the gap.

    In paper mode a missing secret is read from ``state_dir/<name>``, or created there when
    ``create`` is true. In every other mode a missing secret stops startup.
    """
    updates: dict[str, SecretStr] = {}
    created: list[Path] = []
    sources: dict[str, str] = {}
    for name in SECRET_FIELDS:
        if getattr(config, name) is not None:
            sources[name] = f"{env_name(name)} or {env_name(name)}_FILE"
            continue
        if name == "api_key":
            sources[name] = f"{env_name(name)} is not set (optional: API keys are in the store)"
            continue
        if config.mode is not Mode.PAPER:
            raise ConfigError(
                f"{env_name(name)} is not set and {config.mode.value} mode needs it; set it, "
                f"or {env_name(name)}_FILE to a file holding at least {MIN_SECRET_BYTES} bytes"
            )
        path = config.state_dir / name
        if path.exists():
            updates[name] = SecretStr(_read_state_secret(path))
            sources[name] = str(path)
        elif create:
            updates[name] = SecretStr(_write_state_secret(path))
            created.append(path)
            sources[name] = f"{path} (created now)"
        else:
            sources[name] = f"{path} (missing; `aiswarm run` creates it in paper mode)"
    return ResolvedSecrets(config.model_copy(update=updates), tuple(created), sources)
