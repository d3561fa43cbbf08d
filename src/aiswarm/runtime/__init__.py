"""Runtime: config to component graph, the trading loop, start and stop."""

from aiswarm.runtime.loop import CycleReport, TradingLoop
from aiswarm.runtime.platform import NOT_TRADING_REASON, Platform, PlatformStatus

__all__ = ["NOT_TRADING_REASON", "CycleReport", "Platform", "PlatformStatus", "TradingLoop"]
