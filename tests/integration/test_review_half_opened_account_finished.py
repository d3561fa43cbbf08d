"""A start that fails while opening an account leaves nothing half-made behind.

Defect guarded against: ``account.opened`` was recorded before the rest of the opening could
fail (an unreadable agents file, or a crash before the deposit or the ENABLE). The next start
resumed that half-made account with no cash and trading HALTED, and nothing would fund or
enable it again. After a failed first start, the next start gives one account, funded with the
configured starting cash and trading ACTIVE (``trading.enable_at_start``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aiswarm.config import AppConfig
from aiswarm.errors import ConfigError
from aiswarm.runtime import Host, TradingEngine
from aiswarm.types import TradingState
from kit.host import REPO, paper_config, start

pytestmark = pytest.mark.integration


class Crash(BaseException):
    """Kills the run where it stands: no handler in the engine catches a BaseException."""


async def _crash(engine: TradingEngine, amount: Decimal) -> None:
    raise Crash


async def _opened_and_funded(host: Host) -> tuple[list[str], Decimal, TradingState]:
    """Return which accounts the log opened, the account's cash and its trading state."""
    opened = [event.account async for event in host.store.replay(types=["account.opened"])]
    spine = host.engine.spine
    return opened, spine.portfolio.cash, spine.kill_switch.switch.state


def _config(tmp_path: Path, agents_file: Path) -> AppConfig:
    return paper_config(tmp_path, trading={"agents_file": str(agents_file)})


async def test_start_when_first_start_failed_on_agents_file_then_account_funded_and_active(
    tmp_path: Path,
) -> None:
    # Arrange: the first start refuses an agents file it cannot read
    with pytest.raises(ConfigError):
        await start(_config(tmp_path, tmp_path / "missing.yaml"))
    config = _config(tmp_path, REPO / "config" / "agents.yaml")

    # Act
    host = await start(config)
    opened, cash, state = await _opened_and_funded(host)
    await host.stop("test over")

    # Assert
    assert opened == [host.engine.account]
    assert cash == config.paper.starting_cash > 0
    assert state is TradingState.ACTIVE


async def test_start_when_first_start_died_before_deposit_then_account_funded_and_active(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: the first start dies after account.opened, before its deposit and ENABLE
    config = _config(tmp_path, REPO / "config" / "agents.yaml")
    with monkeypatch.context() as patch:
        patch.setattr(TradingEngine, "fund", _crash)
        with pytest.raises(Crash):
            await start(config)

    # Act
    host = await start(config)
    opened, cash, state = await _opened_and_funded(host)
    await host.stop("test over")

    # Assert
    assert opened == [host.engine.account]
    assert cash == config.paper.starting_cash > 0
    assert state is TradingState.ACTIVE
