"""Settings for watching a running account: reconciliation with the venue, daily PnL bounds.

Both are frozen and reject unknown keys, like every config section. The runtime turns them into
the monitoring room's thresholds (``runtime.reconciler``) and the daily PnL guard
(``runtime.daily_pnl``).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DailyPnlConfig", "ProfitTargetAction", "ReconciliationConfig"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReconciliationConfig(_Section):
    """How often the engine's book is compared with the venue's, and when drift is acted on."""

    interval_min: Annotated[
        float,
        Field(gt=0, le=1440, description="Minutes of clock time between reconciliations."),
    ] = 5.0
    query_timeout_s: Annotated[
        float,
        Field(gt=0, le=300, description="Seconds a venue query may take before it is unknown."),
    ] = 5.0
    alert_at_mismatches: Annotated[
        int, Field(ge=1, description="Alert (log and alert hooks) from this many mismatches.")
    ] = 1
    halt_at_mismatches: Annotated[
        int | None,
        Field(ge=1, description="Trip the kill switch from this many mismatches; null: never."),
    ] = 3
    halt_at_unknown_rounds: Annotated[
        int | None,
        Field(
            ge=1,
            description=(
                "Trip the kill switch once this many reports in a row had a failed venue query; "
                "null: never."
            ),
        ),
    ] = 3
    position_tolerance_steps: Annotated[
        int,
        Field(
            ge=0,
            description="A position difference of at most this many step sizes is not drift.",
        ),
    ] = 0


class ProfitTargetAction(StrEnum):
    """What reaching the daily profit target does to the trading state."""

    REDUCE = "reduce"  # REDUCING: only orders that shrink positions, for the rest of the day
    HALT = "halt"  # HALTED and latched, until an operator resets it


class DailyPnlConfig(_Section):
    """Optional bounds on one UTC day's PnL (NAV now minus NAV at the day's open), in USD."""

    profit_target_usd: Annotated[
        Decimal | None,
        Field(gt=0, description="Day's PnL at or above this moves the trading state; null: off."),
    ] = None
    loss_limit_usd: Annotated[
        Decimal | None,
        Field(gt=0, description="Day's loss at or above this halts trading; null: off."),
    ] = None
    on_profit_target: Annotated[
        ProfitTargetAction,
        Field(description="reduce (REDUCING) or halt (HALTED, latched) at the profit target."),
    ] = ProfitTargetAction.REDUCE
