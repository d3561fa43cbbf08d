"""An order a crash left unsent is resent after the restart exactly as an unbroken run sends it.

Defect guarded against: the process dies between ``order.submitted`` and the venue's ack. The
restart resumed its clock at the last ``cycle.completed``, earlier than the order's decision, so
the resent order filled on a bar that opened before it was decided (look-ahead). The order's
fills after the restart must equal those of a run that never crashed, field for field: price,
quantity, fee, both times, trade id and venue order id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiswarm.config import AppConfig
from aiswarm.runtime import Host
from aiswarm.runtime.host import HOST_STREAM
from aiswarm.types import OrderSpec
from aiswarm.venues import PaperVenue
from kit.host import FIXED_NOTIONAL, paper_config, run_steps, start

pytestmark = pytest.mark.integration

STEPS = 400
STEPS_AFTER_RESTART = 5


class Crash(BaseException):
    """Kills the run where it stands: no handler in the engine catches a BaseException."""


async def _crash_on_submit(venue: PaperVenue, spec: OrderSpec) -> None:
    raise Crash


def _config(tmp_path: Path) -> AppConfig:
    tmp_path.mkdir()
    return paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL})


async def _first_order_id(host: Host) -> str:
    submitted = [
        event.payload["spec"]["client_order_id"]
        async for event in host.store.replay(types=["order.submitted"])
    ]
    assert submitted, "the replay must place an order"
    return str(submitted[0])


async def _decided_ns(host: Host, client_order_id: str) -> list[int]:
    """Return when ``client_order_id`` was recorded as submitted (once, if all is well)."""
    return [
        int(event.payload["ts_ns"])
        async for event in host.store.replay(types=["order.submitted"])
        if event.payload["spec"]["client_order_id"] == client_order_id
    ]


async def _fills(host: Host, client_order_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
    """Return the fills of ``client_order_id`` recorded after ``after_seq``, in log order."""
    return [
        event.payload["fill"]
        async for event in host.store.replay(types=["order.event"], after_seq=after_seq)
        if event.payload["client_order_id"] == client_order_id and event.payload.get("fill")
    ]


async def test_resend_when_crashed_before_ack_then_fills_equal_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: the first order of an uninterrupted run, and its fills
    reference = await start(_config(tmp_path / "uninterrupted"))
    await run_steps(reference, STEPS)
    order_id = await _first_order_id(reference)
    expected_decided_ns = await _decided_ns(reference, order_id)
    expected_fills = await _fills(reference, order_id)
    await reference.stop("test over")
    assert expected_fills, "the first order must fill in the uninterrupted run"

    # Act: the same run dies as that order goes out, after its order.submitted is recorded
    config = _config(tmp_path / "crashed")
    crashed = await start(config)
    with monkeypatch.context() as patch:
        patch.setattr(PaperVenue, "submit", _crash_on_submit)
        with pytest.raises(Crash):
            await run_steps(crashed, STEPS)
    await crashed.store.close()  # dead: no stop record, and the venue never saw the order
    restarted = await start(config)
    unsent = restarted.recovered.open_before_reconcile
    started = await restarted.store.account_head(HOST_STREAM)  # runtime.started
    await run_steps(restarted, STEPS_AFTER_RESTART)
    decided_ns = await _decided_ns(restarted, order_id)
    fills = await _fills(restarted, order_id)
    fills_after_restart = await _fills(restarted, order_id, after_seq=started.seq)
    await restarted.stop("test over")

    # Assert: the same order, decided at the same time, filled only after the restart, and
    # exactly as the uninterrupted run filled it
    assert unsent == (order_id,)
    assert decided_ns == expected_decided_ns
    assert fills_after_restart == fills
    assert fills_after_restart == expected_fills
