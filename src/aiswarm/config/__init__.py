"""Configuration: YAML in `config/`, `AIS_…` overrides, secrets; validated and frozen."""

from aiswarm.config.credentials import ResolvedSecrets, resolve_secrets
from aiswarm.config.loader import DEFAULT_CONFIG_PATH, load_config
from aiswarm.config.models import ApiConfig, AppConfig, LoopConfig, StoreConfig

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ApiConfig",
    "AppConfig",
    "LoopConfig",
    "ResolvedSecrets",
    "StoreConfig",
    "load_config",
    "resolve_secrets",
]
