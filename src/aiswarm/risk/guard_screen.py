"""Decide in one pass whether every guard of the chain would pass an order. Pure, no I/O.

Why: the chain is 40 small functions over a ``GuardContext``; building the context and calling
them costs about 4 us per order here, the whole budget for judging *and* signing one. Almost
every order passes, and a pass needs no explanation, only the answer. ``GuardScreen.passes``
gives that answer from the raw inputs, with every guard's pass condition written out in one
function body: no context, no calls per guard, no allocation.

It never refuses on its own: when it answers False the risk engine runs the full chain, so
every refusal, with its code and numbers, still comes from the guard that owns it. Its one
duty is to be exact: ``passes(...)`` is True precisely when ``run_guards`` returns no refusal
for the same inputs. tests/unit/risk/test_guard_screen.py checks that on random
inputs across every guard's boundaries. The conditions below keep each guard's arithmetic,
in the same order, so rounding cannot differ; a change to a guard must change this file too.

Derived facts of the instrument, mandate and snapshot (their fields, the mandate's validity
window in microseconds, drawdown and daily loss against the limits) are kept per object, keyed
by ``id()`` with a strong reference so the id cannot be reused while the entry lives. Only
exact ``Instrument``, ``Mandate`` and ``PortfolioSnapshot`` instances are kept: frozen pydantic
models whose fields cannot be reassigned, so a kept fact is the object's fact for as long as
the object lives. Another order, market view or activity is always read afresh. The limits are
fixed per screen (one per risk engine). Each cache holds at most ``_CACHE_SIZE`` objects and
is emptied when full, so a long run keeps no stale snapshots alive.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Final, TypeVar

from aiswarm.risk.guard_context import held_quantity
from aiswarm.risk.limits import RiskLimits
from aiswarm.risk.views import ActivityView, MarketView
from aiswarm.types import (
    Instrument,
    InstrumentKind,
    Mandate,
    MandateStatus,
    OrderSpec,
    PortfolioSnapshot,
    Side,
    Symbol,
    TradingState,
    TradingWindow,
    VenueId,
)

__all__ = ["GuardScreen"]

_ZERO: Final = Decimal(0)
_BUY: Final = Side.BUY
_SPOT: Final = InstrumentKind.SPOT
_ACTIVE: Final = TradingState.ACTIVE
_REDUCING: Final = TradingState.REDUCING
_MANDATE_ACTIVE: Final = MandateStatus.ACTIVE
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_SECOND_NS: Final = 1_000_000_000
_DAY_NS: Final = 86_400 * _SECOND_NS
_CACHE_SIZE: Final = 256

_SPEC_VALUES: Final = itemgetter(
    "account",
    "mandate_id",
    "venue",
    "symbol",
    "side",
    "quantity",
    "limit_price",
    "stop_price",
    "reduce_only",
)
"""The order fields the guards read, from the model's ``__dict__`` in one C call."""

_InstrumentFacts = tuple[Instrument, VenueId, Symbol, Decimal, Decimal, Decimal, Decimal, bool]
_MandateFacts = tuple[
    Mandate, str, bool, int, int, tuple[Symbol, ...], tuple[VenueId, ...], tuple[Side, ...],
    Decimal, Decimal, frozenset[str] | None, TradingWindow | None,
]  # fmt: skip
_PortfolioFacts = tuple[PortfolioSnapshot, str, Decimal, Decimal, Decimal, bool, bool, bool]
_Facts = TypeVar("_Facts", _InstrumentFacts, _MandateFacts, _PortfolioFacts)


class GuardScreen:
    """Answer "would the whole chain pass this order?" cheaply; see the module docstring."""

    __slots__ = ("_instruments", "_mandates", "_portfolios", "_thresholds")

    def __init__(self, limits: RiskLimits) -> None:
        self._thresholds = limits.thresholds
        self._instruments: dict[int, _InstrumentFacts] = {}
        self._mandates: dict[int, _MandateFacts] = {}
        self._portfolios: dict[int, _PortfolioFacts] = {}

    def passes(
        self,
        spec: OrderSpec,
        instrument: Instrument | None,
        portfolio: PortfolioSnapshot | None,
        mandate: Mandate | None,
        market: MarketView | None,
        activity: ActivityView,
        trading_state: TradingState,
        kill_switch_latched: bool,
        now_ns: int,
        mandate_exposure_usd: Decimal | None,
        position_quantity: Decimal | None,
        working_sell_quantity: Decimal = _ZERO,
        mandate_day_notional_usd: Decimal | None = None,
        strategy_types: frozenset[str] | None = None,
        working_buy_quantity: Decimal = _ZERO,
    ) -> bool:
        """Return True exactly when ``run_guards`` would return no refusal for these inputs.

        The arguments mean what they mean to ``GuardContext.build``, with the screen's limits.
        """
        # Inputs: without any of them a guard refuses (UNKNOWN_ACCOUNT, UNKNOWN_INSTRUMENT,
        # UNKNOWN_PRICE, MANDATE_INACTIVE).
        if portfolio is None or instrument is None or mandate is None or market is None:
            return False
        thresholds = self._thresholds
        account, mandate_id, venue, symbol, side, quantity, limit_price, stop_price, reduce_only = (
            _SPEC_VALUES(spec.__dict__)
        )

        # GuardContext.build: the position and whether the order shrinks it, net of the
        # working orders on its side (guard_context.shrinks_position, inlined).
        held = (
            held_quantity(portfolio, venue, symbol)
            if position_quantity is None
            else position_quantity
        )
        buying = side is _BUY
        shrinks = False
        if held:
            after = held + quantity if buying else held - quantity
            shrinks = (
                (not buying and held - working_sell_quantity - quantity >= _ZERO)
                if held > _ZERO
                else (buying and held + working_buy_quantity + quantity <= _ZERO)
            )
        risk_reducing = reduce_only and shrinks
        flattening = kill_switch_latched and risk_reducing and thresholds.flatten_on_trip

        # Modes: kill switch, trading state, circuit breaker.
        if kill_switch_latched and not (risk_reducing and thresholds.flatten_on_trip):
            return False
        if trading_state is not _ACTIVE:
            if trading_state is _REDUCING:
                if not risk_reducing:
                    return False
            elif not (risk_reducing and thresholds.flatten_on_trip):
                return False
        if (
            not flattening
            and activity.consecutive_rejections >= thresholds.circuit_breaker_rejections
        ):
            last = activity.last_rejection_ns
            if last is None or now_ns - last < thresholds.circuit_breaker_cooldown_ns:
                return False

        # Inputs: the account, the instrument, the mark, fresh market data.
        entry = self._portfolios.get(id(portfolio))
        if entry is None or entry[0] is not portfolio:
            entry = self._portfolio_facts(portfolio)
        _, p_account, gross, net, leverage_cap, nav_positive, drawdown_ok, daily_ok = entry
        if p_account != account:
            return False
        found = self._instruments.get(id(instrument))
        if found is None or found[0] is not instrument:
            found = self._instrument_facts(instrument)
        _, i_venue, i_symbol, step, tick, min_quantity, min_notional, spot = found
        if i_symbol != symbol or i_venue != venue:
            return False
        if market.symbol != symbol or market.venue != venue:
            return False
        mark = market.mark
        if mark is None or not mark > _ZERO:
            return False
        if now_ns - market.updated_ns > thresholds.max_market_data_age_ns:
            return False

        # Mandate: this one, active now (unless reducing), this symbol and venue, this side.
        known = self._mandates.get(id(mandate))
        if known is None or known[0] is not mandate:
            known = self._mandate_facts(mandate)
        (
            _,
            m_id,
            m_active,
            start_us,
            end_us,
            m_symbols,
            m_venues,
            m_sides,
            position_limit,
            budget,
            m_strategies,
            m_window,
        ) = known
        if m_id != mandate_id:
            return False
        if not risk_reducing and not (m_active and start_us <= now_ns // 1_000 < end_us):
            return False
        if symbol not in m_symbols or venue not in m_venues:
            return False
        if not risk_reducing:
            if side not in m_sides:
                return False
            if m_strategies is not None and not (
                strategy_types and strategy_types.issubset(m_strategies)
            ):
                return False
            if m_window is not None and not m_window.contains(now_ns):
                return False
        if reduce_only and not shrinks:
            return False
        if (thresholds.close_only or symbol in thresholds.close_only_symbols) and not shrinks:
            return False

        # Holdings: a spot sell fits in the holding beside the working sells.
        if spot and not buying and not working_sell_quantity + quantity <= held:
            return False

        # The order itself: step, tick, minimums, size caps, price band.
        # guards_market._on_grid, inlined: a remainder too big for the context falls back to
        # the instrument's exact test, as the guards do.
        try:
            if quantity % step:
                return False
        except InvalidOperation:
            if not instrument.is_on_step(quantity):
                return False
        if limit_price is not None:
            try:
                if limit_price % tick:
                    return False
            except InvalidOperation:
                if not instrument.is_on_tick(limit_price):
                    return False
        if stop_price is not None:
            try:
                if stop_price % tick:
                    return False
            except InvalidOperation:
                if not instrument.is_on_tick(stop_price):
                    return False
        if not quantity >= min_quantity:
            return False
        price = limit_price if limit_price is not None else stop_price
        at_price = quantity * (mark if price is None else price)
        if not at_price > min_notional and not (
            at_price == min_notional
            and not any(
                violation.field == "notional"
                for violation in instrument.check_minimums(
                    quantity, mark if price is None else price
                )
            )
        ):
            return False
        cap = thresholds.max_order_quantity.get(symbol)
        if cap is not None and not quantity <= cap:
            return False
        at_mark = quantity * mark
        notional = quantity * price if price is not None and price > mark else at_mark
        if not notional <= thresholds.max_order_notional_usd:
            return False
        if limit_price is not None:
            reference = stop_price if stop_price is not None else mark
            if abs(limit_price - reference) > reference * thresholds.price_band_frac:
                return False

        # Activity: open orders, rates, duplicates.
        if activity.open_orders_count >= thresholds.max_open_orders:
            return False
        times = activity.order_times_ns
        count = len(times)
        limit = thresholds.max_orders_per_second
        if count >= limit and count - bisect_right(times, now_ns - _SECOND_NS) >= limit:
            return False
        limit = thresholds.max_orders_per_day
        if count >= limit and count - bisect_left(times, now_ns - now_ns % _DAY_NS) >= limit:
            return False
        window = thresholds.duplicate_window_ns
        if window:
            recent = activity.recent_fingerprints
            if recent:
                last = recent.get((mandate_id, symbol, side, quantity, limit_price))
                if last is not None and now_ns - last < window:
                    return False

        # Liquidity, exposure and losses.
        if not (flattening and notional <= thresholds.flatten_slice_floor_usd):
            liquidity = market.liquidity_usd
            if liquidity is None or notional > liquidity * thresholds.max_participation_frac:
                return False
        if risk_reducing:
            return True
        if held:
            after_notional = abs(after) * mark
            gross_change = after_notional - abs(held) * mark
        else:
            after_notional = gross_change = at_mark
        if after_notional + activity.open_order_notional_usd(symbol) > position_limit:
            return False
        gross_after = gross + activity.open_order_notional_total_usd + gross_change
        if gross_after > thresholds.max_gross_exposure_usd:
            return False
        net_after = net + at_mark if buying else net - at_mark
        if abs(net_after) > thresholds.max_net_exposure_usd:
            return False
        if not nav_positive or gross_after > leverage_cap:
            return False
        if not drawdown_ok or not daily_ok:
            return False
        # An unknown mandate exposure refuses (MANDATE_BUDGET), but only here: a risk-reducing
        # order is exempt from the budget, and returned above.
        if mandate_exposure_usd is None or mandate_exposure_usd + notional > budget:
            return False
        return _within_mandate_budget(
            mandate, portfolio, mandate_exposure_usd + notional, gross_after, notional,
            mandate_day_notional_usd,
        )  # fmt: skip

    def _instrument_facts(self, instrument: Instrument) -> _InstrumentFacts:
        """Return (and keep, for an exact ``Instrument``) the instrument fields the guards read."""
        facts = (
            instrument,
            instrument.venue,
            instrument.symbol,
            instrument.step_size,
            instrument.tick_size,
            instrument.min_quantity,
            instrument.min_notional,
            instrument.kind is _SPOT,
        )
        if instrument.__class__ is Instrument:
            _keep(self._instruments, id(instrument), facts)
        return facts

    def _mandate_facts(self, mandate: Mandate) -> _MandateFacts:
        """Return (and keep, for an exact ``Mandate``) what the mandate guards read.

        The validity window is in whole microseconds since the epoch, as
        ``check_mandate_active`` computes it; the position limit is the lower of the
        account's and the mandate's, as ``check_symbol_exposure`` takes it.
        """
        limit = self._thresholds.max_position_notional_usd
        if mandate.max_position_usd < limit:
            limit = mandate.max_position_usd
        facts = (
            mandate,
            mandate.mandate_id,
            mandate.status is _MANDATE_ACTIVE,
            (mandate.valid_from - _EPOCH) // _MICROSECOND,
            (mandate.valid_until - _EPOCH) // _MICROSECOND,
            mandate.symbols,
            mandate.venues,
            mandate.allowed_sides,
            limit,
            mandate.max_notional_usd,
            None if mandate.strategy_types is None else frozenset(mandate.strategy_types),
            mandate.trading_window,
        )
        if mandate.__class__ is Mandate:
            _keep(self._mandates, id(mandate), facts)
        return facts

    def _portfolio_facts(self, portfolio: PortfolioSnapshot) -> _PortfolioFacts:
        """Return (and keep, for an exact ``PortfolioSnapshot``) what the account guards read.

        The leverage cap (NAV x max leverage), whether NAV is positive, and the drawdown and
        daily-loss verdicts depend only on the snapshot and the limits, so they are worked out
        once per snapshot, with the same arithmetic as ``check_leverage``, ``check_drawdown``
        and ``check_daily_loss``.
        """
        thresholds = self._thresholds
        nav = portfolio.nav
        peak = portfolio.peak_nav
        pnl = portfolio.daily_pnl
        opening = nav - pnl
        facts = (
            portfolio,
            portfolio.account,
            portfolio.gross_exposure,
            portfolio.net_exposure,
            nav * thresholds.max_leverage,
            nav > _ZERO,
            peak > _ZERO and peak - nav < peak * thresholds.max_drawdown_frac,
            pnl >= _ZERO or (opening > _ZERO and -pnl < opening * thresholds.max_daily_loss_frac),
        )
        if portfolio.__class__ is PortfolioSnapshot:
            _keep(self._portfolios, id(portfolio), facts)
        return facts


def _within_mandate_budget(
    mandate: Mandate,
    portfolio: PortfolioSnapshot,
    exposure_after: Decimal,
    gross_after: Decimal,
    notional: Decimal,
    sent_today: Decimal | None,
) -> bool:
    """Return True when the ``guards_mandate_budget`` guards pass, with their arithmetic.

    Rarely set limits, so they are read off the mandate rather than kept as facts.
    """
    nav = portfolio.nav
    share = mandate.max_allocation_frac
    if share is not None and not (nav > _ZERO and exposure_after <= nav * share):
        return False
    day_limit = mandate.max_day_notional_usd
    if day_limit is not None and (sent_today is None or sent_today + notional > day_limit):
        return False
    leverage = mandate.max_leverage
    if leverage is not None and (nav <= _ZERO or gross_after > nav * leverage):
        return False
    drawdown = mandate.max_drawdown_frac
    if drawdown is not None:
        peak = portfolio.peak_nav
        if peak <= _ZERO or peak - nav >= peak * drawdown:
            return False
    daily = mandate.max_daily_loss_frac
    if daily is not None:
        pnl = portfolio.daily_pnl
        opening = nav - pnl
        if pnl < _ZERO and (opening <= _ZERO or -pnl >= opening * daily):
            return False
    return True


def _keep(cache: dict[int, _Facts], key: int, facts: _Facts) -> None:
    """Store ``facts`` under ``key``, emptying ``cache`` first when it is full."""
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = facts
