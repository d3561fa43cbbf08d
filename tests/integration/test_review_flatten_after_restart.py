"""A trip's flattening that a crash cut short is carried on after the restart until flat.

Defect guarded against: with ``flatten_on_trip``, the process died after the trip was recorded
and before any flattening order was placed. The restart restored the latch, a latched switch
never trips again, and so the open positions were never closed. After the restart the switch is
still latched and the first step places, for every open position, one reduce-only market IOC
order for its full size on the closing side. A flatten is limited by the venue's participation
cap, so a position need not be flat after one bar: the flatten is a standing duty, and later
steps close what is still held. A second restart right after never leaves two closing orders
working for one symbol, places none for a position already closed, and never closes more than
is held.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aiswarm.config import AppConfig
from aiswarm.orchestration.flatten_duty import FlattenDuty
from aiswarm.runtime import Host
from aiswarm.runtime.host import HOST_STREAM
from aiswarm.types import Symbol, TimeInForce
from kit.host import paper_config, run_steps, start

pytestmark = pytest.mark.integration

STEPS = 600
STEPS_TO_CLOSE = 5


class Crash(BaseException):
    """Kills the run where it stands: no handler in the engine catches a BaseException."""


async def _crash(duty: FlattenDuty, *args: Any, **kwargs: Any) -> None:
    raise Crash


def _config(tmp_path: Path) -> AppConfig:
    risk = {"flatten_on_trip": True, "max_daily_loss_frac": "0.0005"}
    return paper_config(tmp_path, trading={"risk": risk})


async def _crash_between_trip_and_flatten(
    config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trade until the daily-loss limit trips; die once the trip is recorded, before a flatten."""
    host = await start(config)
    with monkeypatch.context() as patch:
        patch.setattr(FlattenDuty, "_place", _crash)
        with pytest.raises(Crash):
            await run_steps(host, STEPS)
    await host.store.close()  # dead: no stop record, nothing cancelled


def _open_positions(host: Host) -> dict[Symbol, Decimal]:
    """Return the quantity of every position that is not flat, by symbol."""
    portfolio = host.engine.spine.portfolio
    held = (portfolio.position(series.venue, series.symbol) for series in host.engine.market)
    return {p.symbol: p.quantity for p in held if p is not None and not p.is_flat}


def _working_flattens(host: Host) -> Counter[Symbol]:
    """Count the closing orders (reduce-only IOC) still working, by symbol."""
    return Counter(
        order.spec.symbol
        for order in host.engine.spine.oms.open_orders()
        if order.spec.reduce_only and order.spec.time_in_force is TimeInForce.IOC
    )


async def _flattens(host: Host, after_seq: int = 0) -> list[Mapping[str, Any]]:
    """Return the closing orders (reduce-only IOC) recorded as submitted after ``after_seq``.

    Only the kill switch places IOC orders; the agents' own exits rest (GTC).
    """
    specs = [
        event.payload["spec"]
        async for event in host.store.replay(types=["order.submitted"], after_seq=after_seq)
    ]
    return [spec for spec in specs if spec["reduce_only"] and spec["time_in_force"] == "ioc"]


def _closing(held: Mapping[Symbol, Decimal]) -> dict[str, tuple[str, Decimal]]:
    """Return the side and size that close each position in ``held``."""
    return {
        symbol: ("sell" if quantity > 0 else "buy", abs(quantity))
        for symbol, quantity in held.items()
    }


def _placed(specs: list[Mapping[str, Any]]) -> dict[str, tuple[str, Decimal]]:
    """Return the side and size of each closing order, by symbol."""
    return {spec["symbol"]: (spec["side"], Decimal(spec["quantity"])) for spec in specs}


def _overclosed(before: Mapping[Symbol, Decimal], after: Mapping[Symbol, Decimal]) -> list[Symbol]:
    """Return the symbols whose position grew or flipped sign from ``before`` to ``after``."""
    overclosed: list[Symbol] = []
    for symbol, quantity in after.items():
        was = before.get(symbol, Decimal(0))
        if abs(quantity) > abs(was) or quantity * was < 0:
            overclosed.append(symbol)
    return overclosed


async def test_restart_when_crashed_between_trip_and_flatten_then_steps_flatten_until_flat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange
    config = _config(tmp_path)
    await _crash_between_trip_and_flatten(config, monkeypatch)

    # Act
    restarted = await start(config)
    latched = restarted.engine.spine.kill_switch.switch.is_latched()
    held = _open_positions(restarted)
    flattened_before = await _flattens(restarted)
    started = await restarted.store.account_head(HOST_STREAM)  # runtime.started
    await run_steps(restarted, 1)
    placed = await _flattens(restarted, after_seq=started.seq)
    first_step = await restarted.store.account_head(restarted.engine.account)
    await run_steps(restarted, STEPS_TO_CLOSE)
    placed_later = await _flattens(restarted, after_seq=first_step.seq)
    after = _open_positions(restarted)
    await restarted.stop("test over")

    # Assert: one closing order per open position, in full, in the first step; later ones
    # only for what the first left open; and the account ends flat
    assert latched
    assert held, "the trip must leave positions open"
    assert flattened_before == []
    assert len(placed) == len(held)
    assert _placed(placed) == _closing(held)
    assert all(Decimal(spec["quantity"]) < abs(held[spec["symbol"]]) for spec in placed_later)
    assert after == {}


@dataclass(frozen=True)
class _SecondRestart:
    """What a second restart found and did, the first having placed the flatten."""

    at_trip: dict[Symbol, Decimal]
    working_at_crash: Counter[Symbol]
    held: dict[Symbol, Decimal]
    working_at_restart: Counter[Symbol]
    placed: list[Mapping[str, Any]]
    working_after_step: Counter[Symbol]
    after: dict[Symbol, Decimal]


async def _second_restart(
    config: AppConfig, monkeypatch: pytest.MonkeyPatch, steps_before: int
) -> _SecondRestart:
    """Crash before the flatten; restart and run ``steps_before`` steps; die; restart again."""
    await _crash_between_trip_and_flatten(config, monkeypatch)
    first = await start(config)
    at_trip = _open_positions(first)
    await run_steps(first, steps_before)
    working_at_crash = _working_flattens(first)
    await first.store.close()  # dead again

    second = await start(config)
    held = _open_positions(second)
    working_at_restart = _working_flattens(second)
    started = await second.store.account_head(HOST_STREAM)  # runtime.started
    await run_steps(second, 1)
    placed = await _flattens(second, after_seq=started.seq)
    working_after_step = _working_flattens(second)
    await run_steps(second, STEPS_TO_CLOSE)
    after = _open_positions(second)
    await second.stop("test over")
    return _SecondRestart(
        at_trip, working_at_crash, held, working_at_restart, placed, working_after_step, after
    )


def _assert_flattened_at_most_once(run: _SecondRestart) -> None:
    """A new closing order only for a symbol still held with none working for it, at most one,
    sized to what is still held; never two working at once; never more closed than held."""
    closing = _closing(run.held)
    placed = _placed(run.placed)
    assert [symbol for symbol in placed if symbol in run.working_at_restart] == []
    assert len(run.placed) == len(placed)
    assert placed == {symbol: closing.get(symbol) for symbol in placed}
    assert max(run.working_at_restart.values(), default=0) <= 1
    assert max(run.working_after_step.values(), default=0) <= 1
    assert _overclosed(run.at_trip, run.after) == []


async def test_second_restart_when_flatten_still_working_then_never_two_working_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange, Act: the second restart comes while the first restart's flatten still works
    run = await _second_restart(_config(tmp_path), monkeypatch, steps_before=1)

    # Assert
    assert set(run.working_at_crash) == set(run.at_trip)
    _assert_flattened_at_most_once(run)


async def test_second_restart_when_flatten_matched_then_only_the_rest_is_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange, Act: the second restart comes after the venue matched the first one's flatten
    # (closed, or partly: the participation cap)
    run = await _second_restart(_config(tmp_path), monkeypatch, steps_before=STEPS_TO_CLOSE)

    # Assert
    assert run.working_at_crash == Counter()
    assert all(abs(run.held.get(s, Decimal(0))) < abs(held) for s, held in run.at_trip.items())
    _assert_flattened_at_most_once(run)
