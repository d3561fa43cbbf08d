"""Decimals as the `aiswarm` commands print them: plain, no `0E-8`, money to the quote's precision.

Each test runs the command as a user does and reads what it prints; the stored records and the
`--json` answers keep every value exact.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.clock import SimulatedClock
from aiswarm.store import open_event_store
from aiswarm.types import EventType

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
_UNPLAIN = re.compile(r'"-?[0-9]+(\.[0-9]*0|[.0-9]*E[-+]?[0-9]+)"')
"""A JSON string holding a decimal with an exponent or trailing zeros."""


def _aiswarm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )


async def test_events_list_when_payload_decimals_unnormalised_then_text_plain_and_json_as_recorded(
    tmp_path: Path,
) -> None:
    # Arrange: decimals as str(Decimal) records them
    url = f"sqlite:///{tmp_path}/events.db"
    recorded = {
        "fee": "0E-8",
        "pnl": "-36.43214968140000000000000000000000",
        "fill": {"quantity": "0.67414700", "price": "1E+3", "trade_id": "t-1.0"},
        "legs": ["2.50", "7"],
        "client_order_id": "0012",
        "version": "0.1.0",
    }
    clock = SimulatedClock(datetime(2024, 3, 1, tzinfo=UTC))
    async with await open_event_store(url, clock) as store:
        await store.append(EventType.ORDER_EVENT, recorded, account="alice")

    # Act
    shown = _aiswarm("events", "list", "--db", url)
    listed = _aiswarm("events", "list", "--db", url, "--json")

    # Assert: text reads plain; ids, versions and the --json record are untouched
    assert shown.returncode == 0, shown.stderr
    payload = json.loads(shown.stdout.split(" order.event ", 1)[1])
    assert payload == {
        "fee": "0",
        "pnl": "-36.4321496814",
        "fill": {"quantity": "0.674147", "price": "1000", "trade_id": "t-1.0"},
        "legs": ["2.5", "7"],
        "client_order_id": "0012",
        "version": "0.1.0",
    }
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["payload"] == recorded


def _quoted_in_btc(path: Path) -> Path:
    """Write 400 one-minute ETH/BTC bars: prices to 5 decimals, a swing the EMA cross trades."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = ["timestamp,open,high,low,close,volume"]
    for minute in range(400):
        close = Decimal("0.05") + Decimal(round(1500 * math.sin(minute / 15))).scaleb(-5)
        stamp = (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{stamp},{close},{close + Decimal('0.00011')},{close},{close},50000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_backtest_when_quote_has_five_decimals_then_fees_to_five_and_json_plain(
    tmp_path: Path,
) -> None:
    # Arrange
    data = _quoted_in_btc(tmp_path / "eth_btc.csv")
    args = ("backtest", "--data", str(data), "--agent", "ema_cross", "--symbol", "ETH/BTC")
    args += ("--cash", "100", "--notional", "10")

    # Act
    shown = _aiswarm(*args)
    answered = _aiswarm(*args, "--json")

    # Assert: the table shows fees in BTC to the price's 5 decimals, not rounded to cents
    assert shown.returncode == 0, shown.stderr
    fees = next(line for line in shown.stdout.splitlines() if "fees (quote units)" in line)
    strategy_fees = fees.split("│")[2].strip()
    assert re.fullmatch(r"0\.[0-9]{5}", strategy_fees), fees
    assert strategy_fees != "0.00000"
    assert answered.returncode == 0, answered.stderr
    summary = json.loads(answered.stdout)
    assert summary["orders"] > 2
    assert Decimal(summary["summary"]["strategy"]["fees"]).quantize(Decimal("0.00001")) == Decimal(
        strategy_fees
    )
    assert _UNPLAIN.findall(answered.stdout) == []


def test_bench_backtest_when_run_then_cash_and_position_plain() -> None:
    # Act
    result = _aiswarm("bench", "backtest", "--bars", "200", "--repeats", "1", "--json")

    # Assert: was "9939481.66908000000" and "1.000000"
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["final_cash"] == "9939481.66908"
    assert report["final_position"] == {"BTC/USDT": "1"}
    assert _UNPLAIN.findall(result.stdout) == []
