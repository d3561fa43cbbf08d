"""The guard screen: it passes an order exactly when the full guard chain refuses nothing.

The risk engine signs whatever ``GuardScreen.passes`` lets through without running the chain,
so the two must agree on every input. Inputs are drawn from values at and around every
guard's boundary (one tick or step either side, equal to the limit, missing, stale, for
another symbol), so that both answers come up often and each guard is the deciding one in
some cases.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiswarm.clock import SimulatedClock
from aiswarm.risk.approval import ApprovalSigner, Approved
from aiswarm.risk.engine import Refused, RiskEngine
from aiswarm.risk.guard_context import GuardContext
from aiswarm.risk.guard_screen import GuardScreen
from aiswarm.risk.guards import run_guards
from aiswarm.risk.keyring import HmacKeyring
from aiswarm.risk.kill_switch import KillSwitch, KillTrigger
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.refusals import Reason, Refusal
from aiswarm.risk.views import ActivitySnapshot
from aiswarm.types import (
    InstrumentKind,
    MandateStatus,
    OrderType,
    Side,
    Symbol,
    TradingState,
    TradingWindow,
    VenueId,
)
from kit import builders
from kit.builders import ACCOUNT, MANDATE, SYMBOL, T0, VENUE, mandate, order_spec, position
from kit.guards import NOW_NS, SECOND_NS, account, market_view

T = TypeVar("T")
Pick = Callable[[Sequence[T]], T]

OTHER_SYMBOL = Symbol("ETH/USDT")
STEP = Decimal("0.00001")
TICK = Decimal("0.01")

# Each input has values an ordinary order passes with, and edge values (at, just past or
# missing) that some guard decides on. A case perturbs a few inputs, so that most cases turn
# on one or two guards and a good share pass.
QUANTITIES = [Decimal("0.02"), Decimal("0.0001"), Decimal("0.05"), Decimal("0.1")]
EDGE_QUANTITIES = [
    Decimal("0.00009"),  # below the minimum quantity
    Decimal("0.000015"),  # off step
    Decimal("0.020005"),  # off step, and above the minimum notional
    Decimal("0.10001"),  # past 5,000 USDT (the symbol limit under a capped mandate)
    Decimal("0.2"),  # 10,000 USDT: the default order notional limit
    Decimal("0.20001"),
    Decimal("0.5"),
    Decimal("3"),
]
LIMIT_PRICES = [Decimal("50000"), Decimal("50000.01"), Decimal("49000")]
EDGE_LIMIT_PRICES = [
    Decimal("50000.005"),  # off tick
    Decimal("52500"),  # the 5% band edge
    Decimal("52500.01"),
    Decimal("47500"),
    Decimal("47499.99"),
]
STOP_PRICES = [Decimal("49000"), Decimal("51000")]
EDGE_STOP_PRICES = [Decimal("49000.001"), Decimal("60000")]
HELD = [None, Decimal(0), Decimal("0.1")]
EDGE_HELD = [Decimal("0.05"), Decimal("-0.05"), Decimal("0.02"), Decimal("-0.02"), Decimal("0.01")]
WORKING_SELLS = [Decimal(0)]
EDGE_WORKING_SELLS = [Decimal("0.03"), Decimal("0.08"), Decimal("0.08001"), Decimal("0.1")]
# Working buys against a short: the same, on the other side (a close net of them may flip)
EDGE_WORKING_BUYS = [Decimal("0.03"), Decimal("0.04"), Decimal("0.05")]
LIMITS = [RiskLimits()]
EDGE_LIMITS = [
    RiskLimits(max_order_quantity={SYMBOL: Decimal("0.02")}),
    RiskLimits(close_only=True),
    RiskLimits(close_only_symbols=frozenset({SYMBOL})),
    RiskLimits(flatten_on_trip=True),
    RiskLimits(max_open_orders=2, max_orders_per_second=2, max_orders_per_day=3),
    RiskLimits(duplicate_window_s=0),
    RiskLimits(
        max_gross_exposure_usd=Decimal(3_000),
        max_net_exposure_usd=Decimal(2_000),
        max_leverage=Decimal("0.02"),
    ),
    RiskLimits(max_drawdown_frac=Decimal("0.01"), max_daily_loss_frac=Decimal("0.01")),
    RiskLimits(max_participation_frac=Decimal("0.0005")),
]
INPUTS = (
    "quantity",
    "prices",
    "side",
    "reduce_only",
    "symbol",
    "held",
    "portfolio",
    "instrument",
    "mandate",
    "market",
    "activity",
    "limits",
    "state",
    "latched",
    "exposure",
    "working",
    "working_buys",
    "strategy",
    "sent_today",
)


class _Drawer:
    """Draw one input: an ordinary value, or an edge value for the inputs this case perturbs."""

    def __init__(self, pick: Pick[Any]) -> None:
        self.pick = pick
        count = pick([0, 0, 1, 1, 1, 1, 2, 3])
        self.perturbed = {pick(INPUTS) for _ in range(count)}

    def __call__(self, name: str, normal: Sequence[Any], edge: Sequence[Any]) -> Any:
        return self.pick(edge if edge and name in self.perturbed else normal)


def _spec(draw: _Drawer) -> Any:
    order_type = draw("prices", [OrderType.LIMIT], list(OrderType))
    prices: dict[str, Decimal] = {}
    if order_type.needs_limit_price:
        prices["limit_price"] = draw("prices", LIMIT_PRICES, EDGE_LIMIT_PRICES)
    if order_type.needs_stop_price:
        prices["stop_price"] = draw("prices", STOP_PRICES, EDGE_STOP_PRICES)
    return order_spec(
        order_type=order_type,
        side=draw("side", [Side.BUY, Side.SELL], []),
        quantity=draw("quantity", QUANTITIES, EDGE_QUANTITIES),
        reduce_only=draw("reduce_only", [False], [True]),
        symbol=draw("symbol", [SYMBOL], [OTHER_SYMBOL]),
        **prices,
    )


def _portfolio(draw: _Drawer, held: Decimal | None) -> Any:
    choice = draw(
        "portfolio",
        ["plain"],
        [
            "none",
            "other-account",
            "small-nav",
            "negative-nav",
            "drawdown",
            "loss",
            "gain",
            "exposed",
            "net-heavy",
            "gross-heavy",
        ],
    )
    if choice == "none":
        return None
    fields: dict[str, Any] = {}
    if choice == "other-account":
        fields["account"] = "acct-other"
    elif choice == "small-nav":
        fields |= {"nav": Decimal(500), "peak_nav": Decimal(500)}
    elif choice == "negative-nav":
        fields |= {"nav": Decimal(-10), "peak_nav": Decimal(1)}
    elif choice == "drawdown":
        fields["peak_nav"] = draw.pick([Decimal(110_000), Decimal(111_112), Decimal(120_000)])
    elif choice == "loss":
        fields["daily_pnl"] = draw.pick([Decimal(-500), Decimal(-3_000), Decimal(-3_100)])
    elif choice == "gain":
        fields["daily_pnl"] = Decimal(2_000)
    elif choice == "exposed":
        fields["gross_exposure"] = Decimal(2_000)
        fields["net_exposure"] = draw.pick([Decimal(2_000), Decimal(-2_000), Decimal(0)])
    elif choice == "net-heavy":  # other symbols; one more order tips the net limit only
        fields["gross_exposure"] = Decimal(99_500)
        fields["net_exposure"] = draw.pick([Decimal(99_000), Decimal(99_500), Decimal(-99_500)])
    elif choice == "gross-heavy":  # room for leverage, none for gross
        fields |= {"nav": Decimal(200_000), "peak_nav": Decimal(200_000)}
        fields["gross_exposure"] = draw.pick([Decimal(149_000), Decimal(149_500)])
    return account(held=held, **fields)


def _instrument(draw: _Drawer) -> Any:
    choice = draw(
        "instrument", ["plain", "perpetual"], ["none", "other", "min-notional", "min-quantity"]
    )
    if choice == "none":
        return None
    if choice == "other":
        return builders.instrument(symbol=OTHER_SYMBOL)
    if choice == "perpetual":
        return builders.instrument(kind=InstrumentKind.PERPETUAL)
    if choice == "min-notional":
        return builders.instrument(min_notional=draw.pick([Decimal(1_000), Decimal(2_500)]))
    if choice == "min-quantity":
        return builders.instrument(min_quantity=draw.pick([Decimal("0.02"), Decimal("0.03")]))
    return builders.instrument()


def _mandate(draw: _Drawer) -> Any:
    choice = draw(
        "mandate",
        ["plain"],
        [
            "none",
            "other-id",
            "paused",
            "expired",
            "revoked",
            "not-yet",
            "buy-only",
            "caps",
            "other-venue",
            "other-symbol",
            "other-strategy",
            "window-closed",
            "window-open",
            "allocation",
            "day-notional",
            "leverage",
            "losses",
        ],
    )
    if choice == "none":
        return None
    fields: dict[str, Any] = {
        "max_notional_usd": Decimal(50_000),
        "max_position_usd": Decimal(25_000),
    }
    if choice == "other-id":
        fields["mandate_id"] = "mandate-other"
    elif choice == "paused":
        fields["status"] = MandateStatus.PAUSED
    elif choice == "revoked":
        fields["status"] = MandateStatus.REVOKED
    elif choice == "expired":
        fields["valid_from"] = T0 - timedelta(days=1)
        fields["valid_until"] = T0 + timedelta(minutes=30)
    elif choice == "not-yet":
        fields["valid_from"] = T0 + timedelta(hours=2)
    elif choice == "buy-only":
        fields["allowed_sides"] = (Side.BUY,)
    elif choice == "caps":
        fields["max_notional_usd"] = Decimal(1_000)
        fields["max_position_usd"] = Decimal(2_500)
    elif choice == "other-venue":
        fields["venues"] = (VenueId("kraken"),)
    elif choice == "other-symbol":
        fields["symbols"] = (OTHER_SYMBOL,)
    elif choice == "other-strategy":
        fields["strategy_types"] = draw.pick([("momentum",), ("ema_cross", "momentum")])
    elif choice == "window-closed":  # NOW_NS is Monday 01:00 UTC
        fields["trading_window"] = draw.pick(
            [TradingWindow(days=("tue",)), TradingWindow(start="01:01", end="20:00")]
        )
    elif choice == "window-open":  # the start is inclusive
        fields["trading_window"] = TradingWindow(days=("mon",), start="01:00", end="01:01")
    elif choice == "allocation":  # 1,000 or 1,100 USDT of a 100,000 NAV
        fields["max_allocation_frac"] = draw.pick([Decimal("0.01"), Decimal("0.011")])
    elif choice == "day-notional":
        fields["max_day_notional_usd"] = draw.pick([Decimal(1_000), Decimal(5_000)])
    elif choice == "leverage":  # gross after the order up to 1,000 or 1,010 USDT
        fields["max_leverage"] = draw.pick([Decimal("0.01"), Decimal("0.0101")])
    elif choice == "losses":  # tighter than the account's 10% and 3%
        fields["max_drawdown_frac"] = Decimal("0.03")
        fields["max_daily_loss_frac"] = Decimal("0.02")
    return mandate(**fields)


def _market(draw: _Drawer) -> Any:
    choice = draw(
        "market",
        ["fresh"],
        ["none", "other", "other-venue", "no-mark", "zero-mark", "stale", "thin"],
    )
    if choice == "none":
        return None
    if choice == "other":
        return market_view(symbol=OTHER_SYMBOL)
    if choice == "other-venue":
        return market_view(venue=VenueId("kraken"))
    if choice == "no-mark":
        return market_view(mark=None)
    if choice == "zero-mark":
        return market_view(mark=Decimal(0))
    if choice == "stale":
        return market_view(updated_ns=NOW_NS - draw.pick([10, 11]) * SECOND_NS)
    if choice == "thin":
        return market_view(liquidity_usd=draw.pick([None, Decimal(10_000), Decimal(0)]))
    return market_view()


def _activity(draw: _Drawer, spec: Any) -> ActivitySnapshot:
    choice = draw("activity", ["quiet"], ["busy", "rates", "duplicate", "rejections", "resting"])
    pick = draw.pick
    if choice == "busy":
        return ActivitySnapshot(open_orders_count=pick([1, 2, 50]))
    if choice == "rates":  # the default limits: 5 a second, 2,000 a day
        in_last_second = pick([4, 5])
        today = pick([0, 1_995, 1_996])  # earlier today, a second apart
        times = [NOW_NS - (k + 2) * SECOND_NS for k in range(today)]
        times += [NOW_NS - k * SECOND_NS // 5 for k in range(in_last_second)]
        return ActivitySnapshot(order_times_ns=tuple(sorted(times)))
    if choice == "duplicate":
        fingerprint = (spec.mandate_id, spec.symbol, spec.side, spec.quantity, spec.limit_price)
        return ActivitySnapshot(
            recent_fingerprints={fingerprint: NOW_NS - pick([1, 2, 3]) * SECOND_NS}
        )
    if choice == "rejections":
        return ActivitySnapshot(
            consecutive_rejections=pick([4, 5]),
            last_rejection_ns=pick([None, NOW_NS - SECOND_NS, NOW_NS - 60 * SECOND_NS]),
        )
    if choice == "resting":
        return ActivitySnapshot(
            open_orders_count=1,
            open_notional_by_symbol={SYMBOL: pick([Decimal(1_000), Decimal(24_000)])},
        )
    return ActivitySnapshot()


def _case(pick: Pick[Any]) -> dict[str, Any]:
    """Return one set of chain inputs, as keyword arguments of ``GuardContext.build``."""
    draw = _Drawer(pick)
    spec = _spec(draw)
    held = draw("held", HELD, EDGE_HELD)
    drawn_mandate = _mandate(draw)
    portfolio = _portfolio(draw, held)
    if drawn_mandate is not None and drawn_mandate.max_drawdown_frac is not None and portfolio:
        # A mandate's loss limits decide only on an account that lost: tighter than the
        # account's, either side of the mandate's.
        portfolio = account(
            held=held,
            peak_nav=pick([Decimal(100_000), Decimal(103_000), Decimal(104_000)]),
            daily_pnl=pick([Decimal(0), Decimal(-1_500), Decimal(-2_500)]),
            nav=Decimal(100_000),
        )
    return {
        "spec": spec,
        "instrument": _instrument(draw),
        "portfolio": portfolio,
        "mandate": drawn_mandate,
        "market": _market(draw),
        "activity": _activity(draw, spec),
        "limits": draw("limits", LIMITS, EDGE_LIMITS),
        "trading_state": draw("state", [TradingState.ACTIVE], list(TradingState)),
        "kill_switch_latched": draw("latched", [False], [True]),
        "now_ns": NOW_NS,
        "mandate_exposure_usd": draw(
            "exposure", [Decimal(0), Decimal(1_000)], [None, Decimal(49_000), Decimal(49_001)]
        ),
        # Known to the caller (as the order pipeline passes it), or left to the snapshot scan
        "position_quantity": pick([None, held or Decimal(0)]),
        "working_sell_quantity": draw("working", WORKING_SELLS, EDGE_WORKING_SELLS),
        "working_buy_quantity": draw("working_buys", WORKING_SELLS, EDGE_WORKING_BUYS),
        "mandate_day_notional_usd": draw(
            "sent_today", [Decimal(0)], [None, Decimal(4_000), Decimal(4_001)]
        ),
        "strategy_types": draw(
            "strategy", [frozenset({"ema_cross"})], [None, frozenset(), frozenset({"breakout"})]
        ),
    }


def _screen_passes(case: dict[str, Any]) -> bool:
    screen = GuardScreen(case["limits"])
    return screen.passes(
        case["spec"],
        case["instrument"],
        case["portfolio"],
        case["mandate"],
        case["market"],
        case["activity"],
        case["trading_state"],
        case["kill_switch_latched"],
        case["now_ns"],
        case["mandate_exposure_usd"],
        case["position_quantity"],
        case["working_sell_quantity"],
        case["mandate_day_notional_usd"],
        case["strategy_types"],
        case["working_buy_quantity"],
    )


def _chain_refusals(case: dict[str, Any]) -> list[Refusal]:
    fields = dict(case)
    return run_guards(GuardContext.build(fields.pop("spec"), **fields))


def _chain_passes(case: dict[str, Any]) -> bool:
    return _chain_refusals(case) == []


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    return _case(lambda options: draw(st.sampled_from(options)))


@settings(max_examples=1_000)
@given(case=cases())
def test_screen_when_inputs_drawn_at_guard_boundaries_then_agrees_with_full_chain(
    case: dict[str, Any],
) -> None:
    # Act
    screened = _screen_passes(case)

    # Assert
    assert screened == _chain_passes(case)


@st.composite
def flatten_cases(draw: st.DrawFn) -> dict[str, Any]:
    """Cases of the kill switch's own flatten: latched, HALTED, reduce-only, shrinking.

    The circuit breaker and the liquidity guard decide differently for these, so the screen
    must agree with the chain here too; quantity, market, activity and the rest still vary.
    """
    case = _case(lambda options: draw(st.sampled_from(options)))
    held = draw(st.sampled_from([Decimal("0.05"), Decimal("0.1"), Decimal("3"), Decimal("-3")]))
    floor = draw(st.sampled_from([Decimal(1_000), Decimal(10), Decimal(2_500)]))
    side = Side.SELL if held > 0 else Side.BUY
    liquidity = draw(st.sampled_from([None, Decimal(0), Decimal(10_000), Decimal(2_000_000)]))
    market = draw(st.sampled_from([case["market"], market_view(liquidity_usd=liquidity)]))
    return case | {
        "market": market,
        "spec": case["spec"].model_copy(update={"reduce_only": True, "side": side}),
        "portfolio": account(held=held),
        "limits": RiskLimits(flatten_on_trip=True, flatten_slice_floor_usd=floor),
        "trading_state": TradingState.HALTED,
        "kill_switch_latched": True,
        "position_quantity": draw(st.sampled_from([None, held])),
    }


@settings(max_examples=1_000)
@given(case=flatten_cases())
def test_screen_when_order_is_kill_switch_flatten_then_agrees_with_full_chain(
    case: dict[str, Any],
) -> None:
    # Act
    screened = _screen_passes(case)

    # Assert
    assert screened == _chain_passes(case)


def test_screen_when_many_seeded_cases_then_agrees_and_both_answers_occur() -> None:
    # Arrange: a fixed seed, so the same 6,000 cases every run
    rng = random.Random(20240102)
    outcomes = {True: 0, False: 0}
    sole: set[Reason] = set()

    for _ in range(6_000):
        case = _case(rng.choice)

        # Act
        screened = _screen_passes(case)

        # Assert
        assert screened == _chain_passes(case), case
        outcomes[screened] += 1
        refusals = _chain_refusals(case)
        if len(refusals) == 1:
            sole.add(refusals[0].code)

    # Assert: both answers are common, and every guard was the only one refusing in some
    # case, so a screen that missed any one guard's condition would have failed above.
    # (A NAV <= 0 always breaches drawdown too, so LEVERAGE_UNDEFINED is never alone.)
    assert outcomes[True] >= 500, outcomes
    assert outcomes[False] >= 500, outcomes
    assert set(Reason) - sole == {Reason.LEVERAGE_UNDEFINED}


def test_screen_when_same_snapshot_object_reused_then_each_order_judged_on_its_own() -> None:
    # Arrange: one screen and one snapshot for several orders, as in a trading cycle
    limits = RiskLimits()
    screen = GuardScreen(limits)
    inputs = (
        builders.instrument(),
        account(),
        mandate(max_notional_usd=Decimal(50_000), max_position_usd=Decimal(25_000)),
        market_view(),
        ActivitySnapshot(),
        TradingState.ACTIVE,
        False,
        NOW_NS,
        Decimal(0),
        None,
    )
    small = order_spec(quantity=Decimal("0.02"))
    large = order_spec(quantity=Decimal("3"))

    # Act
    verdicts = [screen.passes(spec, *inputs) for spec in (small, large, small, large)]

    # Assert
    assert verdicts == [True, False, True, False]


def test_engine_when_screen_refuses_then_refusals_come_from_the_chain() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    switch = KillSwitch()
    switch.apply(switch.propose(KillTrigger.ENABLE, reason="test", ts_ns=clock.now_ns()))
    keyring = HmacKeyring({"k": b"k" * 32}, "k")
    engine = RiskEngine(
        ApprovalSigner(keyring.signer(), ttl_ns=SECOND_NS), RiskLimits(), switch, clock
    )
    inputs: dict[str, Any] = {
        "instrument": builders.instrument(),
        "portfolio": account(),
        "mandate": mandate(max_notional_usd=Decimal(50_000), max_position_usd=Decimal(25_000)),
        "market": market_view(updated_ns=clock.now_ns()),
        "activity": ActivitySnapshot(),
        "mandate_exposure_usd": Decimal(0),
    }

    large = order_spec(quantity=Decimal("3"))
    context = GuardContext.build(
        large,
        limits=engine.limits,
        trading_state=TradingState.ACTIVE,
        kill_switch_latched=False,
        now_ns=clock.now_ns(),
        **inputs,
    )

    # Act
    passed = engine.evaluate(order_spec(quantity=Decimal("0.02")), **inputs)
    refused = engine.evaluate(large, **inputs)

    # Assert: the same refusals, codes and numbers, as the chain gives on its own
    assert isinstance(passed, Approved)
    assert isinstance(refused, Refused)
    assert refused.refusals[0].code == "ORDER_NOTIONAL_LIMIT"
    assert list(refused.refusals) == run_guards(context)


def test_screen_when_portfolio_has_positions_then_scans_them_like_the_chain() -> None:
    # Arrange: no position_quantity given, so both read the snapshot's positions
    held = position(
        account=ACCOUNT,
        venue=VENUE,
        symbol=SYMBOL,
        kind=InstrumentKind.SPOT,
        quantity=Decimal("0.05"),
        average_entry_price=Decimal("50000"),
    )
    case = _case(random.Random(7).choice) | {
        "spec": order_spec(side=Side.SELL, quantity=Decimal("0.02"), reduce_only=True),
        "instrument": builders.instrument(),
        "portfolio": account(positions=(held,), gross_exposure=Decimal(2_500)),
        "mandate": mandate(mandate_id=MANDATE),
        "market": market_view(),
        "activity": ActivitySnapshot(),
        "limits": RiskLimits(),
        "trading_state": TradingState.REDUCING,
        "kill_switch_latched": False,
        "mandate_exposure_usd": None,
        "position_quantity": None,
    }

    # Act
    screened = _screen_passes(case)

    # Assert: a reduce-only sell that shrinks a long passes in REDUCING, budget unknown or not
    assert screened is True
    assert _chain_passes(case) is True


def _plain_case(**overrides: Any) -> dict[str, Any]:
    """Return the ordinary case (every input its first value) with ``overrides``."""
    return _case(lambda options: options[0]) | overrides


@pytest.mark.parametrize(
    ("overrides", "passes"),
    [
        # The kill switch's flatten under a mandate that no longer trades: passes
        (
            {
                "spec": order_spec(side=Side.SELL, quantity=Decimal("0.02"), reduce_only=True),
                "portfolio": account(held=Decimal("0.05")),
                "mandate": mandate(status=MandateStatus.REVOKED),
                "limits": RiskLimits(flatten_on_trip=True),
                "trading_state": TradingState.HALTED,
                "kill_switch_latched": True,
            },
            True,
        ),
        # A reduce-only sell that, with the one already working, flips the long: new risk
        # outside the mandate's window
        (
            {
                "spec": order_spec(side=Side.SELL, quantity=Decimal("0.04"), reduce_only=True),
                "portfolio": account(held=Decimal("0.05")),
                "mandate": mandate(
                    max_notional_usd=Decimal(50_000),
                    max_position_usd=Decimal(25_000),
                    trading_window=TradingWindow(days=("tue",)),
                ),
                "working_sell_quantity": Decimal("0.04"),
            },
            False,
        ),
        # The same against a short, with a working buy
        (
            {
                "spec": order_spec(side=Side.BUY, quantity=Decimal("0.04"), reduce_only=True),
                "portfolio": account(held=Decimal("-0.05")),
                "mandate": mandate(status=MandateStatus.PAUSED),
                "working_buy_quantity": Decimal("0.04"),
            },
            False,
        ),
    ],
    ids=["flatten-revoked", "stacked-sells", "stacked-buys"],
)
def test_screen_when_mandate_exemption_decides_then_agrees_with_full_chain(
    overrides: dict[str, Any], passes: bool
) -> None:
    # Arrange
    case = _plain_case(**overrides)

    # Act
    screened = _screen_passes(case)

    # Assert
    assert screened is passes
    assert _chain_passes(case) is passes
