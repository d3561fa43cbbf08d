"""Read a live venue's API credentials: the only place in the code base that does.

For a venue whose credentials prefix is ``AIS_VENUE_BINANCE`` (the default is ``AIS_VENUE_``
plus the venue id in capitals), the key and secret come from ``<prefix>_API_KEY`` and
``<prefix>_API_SECRET``, or from files named by ``<prefix>_API_KEY_FILE`` and
``<prefix>_API_SECRET_FILE`` (a secret store mounted as files, Docker or Kubernetes secrets).
A file others can read is refused. Values never appear in a message, a log line or a repr.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiswarm.errors import ConfigError

__all__ = ["VenueCredentials", "credentials_prefix", "missing_credentials", "read_credentials"]

_PARTS = ("API_KEY", "API_SECRET")


@dataclass(frozen=True, slots=True)
class VenueCredentials:
    """An API key and secret; their repr shows neither."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)


def credentials_prefix(venue_id: str, configured: str | None) -> str:
    """Return the environment prefix of a venue's credentials."""
    return configured or "AIS_VENUE_" + "".join(c if c.isalnum() else "_" for c in venue_id).upper()


def _read(name: str, env: Mapping[str, str]) -> str | None:
    value = env.get(name)
    if value:
        return value.strip()
    path_text = env.get(f"{name}_FILE")
    if not path_text:
        return None
    path = Path(path_text)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"{name}_FILE={path} has permissions {mode:o}; run: chmod 600 {path}")
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path} cannot be read ({exc.strerror})") from None
    return text or None


def missing_credentials(prefix: str, env: Mapping[str, str] | None = None) -> list[str]:
    """Return the variable names a venue still needs (empty when both are present)."""
    source = os.environ if env is None else env
    return [f"{prefix}_{part}" for part in _PARTS if _read(f"{prefix}_{part}", source) is None]


def read_credentials(prefix: str, env: Mapping[str, str] | None = None) -> VenueCredentials:
    """Return the venue's credentials, or raise ConfigError naming what is missing."""
    source = os.environ if env is None else env
    missing = missing_credentials(prefix, source)
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} not set; set them (or the same names with _FILE)"
        )
    key = _read(f"{prefix}_API_KEY", source)
    secret = _read(f"{prefix}_API_SECRET", source)
    assert key is not None  # checked just above
    assert secret is not None
    return VenueCredentials(key, secret)
