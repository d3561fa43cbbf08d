"""Keep what drawdown and daily loss are measured from, in today's units. No I/O.

Drawdown and daily loss are measured per unit of the account, as a fund measures its
time-weighted return: a deposit buys units, and a withdrawal sells them, at the NAV per unit of
the moment, so a flow changes how many units there are and never what one is worth. Drawdown is
``1 - unit value / peak unit value`` and daily loss ``1 - unit value / the day's opening unit
value``: only trading moves them.

The baselines are kept not per unit but times the units outstanding now: the **peak NAV in
today's units** (the highest NAV per unit seen, times the units now) and the day's **opening NAV
in today's units**. Without flows these are the plain peak and opening NAV, and with them
``1 - NAV / peak`` and ``1 - NAV / opening`` are exactly the per-unit measures, so the kill
switch, the guards and the engine's NAV band read them unchanged. A flow of ``amount`` at NAV
``before`` multiplies the units, and with them both baselines, by ``(before + amount) /
before``.

That ratio is a quotient: the rescaled baseline is rounded up to ``BASELINE_DIGITS`` significant
digits when it has no shorter exact form, so a flow can only make drawdown and daily loss read
higher, by less than one part in 10^27, never lower.

When NAV before a flow is not positive there is no unit price to buy units at, and when NAV
after it is not positive no units are left: measuring starts afresh from the next snapshot. A
NAV at or below 0 is a drawdown of 100 % or more, which trips and latches the kill switch, so
trading stays halted until an operator has looked.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from aiswarm.portfolio.exact import rescale

__all__ = ["Baselines"]


_Values = tuple[Decimal | None, date | None, Decimal | None]


class Baselines:
    """The peak and the UTC day's opening NAV, both in today's units; None until observed.

    ``values`` is (peak NAV, current UTC trading day, that day's opening NAV), one tuple
    replaced on every change, so reading it costs an attribute lookup: the engine compares it
    every step. State comes back after a restart from the ``portfolio.baseline`` checkpoints
    the runtime records and the deposits between them, replayed in journal order
    (``restore``, ``rescale``).
    """

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: _Values = (None, None, None)

    def is_empty(self) -> bool:
        """Return True while there is nothing a flow would have to rescale."""
        peak, _, opening = self.values
        return peak is None and opening is None

    def observe(self, nav: Decimal, today: date) -> tuple[Decimal, Decimal]:
        """Take ``nav`` as seen on ``today``; return (peak NAV, the day's opening NAV).

        Raises the peak when ``nav`` is higher, and opens a new trading day at the first
        observation on a later date. The caller refuses a ``today`` before the current day.
        """
        peak, day, opening = self.values
        changed = False
        if peak is None or nav > peak:
            peak, changed = nav, True
        if opening is None or day is None or today > day:
            day, opening, changed = today, nav, True
        if changed:
            self.values = (peak, day, opening)
        return peak, opening

    def rescale(self, before: Decimal, after: Decimal) -> None:
        """Carry both baselines across a flow that moved NAV from ``before`` to ``after``."""
        peak, day, opening = self.values
        if before <= 0 or after <= 0:
            self.values = (None, day, None)
            return
        self.values = (
            None if peak is None else rescale(peak, after, before),
            day,
            None if opening is None else rescale(opening, after, before),
        )

    def restore(
        self, peak_nav: Decimal | None, day: date | None, day_open_nav: Decimal | None
    ) -> None:
        """Reinstate recorded baselines (a higher peak already held is kept)."""
        peak, held_day, opening = self.values
        if peak_nav is not None and (peak is None or peak_nav > peak):
            peak = peak_nav
        if day is not None and (held_day is None or day >= held_day):
            held_day, opening = day, day_open_nav
        self.values = (peak, held_day, opening)
