"""Name the modes the pipeline runs in, and which of them trade. No I/O.

Backtest, paper, shadow and live run the same code; only the clock, feeds and venue adapter
change. ``TRADING_MODES`` are the ones that run against real time and real market data.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TRADING_MODES", "Mode"]


class Mode(StrEnum):
    """How orders are executed: simulated history, simulated now, recorded only, or real."""

    BACKTEST = "backtest"
    PAPER = "paper"
    SHADOW = "shadow"
    LIVE = "live"


TRADING_MODES: frozenset[Mode] = frozenset({Mode.PAPER, Mode.SHADOW, Mode.LIVE})
"""Modes that run on the wall clock against live market data (all but BACKTEST)."""
