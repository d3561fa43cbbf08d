"""Say whether a host can serve trading now: its store, its venue and its loop.

* **store**: it accepts appends (it has not failed or closed) and the head of the log can be
  read within ``PROBE_TIMEOUT_S``;
* **venue**: the venue answers an open-orders query within ``PROBE_TIMEOUT_S``;
* **loop**: while a driver run is in progress, a step (or the run's start) happened within
  ``STALLED_AFTER_INTERVALS`` cycle intervals of the pacing clock. A replay that has finished
  or a driver that is not running is reported as ``idle``, which is not a failure: there is
  nothing due.

Any failing check makes the host not ready (the API answers 503 with each check's detail).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiswarm.runtime.host import Host

__all__ = ["PROBE_TIMEOUT_S", "STALLED_AFTER_INTERVALS", "readiness"]

PROBE_TIMEOUT_S = 2.0
STALLED_AFTER_INTERVALS = 3
_NS = 1_000_000_000


async def readiness(host: Host) -> dict[str, Any]:
    """Return ``{"ready": bool, "checks": {name: {"ok", "detail"}}}`` for ``host``."""
    refusal = host.store.refusal
    checks = {
        "store": {"ok": False, "detail": refusal}
        if refusal is not None
        else await _probe("store", host.store.head()),
        "venue": await _probe("venue", host.engine.venue.open_orders()),
        "loop": _loop(host),
    }
    return {"ready": all(check["ok"] for check in checks.values()), "checks": checks}


async def _probe(name: str, query: Any) -> dict[str, Any]:
    try:
        await asyncio.wait_for(query, PROBE_TIMEOUT_S)
    except TimeoutError:
        return {"ok": False, "detail": f"{name} did not answer within {PROBE_TIMEOUT_S:g}s"}
    except Exception as exc:  # noqa: BLE001 - any failure of the probe is the answer
        return {"ok": False, "detail": f"{name} query failed: {type(exc).__name__}: {exc}"}
    return {"ok": True, "detail": f"{name} answered"}


def _loop(host: Host) -> dict[str, Any]:
    driver = host.driver
    if not driver.running:
        state = "replay finished" if driver.finished else "not stepping"
        return {"ok": True, "detail": f"idle: {state}"}
    interval_s = host.config.loop.interval_s
    quiet_s = (host.clock.now_ns() - driver.last_progress_ns) / _NS
    limit_s = STALLED_AFTER_INTERVALS * interval_s
    if quiet_s > limit_s:
        return {
            "ok": False,
            "detail": f"stalled: no step for {quiet_s:g}s of clock time > "
            f"{STALLED_AFTER_INTERVALS} x loop.interval_s={interval_s:g}",
        }
    return {"ok": True, "detail": f"stepping: last progress {quiet_s:g}s ago"}
