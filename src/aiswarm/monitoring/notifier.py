"""Post alerts to Alertmanager's v2 API in the background; silence them when acknowledged.

Why a queue and a task: the cycle must never wait on the network. ``plan`` works out, from the
alerts that hold now, which started, which cleared and which are due to be sent again; the
runtime records the starts and clears in the event store, then ``send`` queues the posts and
returns at once. One background task posts them, retrying a failed post with exponential
backoff (``tenacity``); a post that still fails is logged and dropped, and is made good by the
next resend of a firing alert, or, for a lost resolve, by Alertmanager itself when the alert's
``endsAt`` passes (a firing alert is always sent with ``endsAt`` = now + ``hold_s``).

Times sent to Alertmanager are wall time (an injected clock): Alertmanager compares them with
its own clock, so the replay's decision time would read as long resolved. After a restart the
runtime hands back the alerts its log says were firing (``restore``): one whose condition
cleared while the process was down is resolved at the first step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from aiswarm.clock import Clock
from aiswarm.monitoring.alerts import Alert

__all__ = ["AlertNotifier", "AlertPlan", "NotifierError"]

_log = logging.getLogger(__name__)
_Key = tuple[str, tuple[tuple[str, str], ...]]
_QUEUE_SIZE = 1_000


class NotifierError(Exception):
    """Alertmanager did not take a request after every retry; the message says why."""


class _ServerError(Exception):
    """A 5xx answer: worth retrying (Alertmanager restarting, a proxy in between)."""


@dataclass(frozen=True, slots=True)
class AlertPlan:
    """What one update changes: alerts that started, that cleared, and firing ones to resend."""

    started: tuple[Alert, ...] = ()
    cleared: tuple[Alert, ...] = ()
    resend: tuple[Alert, ...] = ()


@dataclass(slots=True)
class _Firing:
    alert: Alert
    starts_at: datetime
    sent_at: datetime | None = None


@dataclass
class _Options:
    hold_s: float = 300.0
    resend_s: float = 60.0
    timeout_s: float = 5.0
    attempts: int = 5


class AlertNotifier:
    """Alertmanager client for one process; see the module docstring."""

    def __init__(
        self,
        url: str,
        wall: Clock,
        *,
        hold_s: float = 300.0,
        resend_s: float = 60.0,
        timeout_s: float = 5.0,
        attempts: int = 5,
        generator_url: str = "",
    ) -> None:
        self.url = url.rstrip("/")
        self._wall = wall
        self._options = _Options(hold_s, resend_s, timeout_s, attempts)
        self._generator_url = generator_url
        self._firing: dict[_Key, _Firing] = {}
        self._queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue(_QUEUE_SIZE)
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self.posted = 0
        self.failed = 0

    @property
    def firing(self) -> list[Alert]:
        """Return the alerts firing now, as last planned."""
        return [entry.alert for entry in self._firing.values()]

    def restore(self, firing: Iterable[Alert]) -> None:
        """Take back the alerts the log says were firing (at a restart, before any plan)."""
        now = self._wall.now()
        for alert in firing:
            self._firing[alert.key] = _Firing(alert, now)

    def start(self) -> None:
        """Open the HTTP client and start the background sender (on the running loop)."""
        if self._task is not None:
            return
        self._client = httpx.AsyncClient(base_url=self.url, timeout=self._options.timeout_s)
        self._task = asyncio.create_task(self._send_forever(), name="alert-notifier")

    def plan(self, active: Sequence[Alert]) -> AlertPlan:
        """Compare ``active`` with what fires; return the changes (state moves on at once)."""
        now = self._wall.now()
        holding = {alert.key: alert for alert in active}
        started = [alert for key, alert in holding.items() if key not in self._firing]
        cleared = [entry.alert for key, entry in self._firing.items() if key not in holding]
        resend_after = timedelta(seconds=self._options.resend_s)
        resend = [
            entry.alert
            for key, entry in self._firing.items()
            if key in holding and (entry.sent_at is None or now - entry.sent_at >= resend_after)
        ]
        for alert in cleared:
            del self._firing[alert.key]
        for alert in started:
            self._firing[alert.key] = _Firing(alert, now)
        return AlertPlan(tuple(started), tuple(cleared), tuple(resend))

    def send(self, plan: AlertPlan) -> None:
        """Queue the posts ``plan`` asks for; never waits (a full queue drops, logged)."""
        now = self._wall.now()
        body: list[dict[str, Any]] = []
        hold = timedelta(seconds=self._options.hold_s)
        for alert in plan.started + plan.resend:
            entry = self._firing.get(alert.key)
            if entry is None:
                continue
            entry.sent_at = now
            body.append(self._alert_body(alert, entry.starts_at, now + hold))
        for alert in plan.cleared:
            body.append(self._alert_body(alert, None, now))
        if not body:
            return
        try:
            self._queue.put_nowait(body)
        except asyncio.QueueFull:
            self.failed += len(body)
            _log.error("alert queue full; alerts dropped", extra={"alerts": len(body)})

    def _alert_body(
        self, alert: Alert, starts_at: datetime | None, ends_at: datetime
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "labels": alert.all_labels(),
            "annotations": {"summary": alert.summary, "description": alert.description},
            "endsAt": ends_at.isoformat(),
        }
        if starts_at is not None:
            body["startsAt"] = starts_at.isoformat()
        if self._generator_url:
            body["generatorURL"] = self._generator_url
        return body

    async def silence(
        self, matchers: Mapping[str, str], duration_s: float, created_by: str, comment: str
    ) -> dict[str, Any]:
        """Create a silence for alerts matching ``matchers``; return its id, start and end."""
        now = self._wall.now()
        ends = now + timedelta(seconds=duration_s)
        body = {
            "matchers": [
                {"name": name, "value": value, "isRegex": False, "isEqual": True}
                for name, value in sorted(matchers.items())
            ],
            "startsAt": now.isoformat(),
            "endsAt": ends.isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = await self._post("/api/v2/silences", body)
        return {"silence_id": answer["silenceID"], "starts_at": now, "ends_at": ends}

    async def _post(self, path: str, body: Any) -> Any:
        """POST ``body`` as JSON, retrying transport failures and 5xx with backoff."""
        client = self._client
        if client is None:
            raise NotifierError("the alert notifier is not started; start it before posting")
        options = self._options
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(options.attempts),
                wait=wait_exponential(multiplier=0.2, max=5.0),
                retry=retry_if_exception_type((httpx.TransportError, _ServerError)),
                reraise=True,
            ):
                with attempt:
                    answer = await client.post(path, json=body)
                    if answer.status_code >= 500:
                        raise _ServerError(f"{answer.status_code} {answer.text[:200]}")
        except (httpx.HTTPError, _ServerError) as exc:
            raise NotifierError(
                f"Alertmanager at {self.url} did not take POST {path} after "
                f"{options.attempts} attempts ({type(exc).__name__}: {exc}); check "
                "alerts.alertmanager_url and that Alertmanager runs"
            ) from None
        if answer.status_code >= 400:
            raise NotifierError(
                f"Alertmanager refused POST {path}: {answer.status_code} {answer.text[:200]}"
            )
        return answer.json() if answer.content else None

    async def _send_forever(self) -> None:
        while True:
            body = await self._queue.get()
            try:
                await self._post("/api/v2/alerts", body)
                self.posted += len(body)
            except NotifierError as exc:
                self.failed += len(body)
                _log.error("alerts not delivered", extra={"reason": str(exc)})
            finally:
                self._queue.task_done()

    async def close(self, timeout_s: float = 5.0) -> None:
        """Send what is queued (for up to ``timeout_s``), then stop the sender and the client."""
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout_s)
        except TimeoutError:
            _log.warning("alerts still queued at shutdown were dropped")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
