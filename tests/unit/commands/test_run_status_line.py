"""`aiswarm run`'s line per cycle: NAV and PnL to the cent, as a trader reads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aiswarm.commands.run import status_line
from aiswarm.runtime import StepReport


def _report(nav: Decimal | None, pnl: Decimal | None) -> StepReport:
    return StepReport(
        step=7,
        now_ns=1_522_800_420_000_000_000,
        bars=2,
        agents=8,
        signals=1,
        orders=0,
        nav=nav,
        pnl=pnl,
        trading_state="active",
        session="running",
    )


@pytest.mark.parametrize(
    ("nav", "pnl", "shown"),
    [
        (Decimal("99999.9967"), Decimal("-0.0033"), "NAV 100,000.00 | PnL 0.00 |"),
        (Decimal("0E-8"), Decimal("-0E-8"), "NAV 0.00 | PnL 0.00 |"),
        (
            Decimal("99963.56785031860000000000000000000"),
            Decimal("-36.43214968140000000000000000000000"),
            "NAV 99,963.57 | PnL -36.43 |",
        ),
        (None, None, "NAV - | PnL - |"),
    ],
)
def test_status_line_when_amounts_have_many_places_then_cents_and_no_negative_zero(
    nav: Decimal | None, pnl: Decimal | None, shown: str
) -> None:
    # Act
    line = status_line(_report(nav, pnl), total_orders=3)

    # Assert
    assert shown in line
    assert line.startswith("cycle 7 2018-04-04 00:07 | signals 1 | orders 0 (total 3) |")
