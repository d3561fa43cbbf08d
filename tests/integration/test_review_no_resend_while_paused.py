"""An order left unsent by a crash is not resent while the restarted session is paused.

Defect guarded against: the log ends with the order's ``order.submitted`` and then a pause (the
operator paused while the order was going out, and the process died before the venue saw it).
The restart's reconcile resent the order before the session's pause was restored, so it reached
the venue while paused. After the restart the session is paused, and the venue never sees the
order: it does not rest there, and no ack or fill of it is ever recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.runtime.session_state import SessionTrigger
from aiswarm.types import OrderSpec
from aiswarm.venues import PaperVenue
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

STEPS = 400
PAUSED_STEPS = 20


class Crash(BaseException):
    """Kills the run where it stands: no handler in the engine catches a BaseException."""


async def test_restart_when_paused_while_order_unsent_then_order_never_reaches_venue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: as the first order goes out, the operator pauses and the process dies
    config = paper_config(tmp_path)
    host = await start(config)
    engine = host.engine

    async def pause_then_die(venue: PaperVenue, spec: OrderSpec) -> None:
        await engine.change_session(SessionTrigger.PAUSE, "operator pause")
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(PaperVenue, "submit", pause_then_die)
        with pytest.raises(Crash):
            await run_steps(host, STEPS)
    await host.store.close()  # dead: no stop record, and the venue never saw the order

    # Act
    restarted = await start(config)
    unsent = restarted.recovered.open_before_reconcile
    paused = restarted.engine.paused
    resting_at_restart = await restarted.engine.venue.open_orders()
    await run_steps(restarted, PAUSED_STEPS)
    resting_after_steps = await restarted.engine.venue.open_orders()
    seen_by_venue = [
        event.payload
        async for event in restarted.store.replay(types=["order.event"])
        if event.payload["client_order_id"] in unsent
        and (event.payload.get("venue_order_id") or event.payload.get("fill"))
    ]
    await restarted.stop("test over")

    # Assert
    assert len(unsent) == 1, "the log must end with one order sent to no venue"
    assert paused
    assert resting_at_restart == []
    assert resting_after_steps == []
    assert seen_by_venue == [], "an order reached the venue while the session was paused"
