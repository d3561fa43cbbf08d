"""The backtest benchmark times bare floors (loop, order path) beside the pipeline, in one run."""

from __future__ import annotations

from aiswarm.bench.backtest import minimal_loop_ns, run_backtest_bench
from aiswarm.bench.order_floor import minimal_order_path_ns
from aiswarm.clock import CpuTimeClock, SimulatedClock, WallClock, from_ns


class _TickingClock(SimulatedClock):
    """A clock that moves one microsecond each time it is read: elapsed time counts reads."""

    def monotonic_ns(self) -> int:
        self.advance(1e-6)
        return super().monotonic_ns()


def test_minimal_loop_when_timed_then_measures_between_two_reads() -> None:
    # Arrange
    clock = _TickingClock(from_ns(0))

    # Act
    elapsed = minimal_loop_ns([1.0, 2.0, 1.5, 3.0], clock)

    # Assert
    assert elapsed == 1_000


async def test_bench_when_run_then_reports_baseline_and_ratio_beside_the_pipeline() -> None:
    # Act
    report = await run_backtest_bench(data=None, bars=2_000, repeats=1, timer=WallClock())

    # Assert
    loop = report["bars_per_s_loop_only"]["median"]
    assert report["baseline_bars_per_s"] > 0
    assert report["loop_vs_baseline"] == round(loop / report["baseline_bars_per_s"], 5)


def test_order_floor_when_timed_then_measures_between_two_reads() -> None:
    # Arrange
    clock = _TickingClock(from_ns(0))

    # Act
    elapsed = minimal_order_path_ns(50, clock)

    # Assert
    assert elapsed == 1_000


async def test_bench_when_run_then_splits_quiet_bars_from_orders_beside_their_floors() -> None:
    # Act
    report = await run_backtest_bench(data=None, bars=2_000, repeats=1, timer=CpuTimeClock())

    # Assert
    assert report["quiet_bars"] + report["busy_bars"] == 2_000
    assert report["busy_bars"] >= report["orders"] > 0
    for figure in ("us_per_order", "us_per_quiet_bar", "order_vs_floor", "quiet_bar_vs_floor"):
        assert report[figure] > 0
    assert report["minimal_order_path_us"] > 0
    assert report["minimal_loop_us_per_bar"] > 0
