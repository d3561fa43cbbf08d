"""Benchmarks the command line runs (``aiswarm bench …``); never collected by the tests."""

from __future__ import annotations

from aiswarm.bench.events import run_event_bench

__all__ = ["run_event_bench"]
