"""The `bus:` section: in-process by default, a Redis URL to scale out, bad values named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiswarm.config import load_config
from aiswarm.errors import ConfigError
from aiswarm.runtime.bus_opening import bus_settings

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("AIS_"):
            monkeypatch.delenv(name)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_when_loaded_then_bus_is_in_process() -> None:
    config = load_config(REPO / "config" / "aiswarm.yaml")

    assert config.bus.url is None
    assert config.bus.prefix == "aiswarm:"


def test_bus_url_when_set_by_environment_then_settings_in_milliseconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "bus:\n  claim_idle_s: 2.5\n  max_deliveries: 3\n")
    monkeypatch.setenv("AIS_BUS__URL", "redis://127.0.0.1:6379/2")

    config = load_config(path)
    settings = bus_settings(config.bus)

    assert config.bus.url == "redis://127.0.0.1:6379/2"
    assert (settings.claim_idle_ms, settings.max_deliveries) == (2_500, 3)
    assert settings.idempotency_ttl_ms == 86_400_000


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("bus:\n  url: http://127.0.0.1:6379\n", "`bus.url` was 'http://127.0.0.1:6379'"),
        ("bus:\n  max_deliveries: 0\n", "`bus.max_deliveries` was 0"),
        ("bus:\n  prefix: 'has space'\n", "`bus.prefix` was 'has space'"),
        ("bus:\n  claim_idle_s: -1\n", "`bus.claim_idle_s` was -1"),
        ("bus:\n  urls: redis://x\n", "`bus.urls` is not a known setting"),
    ],
)
def test_bus_section_when_value_bad_then_error_names_key_and_value(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(_write(tmp_path, text))
