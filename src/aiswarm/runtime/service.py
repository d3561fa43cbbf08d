"""The service facade: the one way the API (and next the MCP server and the CLI) reach engines.

Every operation names the account it acts on (``None`` means the host's only account) and
answers plain data with exact values (``Decimal`` money, integer nanoseconds, UTC datetimes),
leaving how they read to each transport. A command goes through the same recorded path as
everything else (a pause or a kill-switch reset is in the account's stream before it takes
effect). Mistakes raise ``ServiceError`` subclasses that say what was wrong:
``UnknownAccountError``, ``UnknownFeedError`` (the API answers 404) and ``RefusedError`` (an
illegal move, 409). Nothing above this module touches an engine's parts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import aclosing
from dataclasses import asdict
from typing import Any

from aiswarm.config import ApiConfig
from aiswarm.errors import InvalidTransition
from aiswarm.market import FeedIdError
from aiswarm.market import UnknownFeedError as NoSuchFeed
from aiswarm.monitoring import NotifierError
from aiswarm.monitoring.reconciliation_markdown import to_markdown
from aiswarm.risk import Authorisation, KillTrigger
from aiswarm.runtime import daily_pnl, store_views
from aiswarm.runtime.access_keys import Principal, Scope
from aiswarm.runtime.engine import TradingEngine
from aiswarm.runtime.host import HOST_STREAM, Host
from aiswarm.runtime.readiness import readiness
from aiswarm.runtime.session_state import SessionTrigger
from aiswarm.runtime.stream_admin import StreamAdmin
from aiswarm.types import AccountId

__all__ = [
    "RefusedError",
    "ServiceError",
    "TradingService",
    "UnavailableError",
    "UnknownAccountError",
    "UnknownFeedError",
    "UnknownKeyError",
]


class ServiceError(Exception):
    """A request the service cannot carry out; the message says why."""


class UnknownAccountError(ServiceError):
    """No engine runs the account asked for."""


class UnknownFeedError(ServiceError):
    """No feed with the id asked for."""


class UnknownKeyError(ServiceError):
    """No API key with the id asked for."""


class RefusedError(ServiceError):
    """The move is not allowed now (session or kill-switch table, or an unauthorised reset)."""


class UnavailableError(ServiceError):
    """A service the request needs (Alertmanager) did not answer; retry later."""


class TradingService:
    """Status, orders, positions, session and kill-switch control, events: over one host."""

    def __init__(self, host: Host) -> None:
        self._host = host

    @property
    def mode(self) -> str:
        """Return the mode the host runs in."""
        return self._host.config.mode.value

    @property
    def streams(self) -> StreamAdmin:
        """Return the facade over the host's bus: pending, dead letters, requeue."""
        return StreamAdmin(self._host.bus, self._host.store)

    @property
    def api_settings(self) -> ApiConfig:
        """Return the config's ``api`` section (CORS origins, rate limit, public metrics)."""
        return self._host.config.api

    def _engine(self, account: str | None) -> TradingEngine:
        engines = self._host.engines
        if account is None:
            return self._host.engine
        engine = engines.get(AccountId(account))
        if engine is None:
            raise UnknownAccountError(
                f"account {account!r} is not run here; known: {', '.join(engines) or 'none'}"
            )
        return engine

    async def status(self, account: str | None = None) -> dict[str, Any]:
        """Return the account's session, counters, NAV and PnL, kill switch and store head."""
        self._engine(account)
        head_seq, _ = await self._host.store.head()
        return {**self._host.status(), "store_head_seq": head_seq}

    def orders(self, account: str | None = None, open_only: bool = False) -> list[dict[str, Any]]:
        """Return the account's orders (only working ones with ``open_only``)."""
        oms = self._engine(account).spine.oms
        chosen = oms.open_orders() if open_only else list(oms.orders.values())
        return [
            {
                "client_order_id": order.client_order_id,
                "status": order.status.value,
                "filled_quantity": order.filled_quantity,
                "average_fill_price": order.average_fill_price,
                "spec": order.spec.model_dump(),
            }
            for order in chosen
        ]

    async def orders_with_history(
        self, account: str | None = None, open_only: bool = False
    ) -> list[dict[str, Any]]:
        """Return the account's orders, each with its recorded steps (the store's history)."""
        engine = self._engine(account)
        orders = self.orders(account, open_only)
        chosen = {order["client_order_id"] for order in orders} if open_only else None
        histories = await store_views.order_histories(self._host.store, engine.account, chosen)
        return [
            {**order, "history": histories.get(order["client_order_id"], [])} for order in orders
        ]

    async def fills(
        self, after_seq: int = 0, limit: int = 100, account: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the account's recorded fills after ``after_seq``, oldest first."""
        engine = self._engine(account)
        return await store_views.fills(self._host.store, engine.account, after_seq, limit)

    async def cycles(self, last: int = 10, account: str | None = None) -> list[dict[str, Any]]:
        """Return the last completed cycles with their signals and decisions."""
        engine = self._engine(account)
        return await store_views.cycles(self._host.store, engine.account, last)

    async def refusals(self, account: str | None = None) -> dict[str, Any]:
        """Return the risk engine's and the OMS's refusals, counted by reason code."""
        engine = self._engine(account)
        return await store_views.refusals_by_reason(self._host.store, engine.account)

    def portfolio(self, account: str | None = None) -> dict[str, Any]:
        """Return cash, NAV, PnL, the drawdown baselines and fees (no valuation is recorded)."""
        engine = self._engine(account)
        book = engine.spine.portfolio
        peak, day, day_open = book.baselines()
        nav = book.marked_nav()
        return {
            "account": engine.account,
            "cash": book.cash,
            "nav": nav,
            "pnl": None if nav is None else nav - engine.starting_cash,
            "starting_cash": engine.starting_cash,
            "peak_nav": peak,
            "day": None if day is None else day.isoformat(),
            "day_open_nav": day_open,
            "total_fees": book.total_fees,
            "open_positions": len(book.open_markets()),
        }

    def balances(self, account: str | None = None) -> list[dict[str, Any]]:
        """Return the account's cash per currency as the engine books it."""
        engine = self._engine(account)
        quotes = sorted({instrument.quote for instrument in engine.instruments.values()})
        return [{"currency": quote, "amount": engine.spine.portfolio.cash} for quote in quotes]

    async def readiness(self) -> dict[str, Any]:
        """Return whether the store, the venue and the loop are healthy, with each detail."""
        return await readiness(self._host)

    async def pnl_status(self, account: str | None = None) -> dict[str, Any]:
        """Return today's PnL, the configured bounds and every UTC day's PnL from the store."""
        engine = self._engine(account)
        guard = self._host.pnl_guard
        config = guard.config
        return {
            "account": engine.account,
            "day": engine.clock.now().date().isoformat(),
            "today_pnl": guard.today_pnl(),
            "profit_target_usd": config.profit_target_usd,
            "loss_limit_usd": config.loss_limit_usd,
            "on_profit_target": config.on_profit_target.value,
            "trading_state": engine.spine.kill_switch.switch.state.value,
            "days": await daily_pnl.history(self._host.store, engine.account),
        }

    async def reconciliations(
        self, last: int = 10, account: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the last reconciliation reports, newest last."""
        engine = self._engine(account)
        return await store_views.reconciliation_reports(self._host.store, engine.account, last)

    async def reconcile(self, account: str | None = None) -> dict[str, Any]:
        """Reconcile now: the report (recorded, acted on) and its Markdown."""
        self._engine(account)
        report = await self._host.reconciler.reconcile()
        return {**report.model_dump(mode="json"), "markdown": to_markdown(report)}

    async def stream(
        self,
        after_seq: int,
        limit: int | None = None,
        idle_s: float = 2.0,
        poll_s: float = 0.25,
        account: str | None = None,
    ) -> AsyncIterator[dict[str, Any] | None]:
        """Yield the account's streamed events (``store_views.STREAMED_TYPES``) after ``after_seq``.

        Only the account's own stream and the host's (start and stop records): a store shared
        by several accounts never shows one account's orders to another's stream. Polls the
        store every ``poll_s`` seconds, so a stream restarted with the last seq it saw resumes
        exactly where it stopped; yields None after each ``idle_s`` without an event (a
        heartbeat for the transport); ends after ``limit`` events when given.
        """
        shown = {self._engine(account).account, HOST_STREAM}
        sent = 0
        idle = 0.0
        while limit is None or sent < limit:
            batch = await self.events(store_views.STREAMED_TYPES, after_seq, 100)
            for row in batch:
                after_seq = row["seq"]
                if row["account"] not in shown:
                    continue
                yield row
                sent += 1
                if limit is not None and sent >= limit:
                    return
            if batch:
                idle = 0.0
                continue
            await asyncio.sleep(poll_s)
            idle += poll_s
            if idle >= idle_s:
                idle = 0.0
                yield None

    def positions(self, account: str | None = None) -> list[dict[str, Any]]:
        """Return the account's positions (flat ones included once traded)."""
        engine = self._engine(account)
        held = []
        for series in engine.market:
            position = engine.spine.portfolio.position(series.venue, series.symbol)
            if position is not None:
                held.append(position.model_dump())
        return held

    async def pause(self, reason: str, by: str, account: str | None = None) -> str:
        """Pause the account's session for principal ``by``: the OMS refuses new orders."""
        return await self._session(SessionTrigger.PAUSE, reason, by, account)

    async def resume(self, reason: str, by: str, account: str | None = None) -> str:
        """Resume a paused session for principal ``by``."""
        return await self._session(SessionTrigger.RESUME, reason, by, account)

    async def _session(
        self, trigger: SessionTrigger, reason: str, by: str, account: str | None
    ) -> str:
        try:
            state = await self._engine(account).change_session(trigger, reason, by)
        except InvalidTransition as exc:
            raise RefusedError(str(exc)) from None
        return state.value

    def kill_switch(self, account: str | None = None) -> dict[str, Any]:
        """Return the kill switch's state and latch, and whether a flatten is still owed."""
        control = self._engine(account).spine.kill_switch
        switch = control.switch
        return {
            "state": switch.state.value,
            "latched": switch.is_latched(),
            "flatten_owed": control.flatten_owed(),
        }

    def trading_state(self, account: str | None = None) -> dict[str, Any]:
        """Return the trading state (ACTIVE, REDUCING, HALTED), its latch and the session."""
        engine = self._engine(account)
        switch = self.kill_switch(account)
        return {**switch, "session": engine.session.value}

    async def command_kill_switch(
        self,
        trigger: KillTrigger,
        reason: str,
        by: str,
        account: str | None = None,
        by_key_id: str | None = None,
    ) -> dict[str, Any]:
        """Trip, enable or reset the kill switch for principal ``by`` (recorded as operator).

        A reset needs ``by`` to be an admin principal (the kill switch checks it again).
        """
        control = self._engine(account).spine.kill_switch
        try:
            authorisation = Authorisation(by, reason, by_key_id)
            change = await control.command(trigger, reason, authorisation)
        except (InvalidTransition, ValueError) as exc:
            raise RefusedError(str(exc)) from None
        return change.model_dump()

    async def stop_flatten(
        self, reason: str, by: str, account: str | None = None
    ) -> dict[str, Any]:
        """Stop the flatten a trip owes (``by`` an admin principal), until the next trip."""
        control = self._engine(account).spine.kill_switch
        try:
            await control.stop_flatten(Authorisation(by, reason))
        except InvalidTransition as exc:
            raise RefusedError(str(exc)) from None
        return self.kill_switch(account)

    async def authenticate(self, presented: str) -> Principal | None:
        """Return the principal a presented API key stands for now (revocations count)."""
        access = self._host.access
        await access.refresh(self._host.store)
        return access.authenticate(presented)

    def access_keys(self) -> list[dict[str, Any]]:
        """Return every API key ever created (never the key): id, name, scope, revoked."""
        return self._host.access.listed()

    async def create_access_key(
        self, name: str, scope: Scope, by: str, by_key_id: str | None = None
    ) -> dict[str, Any]:
        """Create a key for principal ``name``; the answer holds the key, shown only here."""
        access, store = self._host.access, self._host.store
        try:
            record, key = await access.create(store, name, scope, by, by_key_id)
        except ValueError as exc:
            raise RefusedError(str(exc)) from None
        return {"key_id": record.key_id, "name": name, "scope": scope.value, "key": key}

    async def revoke_access_key(
        self, key_id: str, by: str, by_key_id: str | None = None
    ) -> dict[str, Any]:
        """Revoke ``key_id`` (refused from the next request on)."""
        try:
            await self._host.access.revoke(self._host.store, key_id, by, by_key_id)
        except KeyError as exc:
            raise UnknownKeyError(str(exc.args[0])) from None
        return next(row for row in self._host.access.listed() if row["key_id"] == key_id)

    def approval_keys(self) -> list[dict[str, Any]]:
        """Return every approval key id: generation, whether it signs, and whether retired."""
        return self._host.approval_keys.state()

    async def rotate_approval_key(self, reason: str, by: str) -> dict[str, Any]:
        """Add the next approval key id; new approvals are signed with it at once."""
        return await self._host.approval_keys.rotate(by, reason)

    async def events(
        self,
        types: Collection[str] | None = None,
        after_seq: int = 0,
        limit: int = 100,
        account: str | None = None,
    ) -> list[dict[str, Any]]:
        """Return up to ``limit`` recorded events after ``after_seq`` (any account by default)."""
        rows: list[dict[str, Any]] = []
        replay = self._host.store.replay(types=types, after_seq=after_seq, account=account)
        async with aclosing(replay) as events:
            async for event in events:
                rows.append(
                    {
                        "seq": event.seq,
                        "ts_ns": event.ts_ns,
                        "account": event.account,
                        "type": event.type,
                        "payload": event.payload,
                    }
                )
                if len(rows) >= limit:
                    break
        return rows

    async def verify_events(self) -> dict[str, Any]:
        """Walk the whole hash chain and report what was found."""
        return asdict(await self._host.store.verify())

    def feeds(self) -> list[dict[str, Any]]:
        """Return the feeds this host replays, with their coverage."""
        return [
            {
                "id": str(spec.feed_id),
                "schema": spec.schema.value,
                "latency": spec.latency.value,
                "coverage": None
                if spec.coverage is None
                else {
                    "first_ts_ns": spec.coverage.first_ts_ns,
                    "last_ts_ns": spec.coverage.last_ts_ns,
                    "records": spec.coverage.records,
                },
            }
            for spec in self._host.feeds.list()
        ]

    async def feed_history(
        self, feed_id: str, start_ns: int, end_ns: int, limit: int
    ) -> list[dict[str, Any]]:
        """Return up to ``limit`` records of ``feed_id`` in ``[start_ns, end_ns)``."""
        try:
            feed = self._host.feeds.get(feed_id)
        except (NoSuchFeed, FeedIdError) as exc:
            raise UnknownFeedError(str(exc)) from None
        rows: list[dict[str, Any]] = []
        async for batch in feed.history(start_ns, end_ns, min(limit, 1_000)):
            rows.extend(record.model_dump() for record in batch)
            if len(rows) >= limit:
                break
        return rows[:limit]

    # ------------------------------------------------------------------ monitoring

    def metrics(self) -> tuple[bytes, str]:
        """Return the Prometheus scrape body of this process and its content type."""
        return self._host.monitor.metrics.exposition()

    def alerts(self) -> list[dict[str, Any]]:
        """Return the alerts firing now (empty when no Alertmanager is configured)."""
        return self._host.monitor.firing()

    async def acknowledge_alert(
        self,
        alertname: str,
        by: str,
        reason: str,
        duration_s: float,
        account: str | None = None,
    ) -> dict[str, Any]:
        """Silence ``alertname`` for ``duration_s`` in Alertmanager; record principal ``by``."""
        engine = self._engine(account)
        monitor = self._host.monitor
        if monitor.notifier is None:
            raise RefusedError(
                "no Alertmanager is configured; set alerts.alertmanager_url to acknowledge alerts"
            )
        try:
            return await monitor.acknowledge(engine, alertname, by, reason, duration_s)
        except NotifierError as exc:
            raise UnavailableError(str(exc)) from None
