"""A perpetual with funding for integration tests: made-up hourly bars and the shipped rates.

The shipped Binance funding file settles every 8 hours from 2020-12-29 to 2020-12-31; these
bars cover those days, and a funding contrarian with a short window trades on the rates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from aiswarm.config import AppConfig, load_config
from kit.mandates import write_mandate

REPO = Path(__file__).resolve().parents[2]
PERP = "BTC/USD:BTC"
FUNDING_FILE = "binance_btcusd_perp_funding_8h.csv"


def perp_bars(path: Path) -> Path:
    """Write hourly bars of the perpetual over the funding file's first run (a made-up path).

    The 07:00 and 08:00 bars are missing each day, so the 08:00 settlement falls in a gap
    (it is stepped before the next bar) while 00:00 and 16:00 fall on closes (after the bar).
    """
    rows = ["timestamp,open,high,low,close,volume"]
    start = datetime(2020, 12, 28, tzinfo=UTC)
    price = Decimal("27000.0")
    for hour in range(4 * 24):
        close = price + Decimal((hour * 37) % 11 - 5) * 10
        high, low = max(price, close) + 5, min(price, close) - 5
        stamp = (start + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if hour % 24 not in (7, 8):
            rows.append(f"{stamp},{price},{high},{low},{close},100")
        price = close
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def perp_config(tmp_path: Path, **trading: Any) -> AppConfig:
    """Return a paper config replaying the perpetual and its funding, a contrarian trading it.

    Fixed 0.18 BTC positions keep a flip (0.36 BTC) under the default order notional limit.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    agents_file = tmp_path / "agents.yaml"
    contrarian = {
        "name": "funding_contrarian",
        "id": "funding",
        "symbols": [PERP],
        "params": {"window": 3, "threshold": 1.0, "exit_threshold": 0.3},
    }
    agents_file.write_text(yaml.safe_dump({"agents": [contrarian]}), encoding="utf-8")
    bars_file = perp_bars(tmp_path / "perp_1h.csv")
    mandates_dir = tmp_path / "mandates"
    write_mandate(
        mandates_dir,
        venues=["binance"],
        symbols=[PERP],
        description="the made-up perpetual at binance",
        strategy_types=["funding_contrarian"],
    )
    data = {
        "state_dir": str(tmp_path / "state"),
        "data_dir": str(REPO / "backtest_data"),
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path}/events.db"},
        "paper": {
            "starting_cash": "100000",
            "fee_frac": "0.001",
            "feeds": [{"file": str(bars_file), "venue": "binance", "symbol": PERP}],
            "funding": [{"file": FUNDING_FILE, "symbol": PERP}],
        },
        "trading": {
            "agents_file": str(agents_file),
            "mandates_dir": str(mandates_dir),
            "enable_at_start": True,
            "allocator": {"mode": "fixed_quantity", "fixed_quantity": "0.18"},
            "risk": {"max_market_data_age_s": 7200},
            **trading,
        },
    }
    config_file = tmp_path / "aiswarm.yaml"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(config_file, environ={})
