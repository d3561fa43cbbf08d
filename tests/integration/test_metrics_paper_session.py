"""Every metric docs/metrics.md lists is exposed on /metrics and moves during a paper session.

The list is parsed from the doc, so the doc and the code cannot drift. The session is a real
paper host (shipped data, SQLite store, the engine, the OMS, the paper venue's matching) served
through the API. Faults are injected only at the edges, where a real deployment meets them: the
venue (``FlakyPaperVenue``: one submit times out, two are refused, which opens the circuit
breaker), one agent that raises for its first calls, and an approval signed with a key the OMS
does not know (a rogue executor). The loop starts ten minutes late, so the cycle lag moves. The
reconciliation drift moves through ``Monitor.report_drift``, the API the periodic reconciliation
calls (built on another branch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aiswarm.api import create_app
from aiswarm.clock import Clock, SimulatedClock
from aiswarm.config import AppConfig
from aiswarm.errors import TransientVenueError
from aiswarm.execution.venue import RejectCode, VenueAck
from aiswarm.risk import ApprovalSigner, HmacKeyring
from aiswarm.runtime import StepReport, TradingService, composition
from aiswarm.types import ClientOrderId, Instrument, Mode, OrderSpec, Symbol, VenueId
from aiswarm.venues import FeeModel, PaperVenue
from kit.host import FIXED_NOTIONAL, REPO, admin_key, paper_config, start

pytestmark = pytest.mark.integration

_ROW = re.compile(r"^\| `(aiswarm_[a-z_]+)` \| (\w+) \| ([^|]*) \| (.*) \|$", re.MULTILINE)
Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


def documented() -> dict[str, tuple[str, bool]]:
    """Return every metric docs/metrics.md lists: its type and whether it is set at start."""
    text = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    rows = {
        name: (kind, "(set at start)" in meaning) for name, kind, _, meaning in _ROW.findall(text)
    }
    assert len(rows) >= 25, "docs/metrics.md's table was not found"
    return rows


class FlakyPaperVenue(PaperVenue):
    """A paper venue on a bad day: its first submit times out, the next two are refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.faults = ["timeout", "refuse", "refuse"]

    async def submit(self, spec: OrderSpec) -> VenueAck:
        if self.faults:
            fault = self.faults.pop(0)
            if fault == "timeout":
                raise TransientVenueError("submit timed out (injected)")
            return VenueAck(
                client_order_id=spec.client_order_id,
                accepted=False,
                ts_ns=self._clock.now_ns(),
                code=RejectCode.VENUE_ERROR,
                reason="venue busy (injected)",
            )
        return await super().submit(spec)


def _flaky_venue(
    config: AppConfig, venue_id: VenueId, instruments: Mapping[Symbol, Instrument], clock: Clock
) -> FlakyPaperVenue:
    fee = config.paper.fee_frac
    return FlakyPaperVenue(
        venue_id, instruments, clock, fee_model=FeeModel(maker_fee_frac=fee, taker_fee_frac=fee)
    )


async def _scrape(client: httpx.AsyncClient) -> Samples:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            labels = frozenset(sample.labels.items())
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def _moved(history: list[Samples], name: str, kind: str) -> bool:
    """Return True if some labelled value of ``name`` changed over ``history``.

    A counter or histogram that appears has moved (it counts from nothing); a gauge must
    change value, or gain a label set, after it first appeared: being set is not moving.
    """
    present = [values for scrape in history if (values := scrape.get(name)) is not None]
    if not present:
        return False
    if kind != "gauge" and len(present) < len(history):
        return True
    labels = set().union(*present)
    return any(len({values.get(label) for values in present}) > 1 for label in labels)


async def test_paper_session_when_scraped_then_every_documented_metric_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange
    monkeypatch.setitem(composition.VENUES, Mode.PAPER, _flaky_venue)
    risk = {"max_position_notional_usd": "8000", "circuit_breaker_rejections": 2}
    config = paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL, "risk": risk})
    host = await start(config)
    assert isinstance(host.clock, SimulatedClock)
    agent = host.engine.coordinator.agents[0]
    propose = agent.propose
    broken = {"calls": 3}

    def failing_then_fine(frame: Any) -> Any:
        if broken["calls"]:
            broken["calls"] -= 1
            raise RuntimeError("agent bug (injected)")
        return propose(frame)

    monkeypatch.setattr(agent, "propose", failing_then_fine)
    transport = httpx.ASGITransport(app=create_app(TradingService(host)))
    headers = {"Authorization": f"Bearer {await admin_key(host)}"}
    history: list[Samples] = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        history.append(await _scrape(client))

        async def scrape_each_step(report: StepReport) -> None:
            await host.record_step(report)
            history.append(await _scrape(client))

        # Act
        account = host.engine.account
        host.monitor.report_drift(account, {"open_orders": 0, "positions": 0})  # clean at start
        host.clock.advance(600)  # the loop starts ten minutes late: it lags, then catches up
        await host.driver.run(scrape_each_step, max_steps=150)
        tripped = await client.post("/kill-switch/trip", json={"reason": "metrics test"})
        forged = HmacKeyring({"rogue": b"r" * 32}, "rogue").signer()
        spec = OrderSpec.model_validate(
            {
                **host.engine.spine.oms.orders[
                    next(iter(host.engine.spine.oms.orders))
                ].spec.model_dump(),
                "client_order_id": ClientOrderId("rogue-1"),
            }
        )
        approved = ApprovalSigner(forged, ttl_ns=5 * 10**9).approve(
            spec, host.engine.clock.now_ns()
        )
        refused = await host.engine.spine.oms.submit(approved, Decimal("1"))
        host.monitor.report_drift(account, {"open_orders": 1, "positions": 0})
        await host.driver.run(scrape_each_step, max_steps=2)
        history.append(await _scrape(client))
    await host.stop("test over")

    # Assert
    assert tripped.status_code == 200
    assert not refused.accepted
    final = history[-1]
    for name, (kind, at_start) in documented().items():
        assert name in final, f"{name} is listed in docs/metrics.md but not exposed"
        if at_start:
            assert any(value != 0 for value in final[name].values()), f"{name} was never set"
        else:
            assert _moved(history, name, kind), f"{name} did not move during the paper session"
