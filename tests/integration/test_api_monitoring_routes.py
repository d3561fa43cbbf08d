"""The monitoring routes refuse what they must: no key, an unlisted operator, no Alertmanager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from aiswarm.api import create_app
from aiswarm.runtime import TradingService
from kit.host import admin_key, paper_config, start

pytestmark = pytest.mark.integration

_ACK = {"reason": "on it"}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    host = await start(paper_config(tmp_path))
    transport = httpx.ASGITransport(app=create_app(TradingService(host)))
    headers = {"Authorization": f"Bearer {await admin_key(host)}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        yield client
    await host.stop("test over")


async def test_metrics_when_no_key_then_401_and_with_key_then_prometheus_text(
    api: httpx.AsyncClient,
) -> None:
    refused = await api.get("/metrics", headers={"Authorization": ""})
    served = await api.get("/metrics")

    assert refused.status_code == 401
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/plain")
    assert "aiswarm_max_drawdown_frac" in served.text


async def test_acknowledge_when_body_names_an_operator_then_422_the_principal_acts(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post(
        "/alerts/KillSwitchTripped/acknowledge", json={**_ACK, "operator_id": "mallory"}
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "operator_id"


async def test_acknowledge_when_no_alertmanager_configured_then_409_and_nothing_recorded(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post("/alerts/KillSwitchTripped/acknowledge", json=_ACK)
    recorded = await api.get("/events", params={"type": "alert.acknowledged"})

    assert answer.status_code == 409
    assert "alerts.alertmanager_url" in answer.json()["detail"]
    assert recorded.json() == []


async def test_acknowledge_when_alert_name_malformed_then_422_naming_the_path_field(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post("/alerts/not-a-name!/acknowledge", json=_ACK)

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "alertname"
