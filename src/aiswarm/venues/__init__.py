"""Venues: the implementations of ``execution.Venue``.

``PaperVenue`` matches orders against bars (fills, fees, slippage, participation caps);
``ShadowVenue`` records what would have been sent and never fills. The live adapters (ccxt,
Hyperliquid) join them here; only the composition root in ``runtime/`` chooses one, and
credentials are read only in this room.
"""

from __future__ import annotations

from aiswarm.venues.fill_models import FeeModel, SlippageModel
from aiswarm.venues.paper_venue import PaperVenue
from aiswarm.venues.shadow_venue import ShadowVenue

__all__ = ["FeeModel", "PaperVenue", "ShadowVenue", "SlippageModel"]
