"""Indicators: each in a vectorised numpy form and a streaming form that give the same numbers.

The vectorised function takes whole float64 series and returns a series of the same length,
NaN where the indicator is not defined yet (warm-up). The streaming class takes one sample
(or bar) per ``update``, does constant work, and returns the same value the vectorised form
has at that index; it also exposes ``value`` and ``is_ready``. docs/indicators.md gives every
definition and convention, and how closely the two forms agree (bit for bit for all but the
volume profile's bin volumes, which agree to 1e-12 relative).

This room imports numpy and the standard library only, nothing else of ours and not scipy.
It does no I/O and reads no clock. The list below is long because the room is a catalogue:
each entry is one indicator's pair of forms.
"""

from aiswarm.indicators.atr import AtrStream, atr, true_range
from aiswarm.indicators.bands import Bands
from aiswarm.indicators.bollinger import BollingerStream, bollinger
from aiswarm.indicators.crossover import CrossDetector, crossover
from aiswarm.indicators.donchian import DonchianStream, donchian
from aiswarm.indicators.ema import EmaStream, ema
from aiswarm.indicators.keltner import KeltnerStream, keltner
from aiswarm.indicators.rsi import RsiStream, rsi
from aiswarm.indicators.sma import SmaStream, sma
from aiswarm.indicators.volume_baseline import (
    VolumeBaseline,
    VolumeBaselineStream,
    volume_baseline,
)
from aiswarm.indicators.volume_profile import (
    VolumeProfile,
    VolumeProfileStream,
    point_of_control,
    volume_profile,
)
from aiswarm.indicators.vwap import (
    SessionVwapStream,
    VwapStream,
    session_vwap,
    typical_price,
    vwap,
)
from aiswarm.indicators.zscore import ZScoreStream, rolling_zscore

__all__ = [
    "AtrStream",
    "Bands",
    "BollingerStream",
    "CrossDetector",
    "DonchianStream",
    "EmaStream",
    "KeltnerStream",
    "RsiStream",
    "SessionVwapStream",
    "SmaStream",
    "VolumeBaseline",
    "VolumeBaselineStream",
    "VolumeProfile",
    "VolumeProfileStream",
    "VwapStream",
    "ZScoreStream",
    "atr",
    "bollinger",
    "crossover",
    "donchian",
    "ema",
    "keltner",
    "point_of_control",
    "rolling_zscore",
    "rsi",
    "session_vwap",
    "sma",
    "true_range",
    "typical_price",
    "volume_baseline",
    "volume_profile",
    "vwap",
]
