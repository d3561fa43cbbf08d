"""Specs for ``MandateBook.for_symbol`` (the mandate a closing order goes under) and
``resend_refusal`` (whether an unanswered order may still be resent under its mandate)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiswarm.runtime.mandate_book import MandateBook, resend_refusal
from aiswarm.types import MandateId, MandateStatus, Side, Symbol
from kit.builders import MANDATE, SYMBOL, mandate, order_spec
from kit.guards import NOW_NS

ETH = Symbol("ETH/USDT")


def test_for_symbol_when_an_active_mandate_lists_it_then_preferred_to_an_expired_one() -> None:
    # Arrange: an expired mandate first, an active one after, a default for another symbol
    default = mandate(mandate_id=MandateId("default"), symbols=(ETH,))
    old = mandate(mandate_id=MandateId("a-old"), status=MandateStatus.EXPIRED)
    live = mandate(mandate_id=MandateId("b-live"))
    book = MandateBook(default, {old.mandate_id: old, live.mandate_id: live})

    # Act
    chosen = book.for_symbol(SYMBOL, NOW_NS)

    # Assert
    assert chosen.mandate_id == "b-live"


def test_for_symbol_when_default_lists_it_but_is_paused_then_active_one_preferred() -> None:
    # Arrange
    default = mandate(mandate_id=MandateId("default"), status=MandateStatus.PAUSED)
    live = mandate(mandate_id=MandateId("b-live"))
    book = MandateBook(default, {live.mandate_id: live})

    # Act / Assert
    assert book.for_symbol(SYMBOL, NOW_NS).mandate_id == "b-live"


def test_for_symbol_when_active_mandate_is_past_valid_until_then_a_valid_one_preferred() -> None:
    # Arrange: still ACTIVE (its expiry not yet recorded) but past valid_until
    default = mandate(
        mandate_id=MandateId("default"), valid_until=datetime(2024, 1, 1, 0, 30, tzinfo=UTC)
    )
    live = mandate(mandate_id=MandateId("b-live"))
    book = MandateBook(default, {live.mandate_id: live})

    # Act / Assert
    assert book.for_symbol(SYMBOL, NOW_NS).mandate_id == "b-live"


def test_for_symbol_when_only_inactive_mandates_list_it_then_the_first_listing_one() -> None:
    # Arrange: the close still goes under a mandate that lists the symbol (it passes as
    # risk-reducing), not under the default that does not list it
    default = mandate(mandate_id=MandateId("default"), symbols=(ETH,))
    old = mandate(mandate_id=MandateId("a-old"), status=MandateStatus.REVOKED)
    book = MandateBook(default, {old.mandate_id: old})

    # Act / Assert
    assert book.for_symbol(SYMBOL, NOW_NS).mandate_id == "a-old"
    assert book.for_symbol(Symbol("SOL/USDT"), NOW_NS).mandate_id == "default"


def test_resend_refusal_when_mandate_no_longer_trades_then_named_and_closes_still_resent() -> None:
    # Arrange
    paused = mandate(status=MandateStatus.PAUSED)
    lapsed = mandate(valid_until=datetime(2024, 1, 1, 0, 30, tzinfo=UTC))
    opening = order_spec()
    closing = order_spec(side=Side.SELL, reduce_only=True)

    # Act / Assert: resending places the order, so its mandate must still trade
    assert resend_refusal({MANDATE: mandate()}, opening, NOW_NS) is None
    assert resend_refusal({MANDATE: paused}, opening, NOW_NS) == "mandate=mandate-1 status=paused"
    assert resend_refusal({}, opening, NOW_NS) == "mandate=mandate-1 status=unknown"
    assert "valid_until=2024-01-01T00:30:00+00:00" in str(
        resend_refusal({MANDATE: lapsed}, opening, NOW_NS)
    )
    assert resend_refusal({MANDATE: paused}, closing, NOW_NS) is None
