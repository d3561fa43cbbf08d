"""Mandates in a running paper engine: recorded before they take effect, back after a restart,
expired by the engine's step, and several at once (one per agent) in one account."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiswarm.config import AppConfig
from aiswarm.runtime import Host
from aiswarm.types import MandateStatus
from kit.host import FIXED_NOTIONAL, REPO, paper_config, run_steps, start
from kit.mandates import write_mandate

pytestmark = pytest.mark.integration

STEPS = 120  # two hours of the shipped minute bars, from Wednesday 2018-04-04 00:00 UTC


def _config(tmp_path: Path, **trading: Any) -> AppConfig:
    return paper_config(
        tmp_path,
        trading={"allocator": FIXED_NOTIONAL, "mandates_dir": str(tmp_path / "mandates")} | trading,
    )


async def _mandate_records(host: Host) -> list[dict[str, Any]]:
    return [event.payload async for event in host.store.replay(types=["mandate.changed"])]


async def _submitted(host: Host) -> list[dict[str, Any]]:
    return [event.payload["spec"] async for event in host.store.replay(types=["order.submitted"])]


async def test_start_when_new_account_then_mandate_recorded_and_restart_records_nothing_new(
    tmp_path: Path,
) -> None:
    # Arrange
    write_mandate(tmp_path / "mandates")
    config = _config(tmp_path)

    # Act: a start, a stop, and a start again with the same file
    host = await start(config)
    first = await _mandate_records(host)
    await host.stop("test")
    host = await start(config)
    second = await _mandate_records(host)
    await host.stop("test")

    # Assert
    assert [payload["reason"] for payload in first] == ["registered from its file"]
    assert first[0]["mandate"]["mandate_id"] == "paper"
    assert first[0]["source"] == str(tmp_path / "mandates" / "paper.yaml")
    assert second == first


async def test_start_when_file_changed_then_change_recorded_and_in_force(tmp_path: Path) -> None:
    # Arrange
    write_mandate(tmp_path / "mandates")
    config = _config(tmp_path)
    host = await start(config)
    await host.stop("test")
    write_mandate(tmp_path / "mandates", max_day_notional_usd=12_345)

    # Act
    host = await start(config)
    records = await _mandate_records(host)
    in_force = host.engine.mandate
    await host.stop("test")

    # Assert
    assert [payload["reason"] for payload in records] == [
        "registered from its file",
        "its file changed",
    ]
    assert str(in_force.max_day_notional_usd) == "12345"


async def test_step_when_mandate_expires_then_recorded_no_more_orders_and_stays_after_restart(
    tmp_path: Path,
) -> None:
    # Arrange: the mandate expires 40 minutes into the replay
    write_mandate(tmp_path / "mandates", valid_until="2018-04-04T00:40:00Z")
    config = _config(tmp_path)
    host = await start(config)

    # Act
    await run_steps(host, STEPS)
    records = await _mandate_records(host)
    specs = await _submitted(host)
    await host.stop("test")
    again = await start(config)
    status_after_restart = again.engine.mandate.status
    records_after_restart = await _mandate_records(again)
    await again.stop("test")

    # Assert
    assert [payload["reason"] for payload in records] == [
        "registered from its file",
        "valid_until passed",
    ]
    assert records[-1]["mandate"]["status"] == "expired"
    assert specs, "the replay must trade before the expiry"
    assert all(spec["created_at"] < "2018-04-04T00:40:00" for spec in specs)
    assert status_after_restart is MandateStatus.EXPIRED
    assert records_after_restart == records


async def test_run_when_agents_bound_to_two_mandates_then_each_trades_only_under_its_own(
    tmp_path: Path,
) -> None:
    # Arrange: one EMA cross per symbol, each under its own mandate
    mandates = tmp_path / "mandates"
    write_mandate(mandates, symbols=["ETH/USD"], strategy_types=["ema_cross"])
    write_mandate(mandates, mandate_id="btc", symbols=["BTC/USD"], strategy_types=["ema_cross"])
    agents = tmp_path / "agents.yaml"
    cross = {"name": "ema_cross", "params": {"fast": 5, "slow": 13}}
    agents.write_text(
        yaml.safe_dump(
            {
                "agents": [
                    cross | {"id": "ema-btc", "symbols": ["BTC/USD"]},
                    cross | {"id": "ema-eth", "symbols": ["ETH/USD"]},
                ]
            }
        ),
        encoding="utf-8",
    )
    config = _config(tmp_path, agents_file=str(agents), agent_mandates={"ema-btc": "btc"})
    host = await start(config)

    # Act
    await run_steps(host, STEPS)
    specs = await _submitted(host)
    decisions = [event.payload async for event in host.store.replay(types=["risk.decision"])]
    records = await _mandate_records(host)
    await host.stop("test")

    # Assert: both mandates traded, each only its own symbol, and nothing was refused for a
    # mandate it does not belong to
    by_mandate = {(spec["mandate_id"], spec["symbol"]) for spec in specs}
    assert by_mandate == {("btc", "BTC/USD"), ("paper", "ETH/USD")}
    codes = {refusal["code"] for payload in decisions for refusal in payload.get("refusals", [])}
    assert not {code for code in codes if code.startswith("MANDATE_")}
    assert sorted(payload["mandate"]["mandate_id"] for payload in records) == ["btc", "paper"]


async def test_run_when_shipped_mandate_then_paper_run_trades_under_it(tmp_path: Path) -> None:
    # Arrange: the shipped mandates directory, as `make run` uses it
    config = paper_config(
        tmp_path, trading={"allocator": FIXED_NOTIONAL, "mandates_dir": str(REPO / "mandates")}
    )
    host = await start(config)

    # Act
    await run_steps(host, STEPS)
    specs = await _submitted(host)
    await host.stop("test")

    # Assert
    assert specs
    assert {spec["mandate_id"] for spec in specs} == {"paper"}


async def test_run_when_trading_then_strategy_moves_recorded_and_resumed_after_restart(
    tmp_path: Path,
) -> None:
    # Arrange
    write_mandate(tmp_path / "mandates")
    config = _config(tmp_path)
    host = await start(config)

    # Act: trade, stop, start again and step on
    await run_steps(host, STEPS)
    before = await _strategy_moves(host)
    states = host.engine.strategies.states()
    await host.stop("test")
    again = await start(config)
    restored = again.engine.strategies.states()
    await run_steps(again, 5)
    after = (await _strategy_moves(again))[len(before) :]
    await again.stop("test")

    # Assert: each strategy's moves chain from idle, through an entry to managing; the
    # restart takes the states back and does not arm them again
    btc = [move for move in before if move["symbol"] == "BTC/USD"]
    assert [(move["from"], move["to"]) for move in btc[:2]] == [
        ("idle", "looking"),
        ("looking", "entered"),
    ]
    assert "managing" in {move["to"] for move in btc}
    for symbol in ("BTC/USD", "ETH/USD"):
        chain = [move for move in before if move["symbol"] == symbol]
        assert all(a["to"] == b["from"] for a, b in itertools.pairwise(chain))
    assert restored == states
    assert not [move for move in after if move["from"] == "idle"]


async def _strategy_moves(host: Host) -> list[dict[str, Any]]:
    return [event.payload async for event in host.store.replay(types=["strategy.state_changed"])]
