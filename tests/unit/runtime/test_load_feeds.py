"""Paper feeds come through the one bar reader: any format, grids declared in config or inferred."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.config import load_config
from aiswarm.errors import ConfigError
from aiswarm.market import MarketFileError
from aiswarm.runtime.composition import load_feeds
from aiswarm.types import BarFileFormat, Symbol
from kit.bar_files import shipped_rows, write_ccxt_json, write_csv, write_feather

ROWS = shipped_rows(count=50)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("AIS_"):
            monkeypatch.delenv(name)


def _config(tmp_path: Path, feeds: str) -> Path:
    path = tmp_path / "aiswarm.yaml"
    path.write_text(f"data_dir: {tmp_path}\npaper:\n  feeds:\n{feeds}", encoding="utf-8")
    return path


def test_load_feeds_when_feather_and_json_then_read_with_declared_and_inferred_grids(
    tmp_path: Path,
) -> None:
    # Arrange
    write_feather(tmp_path / "BTC_USD-1m.feather", ROWS)
    write_ccxt_json(tmp_path / "ETH_USD-1m.json", ROWS)
    config = load_config(
        _config(
            tmp_path,
            "    - {file: BTC_USD-1m.feather, venue: coinbase, symbol: BTC/USD,"
            " price_decimals: 1, volume_decimals: 2}\n"
            "    - {file: ETH_USD-1m.json, venue: coinbase, symbol: ETH/USD}\n",
        )
    )

    # Act
    feeds = load_feeds(config)

    # Assert
    btc, eth = feeds[Symbol("BTC/USD")], feeds[Symbol("ETH/USD")]
    assert (btc.file_format, eth.file_format) == (BarFileFormat.FEATHER, BarFileFormat.JSON)
    assert (btc.price.decimals, btc.price.declared, btc.volume.decimals) == (1, True, 2)
    assert btc.bars.bar_at(0).open == Decimal("7424.9")  # 7424.91 on a 0.1 grid
    assert (eth.price.decimals, eth.price.declared) == (2, False)
    assert len(btc.bars) == len(eth.bars) == 50


def test_load_feeds_when_format_declared_wrong_then_one_line_names_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "bars.csv", ROWS)
    config = load_config(
        _config(
            tmp_path, "    - {file: bars.csv, venue: coinbase, symbol: BTC/USD, format: parquet}\n"
        )
    )
    with pytest.raises(MarketFileError, match=r"bars\.csv is not a readable parquet file"):
        load_feeds(config)


def test_config_when_feed_format_unknown_then_error_names_key(tmp_path: Path) -> None:
    path = _config(
        tmp_path, "    - {file: bars.csv, venue: coinbase, symbol: BTC/USD, format: xls}\n"
    )
    with pytest.raises(ConfigError, match="format"):
        load_config(path)
