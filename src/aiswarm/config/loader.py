"""Load `config/aiswarm.yaml` plus `AIS_…` overrides into a validated, frozen `AppConfig`.

Fail closed: a missing or unparsable file, an unknown key (in YAML or in the environment), a value
of the wrong type, a secret placed in YAML, or a secret shorter than 32 bytes raises
`ConfigError` whose message names the key, the value and the fix. Nothing falls back to a default
that the user did not choose.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from aiswarm.config.models import ENV_PREFIX, NESTED_DELIMITER, AppConfig
from aiswarm.config.secret_bytes import decode_secret_file, secret_bytes
from aiswarm.errors import ConfigError
from aiswarm.types import Mode

__all__ = ["DEFAULT_CONFIG_PATH", "MIN_SECRET_BYTES", "SECRET_FIELDS", "env_name", "load_config"]

DEFAULT_CONFIG_PATH = Path("config/aiswarm.yaml")
MIN_SECRET_BYTES = 32
SECRET_FIELDS = ("approval_secret", "api_key")
# Variables that are ours but are not settings: the config path, secret files, test knobs.
_NOT_SETTINGS = {f"{ENV_PREFIX}CONFIG"} | {f"{ENV_PREFIX}{f.upper()}_FILE" for f in SECRET_FIELDS}
_TEST_PREFIX = f"{ENV_PREFIX}TEST_"
_VENUE_CREDENTIALS_PREFIX = f"{ENV_PREFIX}VENUE_"
"""Live venues' API credentials (AIS_VENUE_<ID>_API_KEY ...): read only by the venue adapters,
never settings; live mode names any that are missing (docs/venues.md)."""


def env_name(dotted: str) -> str:
    """Return the environment variable that overrides a dotted key: api.port -> AIS_API__PORT."""
    return ENV_PREFIX + dotted.replace(".", NESTED_DELIMITER).upper()


def _setting_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _setting_keys(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist; pass --config PATH or set AIS_CONFIG, "
            f"or copy the shipped config/aiswarm.yaml"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"config file {path} cannot be read ({exc.strerror}); fix its permissions"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"config file {path} is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {path} must hold a mapping of settings (key: value), "
            f"but its top level is a {type(data).__name__}"
        )
    for secret in SECRET_FIELDS:
        if secret in data:
            raise ConfigError(
                f"config file {path} sets `{secret}`, but secrets do not belong in config files; "
                f"remove it and set {env_name(secret)} or {env_name(secret)}_FILE instead"
            )
    return data


def _check_environment(environ: Mapping[str, str]) -> None:
    known = {env_name(key) for key in _setting_keys(AppConfig)} | _NOT_SETTINGS
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper.startswith(_TEST_PREFIX) or upper in known:
            continue
        if upper.startswith(_VENUE_CREDENTIALS_PREFIX):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(sorted(known))}"
        raise ConfigError(f"environment variable {name} is not a known setting{hint}")


def _secrets_from_files(environ: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for secret in SECRET_FIELDS:
        file_var = f"{env_name(secret)}_FILE"
        file_name = environ.get(file_var)
        if not file_name:
            continue
        if environ.get(env_name(secret)):
            raise ConfigError(f"both {env_name(secret)} and {file_var} are set; keep one of them")
        try:
            data = Path(file_name).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"{file_var} names {file_name}, which cannot be read ({exc.strerror}); "
                f"fix the path or the file's permissions"
            ) from None
        found[secret] = decode_secret_file(data, f"{file_name} (named by {file_var})")
    return found


def _describe(error: Mapping[str, Any], config_path: Path) -> str:
    dotted = ".".join(str(part) for part in error["loc"])
    where = f"fix {config_path} or {env_name(dotted)}"
    if error["type"] == "extra_forbidden":
        parent = dotted.rpartition(".")[0]
        known = [k for k in _setting_keys(AppConfig) if k.rpartition(".")[0] == parent]
        known_tail = ", ".join(k.rpartition(".")[2] for k in known)
        return f"`{dotted}` is not a known setting (known here: {known_tail}); fix {config_path}"
    shown = "(hidden)" if dotted in SECRET_FIELDS else repr(error.get("input"))
    return f"`{dotted}` was {shown}: {error['msg']}; {where}"


def _check_secret_lengths(config: AppConfig) -> None:
    for secret in SECRET_FIELDS:
        value = getattr(config, secret)
        if value is None:
            continue
        size = len(secret_bytes(value))
        if size < MIN_SECRET_BYTES:
            raise ConfigError(
                f"{env_name(secret)} is {size} bytes; it must be at least {MIN_SECRET_BYTES}. "
                f"Make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Read the YAML file and the environment, validate, and return the frozen config.

    ``path`` defaults to ``AIS_CONFIG`` or ``config/aiswarm.yaml``; ``environ`` defaults to the
    process environment (it is also what pydantic-settings reads, so pass ``None`` in programs).
    """
    env = os.environ if environ is None else environ
    config_path = path or Path(env.get(f"{ENV_PREFIX}CONFIG") or DEFAULT_CONFIG_PATH)
    data = _read_yaml(config_path)
    _check_environment(env)
    data.update(_secrets_from_files(env))
    try:
        config = AppConfig(**data)
    except ValidationError as exc:
        problems = [_describe(error, config_path) for error in exc.errors()]
        raise ConfigError("invalid configuration: " + " | ".join(problems)) from None
    _check_secret_lengths(config)
    if config.mode is Mode.LIVE and config.loop.speed != 1:
        raise ConfigError(
            f"`loop.speed` was {config.loop.speed} in live mode; a live clock runs at 1. "
            f"Fix {config_path} or {env_name('loop.speed')}"
        )
    return config
