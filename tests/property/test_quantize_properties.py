"""Quantization invariants over generated prices, quantities, ticks and steps."""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import given
from hypothesis import strategies as st

from aiswarm.types import Instrument, Side
from kit.builders import instrument

_INCREMENTS = st.sampled_from(
    [Decimal(text) for text in ("1", "0.1", "0.01", "0.00001", "0.5", "0.25", "5", "0.0025")]
)
_AMOUNTS = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("1000000"), places=8, allow_nan=False
)
_LONG_AMOUNTS = st.builds(
    lambda whole, digits: Decimal(f"{whole}.{digits}"),
    st.integers(min_value=0, max_value=10**12),
    st.text(alphabet="0123456789", min_size=1, max_size=40),
)
_QUANTITIES = _AMOUNTS | _LONG_AMOUNTS
# Assertions do their own arithmetic on up to ~55-digit values: keep it exact, not 28 digits.
_EXACT_PRECISION = 200


@st.composite
def _markets(draw: st.DrawFn) -> Instrument:
    """Draw an instrument with a generated tick, step and minimums."""
    return instrument(
        tick_size=draw(_INCREMENTS),
        step_size=draw(_INCREMENTS),
        min_quantity=draw(_INCREMENTS),
        min_notional=draw(st.decimals(min_value=0, max_value=1000, places=2)),
    )


@given(market=_markets(), quantity=_QUANTITIES)
def test_quantized_quantity_never_exceeds_input_and_is_on_step(
    market: Instrument, quantity: Decimal
) -> None:
    # Act
    result = market.quantize_quantity(quantity)

    # Assert
    assert Decimal(0) <= result <= quantity
    assert market.is_on_step(result)
    with localcontext(prec=_EXACT_PRECISION):
        assert quantity - result < market.step_size


@given(market=_markets(), quantity=_QUANTITIES)
def test_quantize_quantity_twice_changes_nothing(market: Instrument, quantity: Decimal) -> None:
    # Arrange
    once = market.quantize_quantity(quantity)

    # Act
    twice = market.quantize_quantity(once)

    # Assert
    assert twice == once
    assert str(twice) == str(once)


@given(market=_markets(), price=_QUANTITIES)
def test_buy_price_quantized_never_above_input_and_on_tick(
    market: Instrument, price: Decimal
) -> None:
    # Arrange: a BUY below one tick is refused, so start at one tick
    with localcontext(prec=_EXACT_PRECISION):
        price = price + market.tick_size

    # Act
    result = market.quantize_price(price, Side.BUY)

    # Assert
    assert 0 < result <= price
    assert market.is_on_tick(result)
    with localcontext(prec=_EXACT_PRECISION):
        assert price - result < market.tick_size


@given(market=_markets(), price=_QUANTITIES.filter(lambda value: value > 0))
def test_sell_price_quantized_never_below_input_and_on_tick(
    market: Instrument, price: Decimal
) -> None:
    # Act
    result = market.quantize_price(price, Side.SELL)

    # Assert
    assert result >= price
    assert market.is_on_tick(result)
    with localcontext(prec=_EXACT_PRECISION):
        assert result - price < market.tick_size


@given(
    market=_markets(), price=_AMOUNTS.filter(lambda value: value > 0), side=st.sampled_from(Side)
)
def test_quantize_price_twice_changes_nothing(
    market: Instrument, price: Decimal, side: Side
) -> None:
    # Arrange
    price = price + market.tick_size
    once = market.quantize_price(price, side)

    # Act
    twice = market.quantize_price(once, side)

    # Assert
    assert twice == once
    assert str(twice) == str(once)


@given(
    market=_markets(),
    quantity=_AMOUNTS,
    price=_AMOUNTS.filter(lambda value: value > 0),
)
def test_min_notional_check_agrees_with_quantity_times_price(
    market: Instrument, quantity: Decimal, price: Decimal
) -> None:
    # Act
    violations = market.check_minimums(quantity, price)

    # Assert
    fields = {violation.field for violation in violations}
    with localcontext(prec=_EXACT_PRECISION):
        assert ("notional" in fields) == (quantity * price < market.min_notional)
    assert ("quantity" in fields) == (quantity < market.min_quantity)
