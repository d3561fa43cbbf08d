"""The API's answers read plainly: decimals without exponent or padding, ISO 8601 beside ns."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from aiswarm.api.presentation import present, present_all


def test_present_when_decimals_have_exponent_or_padding_then_plain() -> None:
    answer = {
        "fee": Decimal("0E-8"),
        "pnl": Decimal("-36.43214968140000000000000000000000"),
        "nav": Decimal("1E+5"),
        "flat": Decimal("-0.000"),
        "fills": [{"price": Decimal("416.00")}],
    }

    presented = present(answer)

    assert presented == {
        "fee": "0",
        "pnl": "-36.4321496814",
        "nav": "100000",
        "flat": "0",
        "fills": [{"price": "416"}],
    }


def test_present_when_nanoseconds_then_iso_8601_sibling_and_exact_integer_kept() -> None:
    answer = {
        "ts_ns": 1_522_800_000_123_456_789,
        "coverage": {"last_ts_ns": None},
        "created_at": datetime(2018, 4, 4, tzinfo=UTC),
    }

    presented = present(answer)

    assert presented == {
        "ts_ns": 1_522_800_000_123_456_789,
        "ts": "2018-04-04T00:00:00.123456+00:00",
        "coverage": {"last_ts_ns": None, "last_ts": None},
        "created_at": "2018-04-04T00:00:00+00:00",
    }


def test_present_all_when_verbatim_key_then_that_value_untouched() -> None:
    recorded = {"amount": "100000.00", "ts_ns": 5}

    presented = present_all([{"seq": 1, "payload": recorded}], verbatim="payload")

    assert presented == [{"seq": 1, "payload": recorded}]
    assert presented[0]["payload"] is recorded
