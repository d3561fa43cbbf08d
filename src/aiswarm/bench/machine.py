"""Describe the machine a benchmark ran on, and how fast it is running right now.

``machine_info`` names the machine in every report. ``baseline`` times two fixed workloads in
the benchmark's own process: a bare Python loop (how fast the interpreter dispatches, which
is what most of a trading cycle costs) and a bare HMAC-SHA256 (C code, as in signing). The
shared VM's speed drifts 2.5-3x from one day to the next, so a figure is only comparable with
one measured on another day after dividing by the baseline measured beside it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import platform
import statistics
import sys

from aiswarm.clock import Clock

__all__ = ["baseline", "machine_info"]

_LOOP_ITERATIONS = 200_000
_HMAC_CALLS = 20_000
_HMAC_KEY = b"k" * 32
_HMAC_MESSAGE = b"m" * 64


def machine_info() -> dict[str, object]:
    """Return CPU count, platform and Python version."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


def _loop(timer: Clock) -> float:
    """Return ns per iteration of a bare loop adding small integers."""
    total = 0
    started = timer.monotonic_ns()
    for number in range(_LOOP_ITERATIONS):
        total += number & 7
    elapsed = timer.monotonic_ns() - started
    if total < 0:  # never: keeps the loop's result in use
        raise AssertionError(total)
    return elapsed / _LOOP_ITERATIONS


def _hmac(timer: Clock) -> float:
    """Return ns per HMAC-SHA256 of a 64-byte message with a 32-byte key."""
    key, message, sha256 = _HMAC_KEY, _HMAC_MESSAGE, hashlib.sha256
    started = timer.monotonic_ns()
    for _ in range(_HMAC_CALLS):
        hmac.new(key, message, sha256).digest()
    return (timer.monotonic_ns() - started) / _HMAC_CALLS


def baseline(timer: Clock, repeats: int = 5) -> dict[str, float]:
    """Return the median ns per bare-loop iteration and per HMAC-SHA256 over ``repeats`` runs."""
    return {
        "loop_ns": round(statistics.median(_loop(timer) for _ in range(repeats)), 2),
        "hmac_sha256_ns": round(statistics.median(_hmac(timer) for _ in range(repeats)), 1),
    }
