"""How a secret becomes key bytes (docs/approvals.md): one rule, whichever way it is passed.

Leading and trailing ASCII whitespace is removed, nothing else changes, and the key is the UTF-8
encoding of what remains; text that is not UTF-8 gets one line naming where it came from.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiswarm.config import load_config, resolve_secrets
from aiswarm.config.secret_bytes import secret_bytes
from aiswarm.errors import ConfigError

KEY = "aiswarm-approvals-example-key-32"  # the docs' example: 32 ASCII bytes


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("AIS_"):
            monkeypatch.delenv(name)


def _config_file(tmp_path: Path) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(f"state_dir: {tmp_path}/state\n", encoding="utf-8")
    return path


def _approval_key(tmp_path: Path) -> bytes:
    resolved = resolve_secrets(load_config(_config_file(tmp_path)), create=False)
    assert resolved.config.approval_secret is not None
    return secret_bytes(resolved.config.approval_secret)


@pytest.mark.parametrize(
    "variable",
    [f" \t{KEY}\n", f"{KEY}\r\n", f"\x0b\x0c{KEY} "],
    ids=["tab-space-lf", "crlf", "vt-ff-space"],
)
def test_variable_when_whitespace_around_then_key_is_the_text_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # Arrange
    monkeypatch.setenv("AIS_APPROVAL_SECRET", variable)

    # Act / Assert: as from a file (which always dropped them)
    assert _approval_key(tmp_path) == KEY.encode()


@pytest.mark.parametrize(
    "content",
    [f"{KEY}\n".encode(), f"  {KEY}\r\n\r\n".encode(), KEY.encode()],
    ids=["lf", "crlf-blank-line", "bare"],
)
def test_file_when_whitespace_around_then_same_key_as_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    # Arrange
    secret_file = tmp_path / "approval.key"
    secret_file.write_bytes(content)
    monkeypatch.setenv("AIS_APPROVAL_SECRET_FILE", str(secret_file))

    # Act / Assert
    assert _approval_key(tmp_path) == KEY.encode()


def test_paper_state_file_when_whitespace_around_then_same_key(tmp_path: Path) -> None:
    # Arrange
    state = tmp_path / "state"
    state.mkdir()
    for name in ("approval_secret", "api_key"):
        (state / name).write_bytes(f"\t{KEY} \n".encode())
        (state / name).chmod(0o600)

    # Act / Assert
    assert _approval_key(tmp_path) == KEY.encode()


def test_secret_when_inner_whitespace_or_unicode_then_kept_and_utf8_encoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: inner spaces stay; a no-break space (not ASCII) at the end stays too
    monkeypatch.setenv("AIS_APPROVAL_SECRET", f" {KEY} x\u00e9\u00a0\n")

    # Act / Assert
    assert _approval_key(tmp_path) == f"{KEY} x\u00e9\u00a0".encode()
    assert _approval_key(tmp_path).endswith(b" x\xc3\xa9\xc2\xa0")


def test_variable_when_short_once_stripped_then_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: 31 bytes and a line feed was 32 bytes, and accepted
    monkeypatch.setenv("AIS_APPROVAL_SECRET", KEY[:31] + "\n")

    # Act / Assert
    with pytest.raises(ConfigError, match="AIS_APPROVAL_SECRET is 31 bytes; it must be at least"):
        load_config(_config_file(tmp_path))


def test_file_when_not_utf8_then_one_line_naming_file_and_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange
    secret_file = tmp_path / "approval.key"
    secret_file.write_bytes(KEY.encode() + b"\xff\n")
    monkeypatch.setenv("AIS_APPROVAL_SECRET_FILE", str(secret_file))

    # Act / Assert
    with pytest.raises(ConfigError) as raised:
        load_config(_config_file(tmp_path))
    message = str(raised.value)
    assert f"{secret_file} (named by AIS_APPROVAL_SECRET_FILE) is not UTF-8 text" in message
    assert "byte 32 is 0xff" in message


def test_variable_when_not_utf8_then_refused_naming_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: the process received the byte 0xff, which Python keeps as a surrogate escape
    monkeypatch.setenv("AIS_APPROVAL_SECRET", os.fsdecode(KEY.encode() + b"\xff"))

    # Act / Assert
    with pytest.raises(ConfigError) as raised:
        load_config(_config_file(tmp_path))
    assert "approval_secret" in str(raised.value)
    assert "not UTF-8 text" in str(raised.value)
    assert "AIS_APPROVAL_SECRET" in str(raised.value)
