"""`aiswarm config check`: validate config, secrets, agents, mandates and feeds; reach the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiswarm.clock import WallClock
from aiswarm.config import DEFAULT_CONFIG_PATH, load_config, resolve_secrets
from aiswarm.runtime.composition import load_agents, load_feeds, load_mandates
from aiswarm.store import open_event_store

__all__ = ["check_config"]


async def check_config(path: Path | None) -> dict[str, Any]:
    """Return the effective config (secrets redacted), secret sources, agents, feeds, store.

    Raises `ConfigError` or `StoreError` with the key and the fix; creates nothing but the
    store's tables (opening a store runs its migrations).
    """
    config = load_config(path)
    resolved = resolve_secrets(config, create=False)
    agents = load_agents(config)
    mandates, bindings = load_mandates(config)
    feeds = load_feeds(config)
    store = await open_event_store(config.store.url, WallClock())
    try:
        head_seq, head_hash = await store.head()
        display_url = store.url_for_display
    finally:
        await store.close()
    effective = config.model_dump(mode="json")
    for name in resolved.sources:
        effective[name] = "(redacted)" if getattr(resolved.config, name) is not None else None
    return {
        "config_file": str(path or DEFAULT_CONFIG_PATH),
        "effective": effective,
        "secrets": resolved.sources,
        "store": {"url": display_url, "head_seq": head_seq, "head_hash": head_hash},
        "agents": [agent.agent_id for agent in agents],
        "mandates": {
            mandate_id: {
                "file": str(loaded.path),
                "status": loaded.mandate.status.value,
                "agents": sorted(a for a, m in bindings.mandate_of.items() if m == mandate_id),
            }
            for mandate_id, loaded in mandates.items()
        },
        "feeds": {symbol: loaded.summary() for symbol, loaded in feeds.items()},
    }
