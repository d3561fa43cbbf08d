"""Load a ccxt exchange's markets once, from the venue or a file, and read them exactly.

Markets are loaded at ``connect`` and kept for the session: ccxt caches them on the exchange
object, and ``markets_file`` lets a deployment (or a test) start from a saved copy instead of
asking the venue (``save_markets`` writes one). Instruments and order sizes come out as exact
``Decimal``: ccxt's numbers are floats, read through ``repr`` (the shortest text that round-
trips, which is the venue's own text for any value with up to 15 significant digits).

An approved order is signed at its quantity and price, so the adapter never changes them:
``at_precision`` returns the exchange's text for each (``amount_to_precision``,
``price_to_precision``) and refuses an order whose numbers that text would change.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt

from aiswarm.execution.venue import RejectCode
from aiswarm.types import Instrument, InstrumentKind, OrderSpec, Symbol, VenueId

__all__ = ["at_precision", "exact", "instrument_of", "load_markets", "save_markets"]


def exact(value: object) -> Decimal:
    """Return a ccxt number (float, int or text) as an exact Decimal."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


async def load_markets(exchange: ccxt.Exchange, markets_file: Path | None) -> None:
    """Load the markets once: from ``markets_file`` when it exists, else from the venue.

    A ``markets_file`` that does not exist yet is written from the venue's answer, so the
    next start reads the cached copy (delete it to refresh after the venue lists new markets).
    """
    # A small local file read or written once at connect; not worth a thread.
    if markets_file is not None and markets_file.exists():  # noqa: ASYNC240
        markets = json.loads(markets_file.read_text(encoding="utf-8"))  # noqa: ASYNC240
        exchange.set_markets(list(markets.values()) if isinstance(markets, dict) else markets)
        return
    await exchange.load_markets()
    if markets_file is not None:
        save_markets(exchange, markets_file)


def save_markets(exchange: ccxt.Exchange, path: Path) -> None:
    """Write the loaded markets as JSON, for ``markets_file`` on the next start."""
    path.write_text(json.dumps(list(exchange.markets.values())), encoding="utf-8")


def _size(exchange: ccxt.Exchange, value: object) -> Decimal:
    """Return a precision entry as a size: TICK_SIZE mode gives it, DECIMAL_PLACES digits."""
    if exchange.precisionMode == ccxt.DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(exact(value)))
    return exact(value)


def instrument_of(
    exchange: ccxt.Exchange, venue: VenueId, symbol: Symbol, venue_symbol: str
) -> Instrument:
    """Return our instrument for ``symbol``, traded as ``venue_symbol`` at the exchange."""
    market: dict[str, Any] = exchange.market(venue_symbol)
    precision, limits = market["precision"], market["limits"]
    step = _size(exchange, precision["amount"])
    min_amount = limits.get("amount", {}).get("min")
    min_cost = limits.get("cost", {}).get("min")
    return Instrument(
        venue=venue,
        symbol=symbol,
        base=market["base"],
        quote=market["quote"],
        kind=InstrumentKind.SPOT if market.get("spot") else InstrumentKind.PERPETUAL,
        tick_size=_size(exchange, precision["price"]),
        step_size=step,
        min_quantity=max(step, exact(min_amount)) if min_amount else step,
        min_notional=exact(min_cost) if min_cost else Decimal(0),
    )


def at_precision(
    exchange: ccxt.Exchange, spec: OrderSpec, venue_symbol: str
) -> tuple[str, str | None] | tuple[RejectCode, str]:
    """Return (amount, price) as the exchange's text, or a PRECISION refusal and why.

    The refusal comes before anything is sent: the quantity and price were approved and
    signed, and sending a rounded number would trade something nobody approved.
    """
    try:
        amount = exchange.amount_to_precision(venue_symbol, str(spec.quantity))
        price = spec.limit_price
        price_text = (
            None if price is None else exchange.price_to_precision(venue_symbol, str(price))
        )
    except ccxt.BaseError as error:
        return RejectCode.PRECISION, f"quantity={spec.quantity} price={spec.limit_price}: {error}"
    if Decimal(amount) != spec.quantity:
        return RejectCode.PRECISION, (
            f"quantity={spec.quantity} is not on {venue_symbol}'s amount precision "
            f"(would send {amount}); quantize to the instrument's step"
        )
    if price is not None and price_text is not None and Decimal(price_text) != price:
        return RejectCode.PRECISION, (
            f"limit_price={price} is not on {venue_symbol}'s price precision (would send "
            f"{price_text}); quantize to the instrument's tick"
        )
    return amount, price_text
