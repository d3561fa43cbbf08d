"""Venue credentials come from the environment or 0600 files, and are never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.errors import ConfigError
from aiswarm.venues.venue_credentials import (
    credentials_prefix,
    missing_credentials,
    read_credentials,
)


def test_prefix_defaults_to_venue_id_in_capitals() -> None:
    assert credentials_prefix("binance-usdm", None) == "AIS_VENUE_BINANCE_USDM"
    assert credentials_prefix("binance", "MY_BINANCE") == "MY_BINANCE"


def test_read_from_variables_and_repr_hides_them() -> None:
    env = {"P_API_KEY": "key-123", "P_API_SECRET": "secret-456"}

    credentials = read_credentials("P", env)

    assert (credentials.api_key, credentials.secret) == ("key-123", "secret-456")
    assert "key-123" not in repr(credentials)
    assert "secret-456" not in repr(credentials)


def test_read_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("secret-from-file\n", encoding="utf-8")
    secret.chmod(0o600)

    credentials = read_credentials("P", {"P_API_KEY": "k", "P_API_SECRET_FILE": str(secret)})

    assert credentials.secret == "secret-from-file"


def test_file_others_can_read_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("secret-from-file\n", encoding="utf-8")
    secret.chmod(0o640)

    with pytest.raises(ConfigError, match="chmod 600") as refused:
        read_credentials("P", {"P_API_KEY": "k", "P_API_SECRET_FILE": str(secret)})
    assert "secret-from-file" not in str(refused.value)


def test_missing_are_named() -> None:
    assert missing_credentials("P", {"P_API_KEY": "k"}) == ["P_API_SECRET"]
    with pytest.raises(ConfigError, match="P_API_KEY and P_API_SECRET"):
        read_credentials("P", {})
