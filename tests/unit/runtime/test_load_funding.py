"""paper.funding: each file's rates are read for a fed symbol, labelled with its venue."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiswarm.config import AppConfig, load_config
from aiswarm.errors import ConfigError
from aiswarm.runtime.composition import instrument_for, load_feeds, load_funding
from aiswarm.types import InstrumentKind, Symbol

REPO = Path(__file__).resolve().parents[3]
FUNDING = "binance_btcusd_perp_funding_8h.csv"


def _config(tmp_path: Path, funding: list[dict[str, Any]]) -> AppConfig:
    data = {
        "data_dir": str(REPO / "backtest_data"),
        "paper": {
            "feeds": [
                {
                    "file": "coinbase_btcusd_1m_2018-04-04_06.csv",
                    "venue": "coinbase",
                    "symbol": "BTC/USD",
                }
            ],
            "funding": funding,
        },
    }
    path = tmp_path / "aiswarm.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(path, environ={})


def test_load_funding_when_shipped_file_for_a_fed_symbol_then_rates_labelled_with_its_feed(
    tmp_path: Path,
) -> None:
    # Arrange
    config = _config(tmp_path, [{"file": FUNDING, "symbol": "BTC/USD"}])

    # Act
    rates = load_funding(config)

    # Assert
    assert list(rates) == ["BTC/USD"]
    assert len(rates["BTC/USD"]) == 12
    assert {(rate.venue, rate.symbol) for rate in rates["BTC/USD"]} == {("coinbase", "BTC/USD")}
    assert str(rates["BTC/USD"][0].rate) == "0.00020030"


@pytest.mark.parametrize(
    ("funding", "message"),
    [
        ([{"file": FUNDING, "symbol": "ETH/USD"}], r"names ETH/USD, which no paper feed replays"),
        ([{"file": "nope.csv", "symbol": "BTC/USD"}], r"funding file .*nope\.csv does not exist"),
        (
            [{"file": FUNDING, "symbol": "BTC/USD"}, {"file": FUNDING, "symbol": "BTC/USD"}],
            r"lists BTC/USD twice",
        ),
    ],
    ids=["symbol_not_fed", "missing_file", "twice"],
)
def test_load_funding_when_misconfigured_then_config_error_names_the_fix(
    tmp_path: Path, funding: list[dict[str, Any]], message: str
) -> None:
    # Arrange
    config = _config(tmp_path, funding)

    # Act / Assert
    with pytest.raises(ConfigError, match=message):
        load_funding(config)


@pytest.mark.parametrize(
    ("symbol", "kind", "quote"),
    [
        ("BTC/USD", InstrumentKind.SPOT, "USD"),
        ("BTC/USD:BTC", InstrumentKind.PERPETUAL, "USD"),
        ("ETH/USDT:USDT", InstrumentKind.PERPETUAL, "USDT"),
    ],
)
def test_instrument_for_when_symbol_has_a_settle_currency_then_perpetual(
    tmp_path: Path, symbol: str, kind: InstrumentKind, quote: str
) -> None:
    # Arrange
    bars = replace(load_feeds(_config(tmp_path, []))["BTC/USD"].bars, symbol=Symbol(symbol))

    # Act
    instrument = instrument_for(bars)

    # Assert
    assert instrument.kind is kind
    assert (instrument.base, instrument.quote) == ("BTC" if "BTC" in symbol else "ETH", quote)
