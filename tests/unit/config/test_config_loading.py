"""Config loads from YAML plus AIS_ overrides, and every failure names the key and the fix."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aiswarm.config import load_config, resolve_secrets
from aiswarm.errors import ConfigError
from aiswarm.types import Mode

REPO = Path(__file__).resolve().parents[3]
GOOD_SECRET = "s" * 40


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("AIS_"):
            monkeypatch.delenv(name)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_when_shipped_config_then_valid() -> None:
    config = load_config(REPO / "config" / "aiswarm.yaml")

    assert config.mode is Mode.PAPER
    assert config.api.host == "127.0.0.1"
    assert config.loop.interval_s == 60


def test_load_when_env_override_then_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "api:\n  port: 8000\n")
    monkeypatch.setenv("AIS_API__PORT", "8123")

    config = load_config(path)

    assert config.api.port == 8123


def test_load_when_unknown_yaml_key_then_error_names_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "api:\n  prot: 8000\n")

    with pytest.raises(ConfigError, match=r"`api\.prot` is not a known setting.*host, port"):
        load_config(path)


def test_load_when_unknown_env_variable_then_error_suggests_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "")
    monkeypatch.setenv("AIS_API_PORT", "9000")

    with pytest.raises(
        ConfigError, match=r"AIS_API_PORT is not a known setting; did you mean AIS_API__PORT"
    ):
        load_config(path)


def test_load_when_wrong_type_then_error_names_value_and_both_fixes(tmp_path: Path) -> None:
    path = _write(tmp_path, "loop:\n  interval_s: soon\n")

    with pytest.raises(ConfigError, match=r"`loop\.interval_s` was 'soon'.*AIS_LOOP__INTERVAL_S"):
        load_config(path)


@pytest.mark.parametrize("rate", ["0/minute", "00/second"])
def test_load_when_rate_limit_count_zero_then_refused_naming_field(
    tmp_path: Path, rate: str
) -> None:
    path = _write(tmp_path, f"api:\n  rate_limit: {rate}\n")

    with pytest.raises(ConfigError, match=rf"`api\.rate_limit` was '{rate}'"):
        load_config(path)


def test_load_when_shipped_config_then_docs_public_for_local_paper_only() -> None:
    config = load_config(REPO / "config" / "aiswarm.yaml")

    assert config.api.docs_public is True
    assert config.api.host == "127.0.0.1"
    assert config.mode is Mode.PAPER


def test_load_when_file_missing_then_error_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist; pass --config"):
        load_config(tmp_path / "absent.yaml")


def test_load_when_yaml_broken_then_error_gives_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "api:\n  port: [8000\n")

    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(path)


def test_load_when_secret_in_yaml_then_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, f"approval_secret: {GOOD_SECRET}\n")

    with pytest.raises(ConfigError, match="secrets do not belong in config files"):
        load_config(path)


def test_load_when_secret_short_then_error_names_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "")
    monkeypatch.setenv("AIS_APPROVAL_SECRET", "short")

    with pytest.raises(ConfigError, match="AIS_APPROVAL_SECRET is 5 bytes; it must be at least 32"):
        load_config(path)


def test_load_when_secret_file_given_then_read_from_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "")
    secret_file = tmp_path / "key"
    secret_file.write_text(GOOD_SECRET + "\n", encoding="utf-8")
    monkeypatch.setenv("AIS_API_KEY_FILE", str(secret_file))

    config = load_config(path)

    assert config.api_key is not None
    assert config.api_key.get_secret_value() == GOOD_SECRET


def test_load_when_secret_file_missing_then_error_names_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "")
    monkeypatch.setenv("AIS_API_KEY_FILE", str(tmp_path / "nope"))

    with pytest.raises(ConfigError, match=r"AIS_API_KEY_FILE names .*nope, which cannot be read"):
        load_config(path)


def test_load_when_live_mode_with_speedup_then_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "mode: live\nloop:\n  speed: 60\n")

    with pytest.raises(ConfigError, match=r"`loop\.speed` was 60.0 in live mode"):
        load_config(path)


def test_secrets_when_live_mode_and_missing_then_refused(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, f"mode: live\nstate_dir: {tmp_path}/state\n"))

    with pytest.raises(ConfigError, match="AIS_APPROVAL_SECRET is not set and live mode needs it"):
        resolve_secrets(config, create=True)


def test_secrets_when_paper_first_run_then_created_private_and_reused(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, f"state_dir: {tmp_path}/state\n"))

    first = resolve_secrets(config, create=True)
    second = resolve_secrets(config, create=True)

    assert [path.name for path in first.created] == ["approval_secret"]
    assert second.created == ()
    for path in first.created:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.config.approval_secret == second.config.approval_secret
    assert first.config.api_key is None, "API keys live in the event store (aiswarm keys new)"


def test_secrets_when_state_file_world_readable_then_refused(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, f"state_dir: {tmp_path}/state\n"))
    created = resolve_secrets(config, create=True).created
    created[0].chmod(0o644)

    with pytest.raises(ConfigError, match="chmod 600"):
        resolve_secrets(config, create=True)


def test_secrets_when_check_only_then_nothing_created(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, f"state_dir: {tmp_path}/state\n"))

    resolved = resolve_secrets(config, create=False)

    assert resolved.created == ()
    assert not (tmp_path / "state").exists()
    assert "aiswarm run` creates it" in resolved.sources["approval_secret"]
    assert "optional" in resolved.sources["api_key"]
