"""Hold one account's portfolio at one instant: cash, positions, NAV, exposure. No I/O.

A data shape only: ``portfolio/`` computes the numbers, risk guards read them. All amounts are
in the account's quote currency (USD-equivalent).

``position`` is asked once or twice for every order of a cycle, and a cycle's orders grow with
the symbols it trades, as do the positions; scanning them on each call made a cycle's cost grow
with the square of its symbols. The snapshot therefore indexes its positions by symbol the first
time it is asked, and answers from the index after that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Self

from pydantic import model_validator

from aiswarm.types._model import FrozenModel
from aiswarm.types.ids import AccountId, Symbol, VenueId
from aiswarm.types.money import Money, NonNegative
from aiswarm.types.position import Position
from aiswarm.types.timestamps import UtcDatetime

__all__ = ["PortfolioSnapshot"]


class PortfolioSnapshot(FrozenModel):
    """The account's state at ``ts`` (UTC).

    ``nav`` is cash plus the marked value of the positions; ``peak_nav`` the highest NAV seen
    (never below ``nav``). ``gross_exposure`` is the sum of absolute position notionals,
    ``net_exposure`` the signed sum. ``daily_pnl`` is the change in NAV since the start of the
    trading day. At most one position per (venue, symbol).
    """

    ts: UtcDatetime
    account: AccountId
    cash: Money
    positions: tuple[Position, ...] = ()
    nav: Money
    peak_nav: Money
    gross_exposure: NonNegative = Decimal(0)
    net_exposure: Money = Decimal(0)
    daily_pnl: Money = Decimal(0)

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        """Refuse a peak below NAV or a symbol held twice at one venue."""
        if self.peak_nav < self.nav:
            raise ValueError(
                f"peak_nav={self.peak_nav} is below nav={self.nav}: "
                "the peak is the highest NAV seen, so it includes the current one"
            )
        held = [(position.venue, position.symbol) for position in self.positions]
        if len(set(held)) < len(held):  # counted only when some market is held twice
            counts = Counter(held)
            duplicates = sorted(
                f"{venue}:{symbol}" for (venue, symbol), n in counts.items() if n > 1
            )
            raise ValueError(f"positions hold {', '.join(duplicates)} more than once")
        return self

    @property
    def drawdown_frac(self) -> Decimal:
        """Return the fall from peak as a fraction of the peak (0.05 means 5%); 0 with no peak."""
        if self.peak_nav <= 0:
            return Decimal(0)
        return (self.peak_nav - self.nav) / self.peak_nav

    @property
    def leverage(self) -> Decimal | None:
        """Return gross exposure / NAV, or None when NAV is not positive (leverage undefined).

        None is not "no leverage": a guard must treat it as a breach, not as zero.
        """
        if self.nav <= 0:
            return None
        return self.gross_exposure / self.nav

    def position(self, symbol: Symbol, venue: VenueId | None = None) -> Position | None:
        """Return the position in ``symbol`` (at ``venue`` if given), or None when none is held.

        Raises ValueError when ``venue`` is omitted and the symbol is held at several venues.
        """
        indexed, by_symbol = self._positions_by_symbol
        if indexed is not self.positions:
            # ``model_copy(update=...)`` copied another snapshot's index: build this one's.
            del self.__dict__["_positions_by_symbol"]
            indexed, by_symbol = self._positions_by_symbol
        held_here = by_symbol.get(symbol, ())
        matches = [held for held in held_here if venue is None or held.venue == venue]
        if len(matches) > 1:
            venues = ", ".join(sorted(held.venue for held in matches))
            raise ValueError(f"symbol={symbol} is held at several venues ({venues}): pass venue")
        return matches[0] if matches else None

    @cached_property
    def _positions_by_symbol(
        self,
    ) -> tuple[tuple[Position, ...], Mapping[Symbol, Sequence[Position]]]:
        """Return the positions by symbol, and the tuple indexed (not a field: not compared)."""
        grouped: dict[Symbol, list[Position]] = {}
        for held in self.positions:
            group = grouped.get(held.symbol)
            if group is None:
                grouped[held.symbol] = [held]
            else:
                group.append(held)  # the same symbol at another venue
        return self.positions, grouped
