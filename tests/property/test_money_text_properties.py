"""Money back to text: ``plain`` is exact and canonical, ``money_text`` rounds without a ``-0``."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from hypothesis import example, given
from hypothesis import strategies as st

from aiswarm.types.money import money_text, plain

_WIDE = st.builds(
    lambda sign, digits, exponent: Decimal(f"{sign}{digits}E{exponent}"),
    st.sampled_from(["", "-"]),
    st.text(alphabet="0123456789", min_size=1, max_size=60),
    st.integers(min_value=-60, max_value=40),
)
_DECIMALS = st.decimals(allow_nan=False, allow_infinity=False) | _WIDE


@given(_DECIMALS)
@example(Decimal("12.02530123379590658746001587339762861059"))
@example(Decimal("0E-8"))
@example(Decimal("-36.43214968140000000000000000000000"))
def test_plain_when_any_finite_decimal_then_exact_without_exponent_or_trailing_zeros(
    value: Decimal,
) -> None:
    # Act
    text = plain(value)

    # Assert: the same number, spelled one way only
    assert Decimal(text) == value
    assert "E" not in text
    assert "e" not in text
    assert text != "-0"
    assert not ("." in text and text.endswith(("0", ".")))
    assert plain(Decimal(text)) == text


@given(_DECIMALS, st.integers(min_value=0, max_value=8))
@example(Decimal("-0.004"), 2)
@example(Decimal("-0E-8"), 2)
def test_money_text_when_any_decimal_then_rounded_half_even_and_never_negative_zero(
    value: Decimal, places: int
) -> None:
    # Act
    text = money_text(value, places)

    # Assert
    with localcontext() as context:
        context.prec = 200
        expected = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        assert Decimal(text.replace(",", "")) == expected
    assert not (text.startswith("-") and expected == 0)
    decimals = text.partition(".")[2]
    assert len(decimals) == places
