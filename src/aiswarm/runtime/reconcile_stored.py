"""Reconcile a stored account from outside the running process: ``aiswarm reconcile``.

The account is rebuilt from the event store exactly as a start rebuilds it (``open_engine``:
orders, positions, cash, and for paper mode the simulated venue's book, which is itself rebuilt
from the log), then one reconciliation round runs and its report is appended to the account's
stream like a scheduled one, thresholds and all. No session is started and nothing is traded;
``runtime.started`` is not recorded, because no runtime starts.
"""

from __future__ import annotations

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.config import AppConfig
from aiswarm.errors import ConfigError
from aiswarm.monitoring.reconciliation import ReconciliationReport
from aiswarm.runtime.composition import choose_account, load_feeds, open_engine
from aiswarm.runtime.reconciler import Reconciler
from aiswarm.runtime.venue_holdings import holdings_for
from aiswarm.store import open_event_store

__all__ = ["reconcile_stored_account"]

_NS = 1_000_000_000


async def reconcile_stored_account(
    config: AppConfig, approval_secret: bytes, account: str | None = None
) -> ReconciliationReport:
    """Rebuild ``account`` (default: the mode's newest) from the store, reconcile it once."""
    bars = {symbol: loaded.bars for symbol, loaded in load_feeds(config).items()}
    first_close = min(int(b.ts_ns[0]) + b.interval_s * _NS for b in bars.values())
    store = await open_event_store(config.store.url, SimulatedClock(from_ns(first_close)))
    try:
        chosen, open_new = await choose_account(
            store, config.mode, requested=account, new_account=False
        )
        if open_new:
            raise ConfigError(
                f"the store {store.url_for_display} holds no {config.mode.value} account; "
                "start one with `aiswarm run`, or pass --account"
            )
        head = await store.account_head(chosen)
        # Stamps go on from the account's newest record: its stream never goes back in time.
        store.use_clock(SimulatedClock(from_ns(max(first_close, head.ts_ns))))
        recovered = await open_engine(
            config,
            store,
            approval_secret,
            account=chosen,
            open_new=False,
            feeds=bars,
            clock=SimulatedClock(from_ns(first_close - 1)),
        )
        engine = recovered.engine
        reconciler = Reconciler(engine, holdings_for(engine), config.reconciliation)
        await reconciler.restore(store)
        return await reconciler.reconcile()
    finally:
        await store.close()
