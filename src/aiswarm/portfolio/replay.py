"""Rebuild a portfolio from its events, as crash recovery does. No I/O.

After a restart the books are rebuilt from the event store alone: the fills, funding payments,
deposits and marks it holds, in log order. ``replay`` folds them into a fresh ``Portfolio``
through the same methods the live path calls, so folding a log equals applying its events one
by one, a fill logged twice is booked once, and a logged fill the books cannot take is held
aside as a break again (``Portfolio.breaks``) rather than stop the replay.

The order matters and is the caller's: funding is owed on the position held at funding time,
so fills and funding must come interleaved as they happened (log order), not merged by their
venue timestamps. Peak NAV and the day's opening NAV are observations, not facts derived from
fills: a ``MarkPrice`` only sets a price, and NAV is observed at a snapshot, so a replay
observes neither. The runtime records them as checkpoints and hands them back through
``Portfolio.restore_baselines``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiswarm.portfolio.ledger import Portfolio
from aiswarm.types import (
    AccountId,
    DomainEvent,
    Fill,
    Instrument,
    Money,
    Price,
    Symbol,
    VenueId,
)

__all__ = ["Deposit", "Funding", "LedgerEvent", "MarkPrice", "replay"]


class Funding(DomainEvent):
    """A perpetual's funding at ``ts_event``: ``rate`` (a fraction, 0.0001 = 1 bp) at ``mark``.

    The payment is position quantity x mark x rate, paid by us when positive (longs pay when
    the rate is positive).
    """

    venue: VenueId
    symbol: Symbol
    rate: Money
    mark: Price


class MarkPrice(DomainEvent):
    """The mark price of (venue, symbol) at ``ts_event``, in quote units per base unit."""

    venue: VenueId
    symbol: Symbol
    price: Price


class Deposit(DomainEvent):
    """Cash added to the account at ``ts_event``, in quote units (USD-equivalent).

    ``nav`` is the NAV just before it, the unit price it bought at; None values the book at the
    marks folded so far (see ``Portfolio.transfer``).
    """

    amount: Price
    nav: Money | None = None


LedgerEvent = Fill | Funding | MarkPrice | Deposit
"""Every event a portfolio folds."""


def _apply(
    portfolio: Portfolio,
    event: LedgerEvent,
    instruments: Mapping[tuple[VenueId, Symbol], Instrument],
) -> None:
    """Apply one event to ``portfolio`` through its public methods."""
    if isinstance(event, Fill):
        portfolio.take_fill(event, instruments.get((event.venue, event.symbol)))
    elif isinstance(event, Funding):
        portfolio.apply_funding(
            event.venue, event.symbol, rate=event.rate, mark=event.mark, ts=event.ts_event
        )
    elif isinstance(event, MarkPrice):
        portfolio.mark(event.venue, event.symbol, event.price)
    else:
        portfolio.transfer(event.amount, event.nav)


def replay(
    account: AccountId,
    events: Iterable[LedgerEvent],
    instruments: Mapping[tuple[VenueId, Symbol], Instrument],
) -> Portfolio:
    """Return a new portfolio for ``account`` with ``events`` applied in order.

    ``instruments`` maps (venue, symbol) to the instrument each fill trades. A fill that cannot
    be booked (see ``Portfolio.take_fill``) is held aside in ``breaks``; funding that cannot be
    booked raises ``AccountingError``; a duplicate fill or funding event is skipped, as it
    would be live.
    """
    portfolio = Portfolio(account)
    for event in events:
        _apply(portfolio, event, instruments)
    return portfolio
