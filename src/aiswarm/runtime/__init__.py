"""Runtime: the trading engine, its drivers, the composition root, the host and the service."""

from aiswarm.runtime.engine import StepReport, TradingEngine
from aiswarm.runtime.host import Host
from aiswarm.runtime.service import TradingService
from aiswarm.runtime.stream_admin import StreamAdmin

__all__ = ["Host", "StepReport", "StreamAdmin", "TradingEngine", "TradingService"]
