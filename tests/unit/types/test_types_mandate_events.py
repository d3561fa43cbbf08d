"""Mandate shape checks, enums and modes, and the event record."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from aiswarm.types import (
    TERMINAL_ORDER_STATUSES,
    TRADING_MODES,
    DomainEvent,
    EventRecord,
    EventType,
    Mandate,
    Mode,
    OrderStatus,
    Side,
    to_payload,
)
from kit.builders import T0, mandate


def test_mandate_when_valid_until_not_after_valid_from_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match=r"valid_until=.* is not after valid_from"):
        mandate(valid_from=T0, valid_until=T0)


def test_mandate_when_symbol_repeated_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="symbols lists BTC/USDT more than once"):
        mandate(symbols=("BTC/USDT", "BTC/USDT"))


def test_mandate_when_no_venues_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="venues"):
        mandate(venues=())


def test_mandate_when_json_round_trip_then_equal() -> None:
    # Arrange
    built = mandate(params={"fast": 12, "slow": 26, "limit_price": "50000.5"})

    # Act
    restored = Mandate.model_validate_json(built.model_dump_json())

    # Assert
    assert restored == built
    assert restored.max_notional_usd == Decimal("10000")


def test_mandate_params_when_changed_after_build_then_refused() -> None:
    # Arrange
    built = mandate(params={"fast": 12})

    # Act / Assert
    with pytest.raises(TypeError):
        built.params["fast"] = 1  # type: ignore[index]


def test_terminal_statuses_when_listed_then_exactly_the_final_ones() -> None:
    # Act / Assert
    assert {status for status in OrderStatus if status.is_terminal} == TERMINAL_ORDER_STATUSES
    assert {"filled", "canceled", "rejected", "expired"} == TERMINAL_ORDER_STATUSES


def test_trading_modes_when_listed_then_all_but_backtest() -> None:
    # Act / Assert
    assert frozenset(Mode) - TRADING_MODES == {Mode.BACKTEST}


def test_side_when_asked_then_sign_and_opposite() -> None:
    # Act / Assert
    assert (Side.BUY.sign, Side.SELL.sign) == (1, -1)
    assert Side.BUY.opposite is Side.SELL


class _Probe(DomainEvent):
    """A domain event as another room would declare one."""

    price: Decimal


def test_to_payload_when_event_has_decimals_then_json_strings() -> None:
    # Arrange
    event = _Probe(ts_event=T0, ts_init=T0, price=Decimal("50000.10"))

    # Act
    payload = to_payload(event)

    # Assert
    assert payload == {
        "ts_event": "2024-01-01T00:00:00Z",
        "ts_init": "2024-01-01T00:00:00Z",
        "price": "50000.10",
    }


def test_event_record_when_hash_not_hex_digest_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="hash"):
        EventRecord(
            seq=1, ts_ns=0, account="a", type=EventType.ORDER_EVENT, payload={}, hash="not-a-hash"
        )


def test_event_record_when_valid_then_type_is_plain_string_value() -> None:
    # Act
    record = EventRecord(
        seq=1,
        ts_ns=1_704_067_200_000_000_000,
        account="acct-1",
        type=EventType.ORDER_EVENT,
        payload={},
        hash="ab" * 32,
    )

    # Assert
    assert record.type == "order.event"
    assert record.account == "acct-1"


def test_event_type_when_listed_then_names_follow_values_and_values_are_unique() -> None:
    # Assert: the name is the value upper-cased with dots as underscores, so neither drifts
    for member in EventType:
        assert member.name == member.value.upper().replace(".", "_")
    assert len({member.value for member in EventType}) == len(EventType)


def test_event_type_when_engine_appends_then_its_types_are_registered() -> None:
    # Assert
    wanted = {"account.opened", "cycle.completed", "session.changed", "runtime.started"}
    assert wanted <= {member.value for member in EventType}
