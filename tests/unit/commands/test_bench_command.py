"""`aiswarm bench cycle --symbols`: which values it takes, and the answer to a bad one."""

from __future__ import annotations

import pytest

from aiswarm.commands.bench import MAX_SYMBOLS, parse_symbol_counts
from aiswarm.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "counts"),
    [("100", (100,)), ("100,1000", (100, 1000)), (" 10, 500 ", (10, 500)), ("1", (1,))],
)
def test_symbols_when_numbers_then_counts_in_the_order_given(
    text: str, counts: tuple[int, ...]
) -> None:
    # Act / Assert
    assert parse_symbol_counts(text) == counts


@pytest.mark.parametrize(
    "text", ["0", "-5", "abc", "100,", "1e3", "10.5", "", str(MAX_SYMBOLS + 1)]
)
def test_symbols_when_not_a_whole_number_in_range_then_config_error_naming_value_and_fix(
    text: str,
) -> None:
    # Act / Assert
    with pytest.raises(ConfigError) as raised:
        parse_symbol_counts(text)
    message = str(raised.value)
    assert f"--symbols was {text!r}" in message
    assert "e.g. --symbols 100 or --symbols 100,1000" in message
