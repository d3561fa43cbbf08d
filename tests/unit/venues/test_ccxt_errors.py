"""ccxt's exceptions map to a transient fault to retry or to our reason code."""

from __future__ import annotations

import aiohttp
import ccxt.async_support as ccxt
import pytest

from aiswarm.errors import TransientVenueError, VenueOutcomeUnknown, VenueRateLimited
from aiswarm.execution.venue import RejectCode
from aiswarm.venues.ccxt_errors import classify, retry_after_s


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ccxt.InsufficientFunds("Account has insufficient balance"), RejectCode.INSUFFICIENT_FUNDS),
        (ccxt.BadRequest("Filter failure: MIN_NOTIONAL"), RejectCode.BELOW_MINIMUM),
        (ccxt.InvalidOrder("Filter failure: NOTIONAL"), RejectCode.BELOW_MINIMUM),
        (ccxt.BadRequest("Filter failure: LOT_SIZE"), RejectCode.PRECISION),
        (ccxt.BadRequest("Filter failure: PRICE_FILTER"), RejectCode.PRECISION),
        (ccxt.BadRequest("Precision is over the maximum"), RejectCode.PRECISION),
        (ccxt.InvalidOrder("ReduceOnly Order is rejected."), RejectCode.REDUCE_ONLY),
        (ccxt.OrderNotFound("Unknown order sent."), RejectCode.UNKNOWN_ORDER),
        (ccxt.BadSymbol("Invalid symbol."), RejectCode.UNKNOWN_SYMBOL),
        (ccxt.DuplicateOrderId("duplicate"), RejectCode.DUPLICATE_CLIENT_ORDER_ID),
        (ccxt.InvalidOrder("Duplicate order sent."), RejectCode.DUPLICATE_CLIENT_ORDER_ID),
        (
            ccxt.AuthenticationError("Signature for this request is not valid."),
            RejectCode.VENUE_ERROR,
        ),
    ],
)
def test_refusal_maps_to_reason_code(error: Exception, code: RejectCode) -> None:
    outcome = classify(error)

    assert isinstance(outcome, tuple)
    assert outcome[0] is code


@pytest.mark.parametrize(
    "error",
    [
        ccxt.RequestTimeout("timed out"),
        ccxt.ExchangeNotAvailable("503"),
        ccxt.NetworkError("reset"),
        ccxt.OperationFailed("-1001 internal error"),
    ],
)
def test_timeouts_and_5xx_are_transient(error: Exception) -> None:
    outcome = classify(error)

    assert isinstance(outcome, TransientVenueError)
    assert not isinstance(outcome, VenueRateLimited)


def test_429_is_rate_limited_with_retry_after_from_headers() -> None:
    outcome = classify(ccxt.RateLimitExceeded("-1003"), {"retry-after": "3"})

    assert isinstance(outcome, VenueRateLimited)
    assert outcome.retry_after_s == 3.0


@pytest.mark.parametrize(("headers", "seconds"), [(None, None), ({"Retry-After": "x"}, None)])
def test_retry_after_without_a_number_is_none(
    headers: dict[str, str] | None, seconds: float | None
) -> None:
    assert retry_after_s(headers) == seconds


def _raised_from(error: ccxt.BaseError, cause: BaseException) -> ccxt.BaseError:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        ccxt.RequestTimeout("binance POST http://127.0.0.1/api/v3/order"),
        _raised_from(ccxt.ExchangeNotAvailable("gone"), aiohttp.ServerDisconnectedError()),
    ],
)
def test_a_request_sent_and_unanswered_has_an_unknown_outcome(error: Exception) -> None:
    assert isinstance(classify(error), VenueOutcomeUnknown)


@pytest.mark.parametrize(
    "error",
    [
        ccxt.ExchangeNotAvailable("503 Service Unavailable"),
        _raised_from(
            ccxt.ExchangeNotAvailable("refused"),
            aiohttp.ClientConnectorError(
                aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None),
                OSError(111, "refused"),
            ),
        ),
        ccxt.RateLimitExceeded("-1003"),
    ],
)
def test_an_answer_or_a_refused_connection_is_no_unknown_outcome(error: Exception) -> None:
    outcome = classify(error)

    assert isinstance(outcome, TransientVenueError)
    assert not isinstance(outcome, VenueOutcomeUnknown)


def test_query_strings_are_cut_from_the_reason() -> None:
    error = ccxt.InsufficientFunds(
        "binance POST https://api.binance.com/api/v3/order?apiKeyId=k1&timestamp=1&signature=ab"
        " 400 {-2010}"
    )

    outcome = classify(error)

    assert outcome == (
        RejectCode.INSUFFICIENT_FUNDS,
        "binance POST https://api.binance.com/api/v3/order 400 {-2010}",
    )
