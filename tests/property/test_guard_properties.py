"""Invariants of the guard chain: no guard approves above its limit, none refuses below it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock
from aiswarm.risk.approval import ApprovalSigner, Approved
from aiswarm.risk.engine import Refused, RiskEngine
from aiswarm.risk.guards import GUARDS, run_guards
from aiswarm.risk.keyring import HmacKeyring
from aiswarm.risk.kill_switch import KillSwitch, KillTrigger
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason
from aiswarm.risk.views import ActivitySnapshot
from aiswarm.types import ClientOrderId, Side, Symbol, TradingState
from kit import builders
from kit.builders import T0, mandate, order_spec
from kit.guards import MARK, account, guard_context, market_view

STEP = Decimal("0.00001")
HUGE = Decimal("1e12")
SYMBOL = Symbol("BTC/USDT")

# Limits wide enough that only the limit under test can refuse.
WIDE = {
    "max_order_notional_usd": HUGE,
    "max_position_notional_usd": HUGE,
    "max_gross_exposure_usd": HUGE,
    "max_net_exposure_usd": HUGE,
    "max_leverage": Decimal("100"),
    "max_participation_frac": Decimal("1"),
}

quantities = st.integers(min_value=10, max_value=2_000_000).map(lambda n: n * STEP)  # 0.0001..20
usd = st.integers(min_value=1, max_value=10_000_000).map(Decimal)
signed_positions = st.integers(min_value=-200_000, max_value=200_000).map(lambda n: n * STEP)
sides = st.sampled_from([Side.BUY, Side.SELL])


def _codes(ctx: object) -> set[Reason]:
    return {refusal.code for refusal in run_guards(ctx)}  # type: ignore[arg-type]


def _wide(**overrides: object) -> RiskLimits:
    return RiskLimits(**(WIDE | overrides))  # type: ignore[arg-type]


@given(quantity=quantities, limit=usd)
def test_order_notional_refused_exactly_when_above_limit(quantity: Decimal, limit: Decimal) -> None:
    # Arrange
    ctx = guard_context(
        order_spec(quantity=quantity),
        limits=_wide(max_order_notional_usd=limit),
        mandate=mandate(max_notional_usd=HUGE, max_position_usd=HUGE),
        market=market_view(liquidity_usd=HUGE),
    )
    notional = quantity * MARK

    # Act
    codes = _codes(ctx)

    # Assert: refused above the limit; at or below it, nothing else refuses either
    if notional > limit:
        assert Reason.ORDER_NOTIONAL_LIMIT in codes
    else:
        assert codes == set()


@given(held=signed_positions, side=sides, quantity=quantities, limit=usd, resting=usd)
def test_symbol_exposure_never_approves_above_limit(
    held: Decimal, side: Side, quantity: Decimal, limit: Decimal, resting: Decimal
) -> None:
    # Arrange
    ctx = guard_context(
        order_spec(side=side, quantity=quantity),
        portfolio=account(held=held),
        limits=_wide(max_position_notional_usd=limit),
        activity=ActivitySnapshot(open_notional_by_symbol={SYMBOL: resting}),
        mandate=mandate(max_notional_usd=HUGE, max_position_usd=HUGE),
        market=market_view(liquidity_usd=HUGE),
    )
    after = abs(held + side.sign * quantity) * MARK + resting

    # Act
    refused = Reason.EXPOSURE_SYMBOL_LIMIT in _codes(ctx)

    # Assert (plain orders are never exempt)
    assert refused == (after > limit)


@given(
    side=sides,
    quantity=quantities,
    gross=usd,
    net=st.integers(min_value=-10_000_000, max_value=10_000_000).map(Decimal),
    nav=st.integers(min_value=-1_000, max_value=10_000_000).map(Decimal),
    gross_limit=usd,
    net_limit=usd,
    leverage=st.integers(min_value=1, max_value=1000).map(lambda n: Decimal(n) / 100),
)
def test_gross_net_and_leverage_never_approve_above_limit(
    side: Side,
    quantity: Decimal,
    gross: Decimal,
    net: Decimal,
    nav: Decimal,
    gross_limit: Decimal,
    net_limit: Decimal,
    leverage: Decimal,
) -> None:
    # Arrange: flat in this symbol, exposure elsewhere
    ctx = guard_context(
        order_spec(side=side, quantity=quantity),
        portfolio=account(
            gross_exposure=gross, net_exposure=net, nav=nav, peak_nav=max(nav, Decimal(1))
        ),
        limits=_wide(
            max_gross_exposure_usd=gross_limit,
            max_net_exposure_usd=net_limit,
            max_leverage=leverage,
        ),
    )
    order = quantity * MARK
    gross_after = gross + order
    net_after = net + side.sign * order

    # Act
    codes = _codes(ctx)

    # Assert
    assert (Reason.GROSS_EXPOSURE_LIMIT in codes) == (gross_after > gross_limit)
    assert (Reason.NET_EXPOSURE_LIMIT in codes) == (abs(net_after) > net_limit)
    if nav <= 0:
        assert Reason.LEVERAGE_UNDEFINED in codes
    else:
        assert (Reason.LEVERAGE_LIMIT in codes) == (gross_after / nav > leverage)


@given(
    nav=st.integers(min_value=1, max_value=1_000_000).map(Decimal),
    fall=st.integers(min_value=0, max_value=1_000_000).map(Decimal),
    pnl=st.integers(min_value=-1_000_000, max_value=1_000_000).map(Decimal),
    drawdown_limit=st.integers(min_value=1, max_value=100).map(lambda n: Decimal(n) / 100),
    daily_limit=st.integers(min_value=1, max_value=100).map(lambda n: Decimal(n) / 100),
)
def test_drawdown_and_daily_loss_never_approve_at_or_above_limit(
    nav: Decimal, fall: Decimal, pnl: Decimal, drawdown_limit: Decimal, daily_limit: Decimal
) -> None:
    # Arrange
    peak = nav + fall
    ctx = guard_context(
        portfolio=account(nav=nav, peak_nav=peak, daily_pnl=pnl),
        limits=_wide(max_drawdown_frac=drawdown_limit, max_daily_loss_frac=daily_limit),
    )
    opening = nav - pnl

    # Act
    codes = _codes(ctx)

    # Assert
    assert (Reason.DRAWDOWN_LIMIT in codes) == (fall / peak >= drawdown_limit)
    daily_breached = pnl < 0 and (opening <= 0 or -pnl / opening >= daily_limit)
    assert (Reason.DAILY_LOSS_LIMIT in codes) == daily_breached


@given(
    held=signed_positions.filter(lambda q: q != 0),
    fraction=st.integers(min_value=1, max_value=100),
    nav=st.integers(min_value=-1_000, max_value=200_000).map(Decimal),
)
def test_risk_reducing_order_never_refused_by_exposure_or_loss_guards(
    held: Decimal, fraction: int, nav: Decimal
) -> None:
    # Arrange: a reduce-only order closing part of the position, every limit breached
    quantity = max(STEP, (abs(held) * fraction / 100).quantize(STEP))
    side = Side.SELL if held > 0 else Side.BUY
    ctx = guard_context(
        order_spec(side=side, quantity=quantity, reduce_only=True),
        portfolio=account(held=held, nav=nav, peak_nav=Decimal(1_000_000), daily_pnl=-HUGE),
        limits=RiskLimits(
            max_position_notional_usd=Decimal(1),
            max_gross_exposure_usd=Decimal(1),
            max_net_exposure_usd=Decimal(1),
            max_leverage=Decimal("0.01"),
        ),
        mandate_exposure_usd=HUGE,
    )

    # Act
    codes = _codes(ctx)

    # Assert
    exempt = {
        Reason.EXPOSURE_SYMBOL_LIMIT,
        Reason.GROSS_EXPOSURE_LIMIT,
        Reason.NET_EXPOSURE_LIMIT,
        Reason.LEVERAGE_LIMIT,
        Reason.LEVERAGE_UNDEFINED,
        Reason.DRAWDOWN_LIMIT,
        Reason.DAILY_LOSS_LIMIT,
        Reason.MANDATE_BUDGET,
        Reason.REDUCE_ONLY_VIOLATION,
    }
    assert codes.isdisjoint(exempt)


@given(
    held=signed_positions,
    side=sides,
    quantity=quantities,
    reduce_only=st.booleans(),
    state=st.sampled_from(list(TradingState)),
    latched=st.booleans(),
    has_market=st.booleans(),
    has_account=st.booleans(),
    open_orders=st.integers(min_value=0, max_value=60),
)
def test_run_guards_equals_every_guard_run_in_chain_order(
    held: Decimal,
    side: Side,
    quantity: Decimal,
    reduce_only: bool,
    state: TradingState,
    latched: bool,
    has_market: bool,
    has_account: bool,
    open_orders: int,
) -> None:
    # Arrange
    ctx = guard_context(
        order_spec(side=side, quantity=quantity, reduce_only=reduce_only),
        portfolio=account(held=held) if has_account else None,
        market=market_view() if has_market else None,
        trading_state=state,
        kill_switch_latched=latched,
        activity=ActivitySnapshot(open_orders_count=open_orders),
    )

    # Act
    looped = [refusal for guard in GUARDS if (refusal := guard(ctx)) is not None]

    # Assert
    assert run_guards(ctx) == looped
    halted = latched or state is TradingState.HALTED
    reducing_but_growing = state is TradingState.REDUCING and not ctx.shrinks_position
    if halted or reducing_but_growing or not has_market or not has_account:
        assert looped, "a stopped, blind or unknown-account order must be refused"


_SPOT_OPS = st.lists(
    st.tuples(
        st.sampled_from(["sell", "sell", "sell", "fill", "cancel"]),
        st.integers(min_value=10, max_value=60_000).map(lambda n: n * STEP),
        st.integers(min_value=0),
    ),
    max_size=30,
)


@given(holding=st.integers(min_value=0, max_value=100_000).map(lambda n: n * STEP), ops=_SPOT_OPS)
def test_spot_guard_never_lets_working_sells_exceed_the_holding(
    holding: Decimal, ops: list[tuple[str, Decimal, int]]
) -> None:
    # Arrange: a spot account holding ``holding`` BTC; every other limit out of the way
    clock = SimulatedClock(T0)
    switch = KillSwitch()
    switch.apply(switch.propose(KillTrigger.ENABLE, reason="test", ts_ns=clock.now_ns()))
    keyring = HmacKeyring({"k": b"k" * 32}, "k")
    signer = ApprovalSigner(keyring.signer(), ttl_ns=1_000_000_000)
    engine = RiskEngine(signer, _wide(duplicate_window_s=0), switch, clock)
    inputs = {
        "instrument": builders.instrument(),
        "mandate": mandate(max_notional_usd=HUGE, max_position_usd=HUGE),
        "market": market_view(updated_ns=clock.now_ns(), liquidity_usd=HUGE),
        "activity": ActivitySnapshot(),
        "mandate_exposure_usd": Decimal(0),
    }
    working: list[Decimal] = []  # what each approved sell has still to sell

    # Act: sells judged by the risk engine (screen and chain), fills and cancels between them
    for n, (op, quantity, pick) in enumerate(ops):
        if op == "sell":
            spec = order_spec(
                client_order_id=ClientOrderId(f"s-{n}"), side=Side.SELL, quantity=quantity
            )
            decision = engine.evaluate(
                spec,
                portfolio=account(held=holding),
                working_sell_quantity=sum(working, Decimal(0)),
                **inputs,  # type: ignore[arg-type]
            )
            # Assert: approved exactly when it fits beside the sells already working
            fits = sum(working, Decimal(0)) + quantity <= holding
            assert isinstance(decision, Approved) == fits
            if isinstance(decision, Refused):
                assert [r.code for r in decision.refusals] == [Reason.SPOT_SELL_ABOVE_HOLDING]
            else:
                working.append(quantity)
        elif working and op == "fill":  # part or all of one working sell fills
            index = pick % len(working)
            filled = min(quantity, working[index])
            holding -= filled
            working[index] -= filled
        elif working:
            working.pop(pick % len(working))
        # Assert: the invariant, after every event
        assert sum(working, Decimal(0)) <= holding
