"""The day's PnL per UTC day, and the optional daily profit target and loss limit (in USD).

A day's PnL is NAV minus the NAV at the day's open (``portfolio.baseline`` records the opening
NAV of each UTC day; ``cycle.completed`` records NAV after each step). ``history`` rebuilds
every day from those records, so ``/pnl/status`` reads the same after a restart.

``DailyPnlGuard.check`` runs after every step: when the day's PnL reaches
``pnl.profit_target_usd`` the trading state moves to REDUCING (an ACTIVE account only: REDUCE
never loosens a halt) or to HALTED, as ``pnl.on_profit_target`` says; when the day's loss reaches
``pnl.loss_limit_usd`` the kill switch trips (HALTED, latched). Each move is a
``kill_switch.changed`` record whose reason starts with ``REASON_PREFIX``, written before it
takes effect; that record is also how a restart knows the day was already acted on, so each
bound acts at most once per UTC day and an operator's ENABLE afterwards is left alone. The two
bounds count apart: a profit target reached in the morning does not silence the loss limit for
the rest of the day (REDUCING still holds positions that can lose).
"""

from __future__ import annotations

from contextlib import aclosing
from datetime import date
from decimal import Decimal
from typing import Any

from aiswarm.clock import from_ns
from aiswarm.config.operations import DailyPnlConfig, ProfitTargetAction
from aiswarm.risk import KillTrigger, TripCause
from aiswarm.runtime.engine import TradingEngine
from aiswarm.store import EventStore
from aiswarm.types import EventType, TradingState
from aiswarm.types.money import plain

__all__ = ["REASON_PREFIX", "DailyPnlGuard", "history"]

REASON_PREFIX = "daily pnl: "
"""Starts the reason of every trading-state change this guard records."""
_LOSS = f"{REASON_PREFIX}loss "
_PROFIT = f"{REASON_PREFIX}profit "


class DailyPnlGuard:
    """Move the trading state at the configured daily PnL bounds; see the module docstring."""

    def __init__(self, engine: TradingEngine, config: DailyPnlConfig) -> None:
        self._engine = engine
        self._config = config
        self._loss_day: date | None = None  # the last UTC day the loss limit acted on
        self._target_day: date | None = None  # the last UTC day the profit target acted on

    @property
    def config(self) -> DailyPnlConfig:
        """Return the bounds this guard enforces."""
        return self._config

    async def restore(self, store: EventStore) -> None:
        """Take back from the stream the last UTC day each bound moved the trading state on."""
        replay = store.replay(types=[EventType.KILL_SWITCH_CHANGED], account=self._engine.account)
        async with aclosing(replay) as events:
            async for event in events:
                reason = str(event.payload.get("reason", ""))
                day = from_ns(int(event.payload["ts_ns"])).date()
                if reason.startswith(_LOSS):
                    self._loss_day = day
                elif reason.startswith(_PROFIT):
                    self._target_day = day

    def today_pnl(self) -> Decimal | None:
        """Return today's PnL (NAV now minus today's opening NAV), None before it is known."""
        portfolio = self._engine.spine.portfolio
        _, day, opening = portfolio.baselines()
        nav = portfolio.marked_nav()
        if nav is None or opening is None or day != self._engine.clock.now().date():
            return None
        return nav - opening

    async def check(self) -> str | None:
        """Move the trading state if today's PnL reached a bound; return the reason if it did."""
        config = self._config
        if config.profit_target_usd is None and config.loss_limit_usd is None:
            return None
        pnl = self.today_pnl()
        today = self._engine.clock.now().date()
        if pnl is None:
            return None
        control = self._engine.spine.kill_switch
        switch = control.switch
        loss_limit, target = config.loss_limit_usd, config.profit_target_usd
        loss = loss_limit is not None and -pnl >= loss_limit and self._loss_day != today
        if loss and loss_limit is not None:
            reason = f"{_LOSS}{plain(-pnl)} USD >= loss_limit_usd={plain(loss_limit)}"
            trigger = KillTrigger.TRIP
        elif target is not None and pnl >= target and self._target_day != today:
            reason = f"{_PROFIT}{plain(pnl)} USD >= profit_target_usd={plain(target)}"
            halt = config.on_profit_target is ProfitTargetAction.HALT
            trigger = KillTrigger.TRIP if halt else KillTrigger.REDUCE
        else:
            return None
        if trigger is KillTrigger.TRIP and switch.is_latched():
            return None  # already halted and latched: nothing to add
        if trigger is KillTrigger.REDUCE and switch.state is not TradingState.ACTIVE:
            return None  # REDUCE from HALTED would loosen a halt
        cause = TripCause.DAILY_PNL if trigger is KillTrigger.TRIP else None
        await control.command(trigger, reason, cause=cause)
        if loss:
            self._loss_day = today
        else:
            self._target_day = today
        return reason


async def history(store: EventStore, account: str) -> list[dict[str, Any]]:
    """Return each UTC day's opening NAV, last NAV and PnL, oldest first, from the stream."""
    days: dict[str, dict[str, Any]] = {}
    types = [EventType.PORTFOLIO_BASELINE, EventType.CYCLE_COMPLETED, EventType.KILL_SWITCH_CHANGED]
    replay = store.replay(types=types, account=account)
    async with aclosing(replay) as events:
        async for event in events:
            payload = event.payload
            if event.type == EventType.PORTFOLIO_BASELINE:
                if payload.get("day") is not None and payload.get("day_open_nav") is not None:
                    _day(days, payload["day"])["open_nav"] = Decimal(payload["day_open_nav"])
            elif event.type == EventType.CYCLE_COMPLETED:
                if payload.get("nav") is not None:
                    day = from_ns(int(payload["now_ns"])).date().isoformat()
                    _day(days, day)["last_nav"] = Decimal(payload["nav"])
            elif str(payload.get("reason", "")).startswith(REASON_PREFIX):
                day = from_ns(int(payload["ts_ns"])).date().isoformat()
                _day(days, day)["state_changes"].append(
                    {"to_state": payload.get("to_state"), "reason": payload["reason"]}
                )
    for row in days.values():
        opening, last = row["open_nav"], row["last_nav"]
        row["pnl"] = None if opening is None or last is None else last - opening
    return [days[day] for day in sorted(days)]


def _day(days: dict[str, dict[str, Any]], day: str) -> dict[str, Any]:
    return days.setdefault(
        day, {"day": day, "open_nav": None, "last_nav": None, "pnl": None, "state_changes": []}
    )
