"""Runtime: config to component graph, the trading loop, sessions, start and stop."""

from aiswarm.runtime.loop import CycleCounts, CycleReport, TradingLoop
from aiswarm.runtime.platform import Platform

__all__ = ["CycleCounts", "CycleReport", "Platform", "TradingLoop"]
