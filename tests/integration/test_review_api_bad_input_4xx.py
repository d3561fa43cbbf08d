"""The operator API answers bad input with a 4xx, never a 500.

Defect guarded against: numbers out of the 64-bit range, an end before a start, and blank or
oversized reasons got through validation and failed inside the service, answering 500. Each
such request is refused with a 4xx. Odd but harmless input (a NUL filter matching nothing, a
reason that is a NUL) may be answered either way, but never with a 5xx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.runtime import TradingService
from kit.host import paper_config, start

pytestmark = pytest.mark.integration

KEY = "operator-api-key-of-at-least-32-bytes!"
FEED = "{feed}"  # replaced with the first feed the host serves

Probe = tuple[str, str, dict[str, Any] | None]

REFUSED: list[Probe] = [
    ("get", "/events?after_seq=99999999999999999999", None),
    ("get", "/events?after_seq=9223372036854775808", None),
    ("get", f"/feeds/history?id={FEED}&start_ns=10&end_ns=5", None),
    ("get", f"/feeds/history?id={FEED}&end_ns=-1", None),
    ("get", f"/feeds/history?id={FEED}&end_ns=99999999999999999999", None),
    ("get", "/feeds/history?id=%00", None),
    ("get", "/feeds/history?id=", None),
    ("post", "/kill-switch/trip", {"reason": "   "}),
    ("post", "/kill-switch/reset", {"reason": "x", "operator_id": "   "}),
    ("post", "/kill-switch/enable", {"reason": "x" * 200_000}),
]
"""Requests that must be refused with a 4xx."""

ODD: list[Probe] = [
    ("get", "/events?type=%00", None),
    ("get", "/events?account=%00", None),
    ("post", "/session/pause", {"reason": "\u0000"}),
]
"""Requests that may be answered or refused, but must not fail."""


async def _statuses(
    client: httpx.AsyncClient, probes: list[Probe], feed: str
) -> list[tuple[int, str]]:
    """Send each probe; return its status code and "METHOD url" (the body left out)."""
    statuses: list[tuple[int, str]] = []
    for method, url, body in probes:
        sent = url.replace(FEED, feed)
        answer = await client.request(method, sent, json=body)
        statuses.append((answer.status_code, f"{method.upper()} {sent}"))
    return statuses


async def test_api_when_input_out_of_range_or_blank_then_4xx_never_500(tmp_path: Path) -> None:
    # Arrange
    host = await start(paper_config(tmp_path), bootstrap_key=KEY)
    service = TradingService(host)
    feed = service.feeds()[0]["id"]
    transport = httpx.ASGITransport(app=create_app(service), raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {KEY}"}

    # Act
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        refused = await _statuses(client, REFUSED, feed)
        odd = await _statuses(client, ODD, feed)
    await host.stop("test over")

    # Assert
    assert [(status, sent) for status, sent in refused if not 400 <= status < 500] == []
    assert [(status, sent) for status, sent in odd if status >= 500] == []
