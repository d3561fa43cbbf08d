"""Map ccxt's exceptions to ours: a transient fault to retry, or a refusal with our reason code.

ccxt already turns each exchange's error codes into its unified exception tree (Binance's -2010
"insufficient balance" into ``InsufficientFunds``, -2011/-2013 into ``OrderNotFound``, HTTP 429
and -1003 into ``RateLimitExceeded``, 5xx into ``ExchangeNotAvailable``, a timeout into
``RequestTimeout``). A request that went out unanswered (a timeout, or the connection lost after
it was sent) is ``VenueOutcomeUnknown``: it may still be in flight at the venue. A refused
connection or an HTTP answer (5xx, 429) is an ordinary transient fault: the venue has answered,
so a lookup tells whether the request was processed. Filter failures arrive as generic
``BadRequest``/``InvalidOrder`` whose text names the filter, so the text decides between min
notional, precision and reduce-only. Any other exchange refusal is ``VENUE_ERROR`` with the
venue's words in the reason. ccxt's text names the request's URL; its query string is cut off
(signed requests carry the timestamp and signature there, and some exchanges the API key id), so
reasons and logs never hold it. Never logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import aiohttp
import ccxt.async_support as ccxt

from aiswarm.errors import TransientVenueError, VenueOutcomeUnknown, VenueRateLimited
from aiswarm.execution.venue import RejectCode

__all__ = ["classify", "retry_after_s"]

_TRANSIENT = (ccxt.NetworkError, ccxt.OperationFailed)
"""Timeouts, 5xx, 429, DDoS protection, maintenance: ccxt's 'may retry' branch."""

_BY_TEXT: tuple[tuple[tuple[str, ...], RejectCode], ...] = (
    (("reduceonly", "reduce-only", "reduce only"), RejectCode.REDUCE_ONLY),
    (("min_notional", "notional"), RejectCode.BELOW_MINIMUM),
    (("lot_size", "price_filter", "precision", "tick size", "step size"), RejectCode.PRECISION),
    (("insufficient",), RejectCode.INSUFFICIENT_FUNDS),
    (("duplicate",), RejectCode.DUPLICATE_CLIENT_ORDER_ID),
)


_QUERY = re.compile(r"(https?://[^\s?#]+)[?#]\S*")


def _without_queries(text: str) -> str:
    """Return ``text`` with every URL's query string (and fragment) removed."""
    return _QUERY.sub(r"\1", text)


def _sent_unanswered(error: Exception) -> bool:
    """Return whether the request may have reached the venue with no answer back."""
    if isinstance(error, ccxt.RequestTimeout):
        return True
    cause = error.__cause__
    # ccxt raises ExchangeNotAvailable from aiohttp's connection errors: only a failure to
    # connect (ClientConnectorError) proves nothing was sent; a dropped connection does not.
    return (
        isinstance(error, ccxt.ExchangeNotAvailable)
        and isinstance(cause, aiohttp.ClientConnectionError)
        and not isinstance(cause, aiohttp.ClientConnectorError)
    )


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """Return the Retry-After header in seconds, when the venue sent a number."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def classify(
    error: Exception, headers: Mapping[str, str] | None = None
) -> TransientVenueError | tuple[RejectCode, str]:
    """Return the transient error to retry, or the refusal's code and reason in words."""
    text = _without_queries(str(error))
    if isinstance(error, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return VenueRateLimited(f"rate limited: {text}", retry_after_s(headers))
    if _sent_unanswered(error):
        return VenueOutcomeUnknown(f"{type(error).__name__}: {text}")
    if isinstance(error, _TRANSIENT):
        return TransientVenueError(f"{type(error).__name__}: {text}")
    if isinstance(error, ccxt.InsufficientFunds):
        return RejectCode.INSUFFICIENT_FUNDS, text
    if isinstance(error, ccxt.OrderNotFound):
        return RejectCode.UNKNOWN_ORDER, text
    if isinstance(error, ccxt.BadSymbol):
        return RejectCode.UNKNOWN_SYMBOL, text
    if isinstance(error, ccxt.DuplicateOrderId):
        return RejectCode.DUPLICATE_CLIENT_ORDER_ID, text
    lowered = text.lower()
    for needles, code in _BY_TEXT:
        if any(needle in lowered for needle in needles):
            return code, text
    return RejectCode.VENUE_ERROR, f"{type(error).__name__}: {text}"
