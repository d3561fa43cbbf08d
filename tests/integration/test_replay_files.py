"""Read the upstream files in /work/shared/data and check the shipped conversions match them.

These tests need the shared data folder and skip cleanly without it; nothing about the files
shipped in backtest_data/ depends on it (the unit tests cover those).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from aiswarm.market import read_bar_file, read_funding_rates
from aiswarm.types import Bar, Symbol, VenueId

SHARED = Path("/work/shared/data")
DATA = Path(__file__).resolve().parents[2] / "backtest_data"
LEAN = SHARED / "quantconnect_lean" / "Data"
MINUTE = LEAN / "crypto" / "coinbase" / "minute"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared/data is not present")


def read_bars(paths: Path | list[Path], venue: VenueId, symbol: Symbol) -> list[Bar]:
    return read_bar_file(paths, venue, symbol).bars.to_bars()


@pytest.mark.parametrize(
    ("shipped", "sources", "symbol"),
    [
        (
            "coinbase_btcusd_1m_2018-04-04_06.csv",
            [MINUTE / "btcusd" / f"2018040{d}_trade.zip" for d in (4, 5, 6)],
            "BTC/USD",
        ),
        (
            "coinbase_ethusd_1m_2018-04-04_05.csv",
            [MINUTE / "ethusd" / f"2018040{d}_trade.zip" for d in (4, 5)],
            "ETH/USD",
        ),
        (
            "coinbase_ltcusd_1m_2018-04-04_06.csv",
            [MINUTE / "ltcusd" / f"2018040{d}_trade.zip" for d in (4, 5, 6)],
            "LTC/USD",
        ),
        (
            "binance_btcusdt_1d_2020.csv",
            [SHARED / "basana" / "binance_btcusdt_day_2020.csv"],
            "BTC/USDT",
        ),
        (
            "bitstamp_btcusd_1m_2020-01-01.csv",
            [SHARED / "basana" / "bitstamp_btcusd_min_2020_01_01.csv"],
            "BTC/USD",
        ),
    ],
)
def test_shipped_bars_when_compared_with_upstream_then_identical(
    shipped: str, sources: list[Path], symbol: str
) -> None:
    # Arrange
    venue, sym = VenueId("x"), Symbol(symbol)

    # Act
    upstream = read_bars(sources if len(sources) > 1 else sources[0], venue, sym)
    ours = read_bars(DATA / shipped, venue, sym)

    # Assert
    assert ours == upstream


def test_shipped_funding_when_compared_with_lean_margin_interest_then_identical() -> None:
    source = LEAN / "cryptofuture" / "binance" / "margin_interest" / "btcusd.csv"
    venue, symbol = VenueId("binance"), Symbol("BTC/USD:BTC")
    assert read_funding_rates(DATA / "binance_btcusd_perp_funding_8h.csv", venue, symbol) == (
        read_funding_rates(source, venue, symbol)
    )


@pytest.mark.parametrize(
    "path", sorted((SHARED / "freqtrade" / "historical_1m_d50445108").glob("*.json"))
)
def test_freqtrade_ccxt_json_when_read_then_one_minute_bars(path: Path) -> None:
    bars = read_bars(path, VenueId("bittrex"), Symbol("ALT/BTC"))
    assert len(bars) > 10_000
    assert {bar.interval_s for bar in bars} == {60}


@pytest.mark.parametrize("path", sorted(LEAN.glob("crypto*/*/minute/*/*_trade.zip")))
def test_every_lean_minute_trade_zip_when_read_then_bars(path: Path) -> None:
    bars = read_bars([path], VenueId("lean"), Symbol("BTC/USD"))
    assert bars
    assert bars[0].interval_s == 60


@pytest.mark.parametrize(
    "path", sorted((SHARED / "freqtrade").glob("*-[0-9]*m.feather")), ids=lambda p: p.name
)
def test_freqtrade_feather_when_read_then_bars_on_a_reported_grid(path: Path) -> None:
    loaded = read_bar_file(path, VenueId("bittrex"), Symbol("ALT/BTC"))
    assert len(loaded.bars) > 500
    assert loaded.bars.interval_s in (60, 300, 1800)
    assert loaded.bars.price_decimals <= 8


def test_ftx_float_noise_csv_when_read_then_noise_rounded_away_and_counted() -> None:
    source = SHARED / "nautilus_trader" / "btc-perp-20211231-20220201_1m.csv"
    loaded = read_bar_file(source, VenueId("ftx"), Symbol("BTC-PERP"))
    bars = loaded.bars
    row = int(np.flatnonzero(bars.ts_ns == 1_641_006_480_000_000_000)[0])  # 2022-01-01 03:08
    assert bars.bar_at(row).volume == Decimal("218102.595075")
    assert (len(bars), loaded.volume.decimals, loaded.volume.values_rounded) == (45031, 6, 9)
