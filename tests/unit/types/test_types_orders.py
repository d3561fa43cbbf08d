"""OrderIntent and OrderSpec: shapes the venue would refuse are refused here, JSON is lossless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from aiswarm.types import ClientOrderId, OrderSpec, OrderType, Side, TimeInForce
from kit.builders import T0, order_intent, order_spec


def test_order_spec_when_json_round_trip_then_unchanged() -> None:
    # Arrange
    spec = order_spec(
        order_type=OrderType.STOP_LIMIT,
        quantity=Decimal("0.00123000"),
        limit_price=Decimal("50000.10"),
        stop_price=Decimal("49999.9"),
        reduce_only=True,
    )

    # Act
    text = spec.model_dump_json()
    restored = OrderSpec.model_validate_json(text)

    # Assert
    assert restored == spec
    assert restored.model_dump_json() == text
    assert str(restored.quantity) == "0.00123000"


def test_order_spec_when_dumped_to_json_then_decimals_are_strings() -> None:
    # Arrange
    spec = order_spec(quantity=Decimal("0.1"), limit_price=Decimal("50000.10"))

    # Act
    text = spec.model_dump_json()

    # Assert
    assert '"quantity":"0.1"' in text
    assert '"limit_price":"50000.10"' in text
    assert '"schema_version":1' in text


def test_order_spec_when_json_carries_float_money_then_refused() -> None:
    # Arrange
    text = order_spec().model_dump_json().replace('"quantity":"0.01"', '"quantity":0.01')

    # Act / Assert
    with pytest.raises(ValidationError, match=r"quantity=0\.01 is a float"):
        OrderSpec.model_validate_json(text)


def test_order_spec_when_limit_without_limit_price_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="order_type=limit needs a limit_price"):
        order_spec(order_type=OrderType.LIMIT, limit_price=None)


def test_order_spec_when_stop_limit_without_prices_then_every_reason_given() -> None:
    # Act
    with pytest.raises(ValidationError) as raised:
        order_spec(order_type=OrderType.STOP_LIMIT, limit_price=None, stop_price=None)

    # Assert
    message = str(raised.value)
    assert "needs a limit_price" in message
    assert "needs a stop_price" in message


def test_order_spec_when_market_with_limit_price_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="order_type=market must not have a limit_price"):
        order_spec(order_type=OrderType.MARKET, limit_price=Decimal("50000"))


def test_order_spec_when_stop_market_without_stop_price_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="order_type=stop_market needs a stop_price"):
        order_spec(order_type=OrderType.STOP_MARKET, stop_price=None)


def test_order_spec_when_limit_with_stop_price_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="must not have a stop_price"):
        order_spec(order_type=OrderType.LIMIT, stop_price=Decimal("49000"))


def test_order_spec_when_market_then_accepted_without_prices() -> None:
    # Act
    spec = order_spec(order_type=OrderType.MARKET)

    # Assert
    assert spec.limit_price is None
    assert spec.stop_price is None


def test_order_spec_when_post_only_on_market_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="post_only is only for LIMIT"):
        order_spec(order_type=OrderType.MARKET, post_only=True)


def test_order_spec_when_post_only_with_ioc_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="post_only orders must rest"):
        order_spec(post_only=True, time_in_force=TimeInForce.IOC)


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal("-0.01")])
def test_order_spec_when_quantity_not_positive_then_refused(quantity: Decimal) -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="quantity"):
        order_spec(quantity=quantity)


def test_order_spec_when_created_at_naive_then_refused_naming_field() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="created_at=2024-01-01T00:00:00 has no time zone"):
        order_spec(created_at=datetime(2024, 1, 1))


def test_order_spec_when_created_at_in_other_zone_then_held_in_utc() -> None:
    # Arrange
    plus_two = timezone(timedelta(hours=2))

    # Act
    spec = order_spec(created_at=datetime(2024, 1, 1, 2, tzinfo=plus_two))

    # Assert
    assert spec.created_at == T0
    assert spec.created_at.tzinfo is UTC


def test_order_spec_when_unknown_field_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="leverage"):
        order_spec(leverage=Decimal(3))


def test_order_spec_when_schema_version_unknown_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="schema_version"):
        order_spec(schema_version=2)


def test_from_intent_when_built_then_order_fields_copied() -> None:
    # Arrange
    intent = order_intent(side=Side.SELL, quantity=Decimal("0.5"), reduce_only=True)
    created = T0 + timedelta(seconds=1)

    # Act
    spec = OrderSpec.from_intent(intent, ClientOrderId("cid-9"), created)

    # Assert
    assert spec.client_order_id == "cid-9"
    assert spec.created_at == created
    assert spec.side is Side.SELL
    assert spec.quantity == Decimal("0.5")
    assert spec.reduce_only is True
    assert spec.limit_price == intent.limit_price
    assert spec.mandate_id == intent.mandate_id


def test_from_intent_when_built_then_equals_the_validated_spec() -> None:
    # Arrange
    intent = order_intent(side=Side.SELL, quantity=Decimal("0.5"), reduce_only=True)
    created = T0 + timedelta(seconds=1)
    fields = intent.model_dump(exclude={"reason", "ts_event"})

    # Act
    spec = OrderSpec.from_intent(intent, ClientOrderId("cid-9"), created)

    # Assert
    validated = OrderSpec(client_order_id=ClientOrderId("cid-9"), created_at=created, **fields)
    assert spec == validated
    assert spec.model_dump(mode="json") == validated.model_dump(mode="json")


def test_from_intent_when_created_at_naive_then_refused() -> None:
    # Arrange
    intent = order_intent()

    # Act / Assert
    with pytest.raises(ValidationError, match="has no time zone"):
        OrderSpec.from_intent(intent, ClientOrderId("cid-9"), T0.replace(tzinfo=None))


def test_order_intent_when_limit_without_limit_price_then_refused() -> None:
    # Act / Assert
    with pytest.raises(ValidationError, match="needs a limit_price"):
        order_intent(limit_price=None)


def test_notional_when_price_given_then_quantity_times_price() -> None:
    # Arrange
    spec = order_spec(quantity=Decimal("0.01"))

    # Act
    result = spec.notional(Decimal("50000"))

    # Assert
    assert result == Decimal("500")


def test_notional_when_price_not_positive_then_refused() -> None:
    # Arrange
    spec = order_spec()

    # Act / Assert
    with pytest.raises(ValueError, match="price=0 is not positive"):
        spec.notional(Decimal(0))
