"""Allocator invariants: Kelly risk is growth-optimal, no cap is exceeded, no order at target."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, localcontext

from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from aiswarm.portfolio import AllocationMode, AllocatorConfig, NoOrder, full_kelly, size
from aiswarm.risk.guards_spot import check_spot_holding
from aiswarm.types import (
    ClientOrderId,
    Direction,
    InstrumentKind,
    OrderIntent,
    OrderSpec,
    Side,
    Signal,
    Symbol,
)
from kit.builders import ACCOUNT, SYMBOL, T0, instrument, mandate, signal
from kit.guards import account, guard_context

PERP = instrument(kind=InstrumentKind.PERPETUAL)
_EXACT_PRECISION = 200
_MONEY = st.decimals(min_value=Decimal(1), max_value=Decimal(10_000_000), places=2)
_MARKS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(200_000), places=2)
_FRACTIONS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1), places=2)
_QUANTITIES = st.integers(min_value=0, max_value=10**8).map(lambda steps: steps * PERP.step_size)


@dataclass(frozen=True, slots=True)
class _Decision:
    symbol: Symbol
    direction: Direction | None
    winning_signal: Signal | None


def _log_growth(fraction: float, p: float, b: float) -> float:
    """Return E[log wealth] per bet when staking ``fraction``: p log(1+bf) + (1-p) log(1-f)."""
    return p * math.log1p(b * fraction) + (1 - p) * math.log1p(-fraction)


@given(
    p=st.floats(min_value=0.01, max_value=0.99),
    b=st.floats(min_value=0.05, max_value=20),
    delta=st.sampled_from([1e-4, 1e-3, 1e-2, 1e-1]),
)
def test_full_kelly_maximises_expected_log_growth(p: float, b: float, delta: float) -> None:
    # Arrange
    f_star = full_kelly(p, b)
    assume(f_star > 0 and f_star + delta < 1)

    # Act
    at_optimum = _log_growth(f_star, p, b)

    # Assert
    assert at_optimum >= _log_growth(f_star + delta, p, b) - 1e-15
    assert at_optimum >= _log_growth(max(f_star - delta, 0.0), p, b) - 1e-15


def _position_log_growth(notional_frac: float, p: float, b: float, loss: float) -> float:
    """Return E[log wealth] per trade holding ``notional_frac`` x NAV of a position that gains
    ``b x loss`` of its notional with probability ``p`` and loses ``loss`` of it otherwise."""
    return p * math.log1p(b * loss * notional_frac) + (1 - p) * math.log1p(-loss * notional_frac)


_GROWTH_NAV = Decimal(10_000_000)
_GROWTH_MARK = Decimal(100)


@given(
    p=st.floats(min_value=0.05, max_value=0.95),
    b=st.floats(min_value=0.2, max_value=10),
    loss=st.floats(min_value=0.001, max_value=1.0),
    kelly_fraction=st.floats(min_value=0.05, max_value=1.0),
)
def test_kelly_capital_at_risk_is_the_fraction_of_the_growth_optimal_risk(
    p: float, b: float, loss: float, kelly_fraction: float
) -> None:
    # Arrange: the trade as a bet on the position, maximised numerically over its size
    assume(full_kelly(p, b) > 1e-3)
    ceiling = (1 - 1e-9) / loss  # a larger position could lose more than NAV
    optimum = minimize_scalar(
        lambda x: -_position_log_growth(x, p, b, loss),
        bounds=(0.0, ceiling),
        method="bounded",
        options={"xatol": 1e-10 * ceiling},
    )
    optimal_risk_frac = loss * float(optimum.x)
    decision = _Decision(
        SYMBOL,
        Direction.LONG,
        signal(confidence=p, evidence={"payoff_ratio": b, "avg_loss": loss}),
    )
    roomy = Decimal(10) ** 20

    # Act
    result = size(
        decision,
        mark=_GROWTH_MARK,
        position=Decimal(0),
        open_order_quantity=Decimal(0),
        working_sell_quantity=Decimal(0),
        nav=_GROWTH_NAV,
        instrument=PERP,
        mandate=mandate(max_position_usd=roomy, max_notional_usd=roomy),
        limit_position_notional_usd=roomy,
        config=AllocatorConfig(kelly_fraction=kelly_fraction, max_position_frac_of_nav=None),
        ts_event=T0,
        account=ACCOUNT,
        reason="property",
    )

    # Assert: the capital at risk (loss x notional) is kelly_fraction of the optimal risk
    assert isinstance(result, OrderIntent), str(result)
    risk_frac = loss * float(result.quantity * _GROWTH_MARK / _GROWTH_NAV)
    assert math.isclose(risk_frac, kelly_fraction * optimal_risk_frac, rel_tol=1e-6, abs_tol=1e-9)


@given(
    p=st.floats(min_value=0.0, max_value=1.0),
    b=st.floats(min_value=0.05, max_value=20),
    loss=st.floats(min_value=0.001, max_value=2.0),
    kelly_fraction=st.floats(min_value=0.01, max_value=1.0),
    nav=_MONEY,
    mark=_MARKS,
    nav_frac=_FRACTIONS,
    mandate_position=_MONEY,
    mandate_total=_MONEY,
    limit=_MONEY,
    held=_QUANTITIES,
)
def test_kelly_long_never_adds_past_any_cap_and_is_on_step(
    p: float,
    b: float,
    loss: float,
    kelly_fraction: float,
    nav: Decimal,
    mark: Decimal,
    nav_frac: Decimal,
    mandate_position: Decimal,
    mandate_total: Decimal,
    limit: Decimal,
    held: Decimal,
) -> None:
    # Arrange
    evidence = {"payoff_ratio": b, "avg_loss": loss}
    decision = _Decision(SYMBOL, Direction.LONG, signal(confidence=p, evidence=evidence))
    config = AllocatorConfig(kelly_fraction=kelly_fraction, max_position_frac_of_nav=nav_frac)

    # Act
    result = size(
        decision,
        mark=mark,
        position=held,
        open_order_quantity=Decimal(0),
        working_sell_quantity=Decimal(0),
        nav=nav,
        instrument=PERP,
        mandate=mandate(max_position_usd=mandate_position, max_notional_usd=mandate_total),
        limit_position_notional_usd=limit,
        config=config,
        ts_event=T0,
        account=ACCOUNT,
        reason="property",
    )

    # Assert
    if isinstance(result, OrderIntent):
        assert PERP.is_on_step(result.quantity)
        with localcontext(prec=_EXACT_PRECISION):
            after = (held + result.quantity) * mark
            assert after <= nav_frac * nav
            assert after <= mandate_position
            assert after <= mandate_total
            assert after <= limit
            assert full_kelly(p, b) > 0


@given(
    mode=st.sampled_from(list(AllocationMode)),
    direction=st.sampled_from([Direction.LONG, Direction.SHORT, Direction.FLAT]),
    amount=st.integers(min_value=1, max_value=10**6).map(lambda steps: steps * PERP.step_size),
    mark=_MARKS,
    working=_QUANTITIES,
)
def test_size_when_committed_position_equals_target_then_no_order(
    mode: AllocationMode, direction: Direction, amount: Decimal, mark: Decimal, working: Decimal
) -> None:
    # Arrange: put the committed position (held + working) exactly at the target
    fixed = {
        AllocationMode.KELLY: {},
        AllocationMode.FIXED_QUANTITY: {"fixed_quantity": amount},
        AllocationMode.FIXED_NOTIONAL: {"fixed_notional_usd": amount * mark},
    }[mode]
    config = AllocatorConfig(mode=mode, max_position_frac_of_nav=None, **fixed)
    sign = {Direction.LONG: 1, Direction.SHORT: -1, Direction.FLAT: 0}[direction]
    target = sign * amount
    # Kelly with p = 0 has no edge: it holds the committed position, so that is its target.
    decision = _Decision(SYMBOL, direction, signal(confidence=0.0, evidence={"payoff_ratio": 1}))
    roomy = Decimal(10) ** 20

    # Act
    result = size(
        decision,
        mark=mark,
        position=target - sign * working,
        open_order_quantity=sign * working,
        working_sell_quantity=working if sign < 0 else Decimal(0),
        nav=Decimal(10**6),
        instrument=PERP,
        mandate=mandate(max_position_usd=roomy, max_notional_usd=roomy),
        limit_position_notional_usd=roomy,
        config=config,
        ts_event=T0,
        account=ACCOUNT,
        reason="property",
    )

    # Assert
    assert isinstance(result, NoOrder), str(result)


SPOT = instrument()


@given(
    direction=st.sampled_from([Direction.LONG, Direction.SHORT, Direction.FLAT]),
    held=_QUANTITIES,
    buying=_QUANTITIES,
    selling=_QUANTITIES,
    long_only=st.booleans(),
)
def test_spot_sell_when_proposed_then_the_spot_guard_passes_it(
    direction: Direction, held: Decimal, buying: Decimal, selling: Decimal, long_only: bool
) -> None:
    # Arrange: any holding with any working buys and sells on a spot market
    decision = _Decision(SYMBOL, direction, signal(confidence=0.0, evidence={"payoff_ratio": 1}))
    roomy = Decimal(10) ** 20
    config = AllocatorConfig(
        mode=AllocationMode.FIXED_QUANTITY,
        fixed_quantity=Decimal(1),
        max_position_frac_of_nav=None,
        long_only=long_only,
    )

    # Act
    result = size(
        decision,
        mark=Decimal(100),
        position=held,
        open_order_quantity=buying - selling,
        working_sell_quantity=selling,
        nav=Decimal(10**6),
        instrument=SPOT,
        mandate=mandate(max_position_usd=roomy, max_notional_usd=roomy),
        limit_position_notional_usd=roomy,
        config=config,
        ts_event=T0,
        account=ACCOUNT,
        reason="property",
    )

    # Assert: the guard, as strict as ever, never refuses a sell the allocator proposed
    if isinstance(result, OrderIntent) and result.side is Side.SELL:
        spec = OrderSpec.from_intent(result, ClientOrderId("ais-property"), created_at=T0)
        context = guard_context(
            spec, portfolio=account(held=held), instrument=SPOT, working_sell_quantity=selling
        )
        assert check_spot_holding(context) is None
