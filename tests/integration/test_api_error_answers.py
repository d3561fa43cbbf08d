"""Bad input to the API gets a 4xx whose body names the field and says why; never a 500.

Defects guarded against: a JSON body holding a number too large for a float
(``{"reason": 1e999999}`` parses as infinity) made FastAPI's own validation answer fail,
so any POST answered 500; a feed id that does not parse and an end before a start were
refused with bodies that named no field; a control character in a reason reached the log
(PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.runtime import TradingService
from kit.host import paper_config, start

pytestmark = pytest.mark.integration

KEY = "operator-api-key-of-at-least-32-bytes!"

# method, url, raw JSON body, expected status, the field the answer must name
PROBES: list[tuple[str, str, str | None, int, str]] = [
    ("GET", "/feeds/history?id=nope", None, 404, "id"),
    ("GET", "/events?after_seq=99999999999999999999999", None, 422, "after_seq"),
    ("GET", "/feeds/history?id=coinbase:BTC/USD:1m&start_ns=10&end_ns=5", None, 422, "end_ns"),
    ("GET", "/events?type=order.nope", None, 422, "type"),
    ("POST", "/session/pause", '{"reason": 1e999999}', 422, "reason"),
    ("POST", "/kill-switch/trip", '{"reason": -1e999999}', 422, "reason"),
    ("POST", "/kill-switch/reset", '{"reason": "x", "operator_id": 1e999999}', 422, "operator_id"),
    ("POST", "/kill-switch/trip", '{"reason": "stop\\u0000now"}', 422, "reason"),
    ("POST", "/session/pause", '{"reason": "x", "why": 1e999999}', 422, "why"),
]


async def test_api_when_bad_input_then_4xx_body_names_field_and_reason(tmp_path: Path) -> None:
    # Arrange
    host = await start(paper_config(tmp_path), bootstrap_key=KEY)
    transport = httpx.ASGITransport(
        app=create_app(TradingService(host)), raise_app_exceptions=False
    )
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    wrong: list[str] = []

    # Act
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        for method, url, body, status, field in PROBES:
            answer = await client.request(method, url, content=body)
            named = _fields(answer)
            if answer.status_code != status or named != [field] or field not in _detail(answer):
                wrong.append(f"{method} {url} {body}: {answer.status_code} {answer.text[:300]}")
    await host.stop("test over")

    # Assert
    assert wrong == []


def _fields(answer: httpx.Response) -> list[str]:
    try:
        return [problem["field"] for problem in answer.json()["errors"]]
    except (ValueError, KeyError, TypeError):
        return []


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return ""
