"""An order schedule over the real pipeline, OMS and paper venue, in memory, stoppable anywhere.

``Log`` is the durable journal: a list of ``(type, payload)`` that outlives each process, whose
payloads are stored as the event store stores them (canonical JSON, read back). ``die_after``
or ``die_on`` make an append raise ``ProcessKilledError`` before anything is kept, as if the process
were killed there. ``Process`` is one life of the process over that log and a venue that
outlives it: risk engine, pipeline, OMS and schedule, restored from the log when it starts.
BTC/USDT is marked at 50,000 unless a test moves it; every guard passes at that mark.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiswarm.clock import SimulatedClock, from_ns
from aiswarm.execution import OrderManager
from aiswarm.orchestration import OrderPipeline, Placement
from aiswarm.orchestration.order_schedule import SLICE, OrderSchedule
from aiswarm.portfolio import AllocatorConfig
from aiswarm.risk import ApprovalSigner, MarketView, NonceLedger, RiskEngine, RiskLimits
from aiswarm.store.event_chain import to_canonical_json
from aiswarm.types import ClientOrderId, EventType, Instrument, OrderSpec, Symbol, TradingState
from aiswarm.venues import PaperVenue
from kit.builders import SYMBOL, VENUE, instrument, mandate
from kit.guards import NOW_NS, account, market_view
from kit.oms import KEYRING, bar, oms, switch_in

START = from_ns(NOW_NS)
MARK = Decimal("50000")


class ProcessKilledError(Exception):
    """The process died while appending: the record was not kept."""


class Log:
    """The journal that survives a crash; see the module docstring."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Mapping[str, Any]]] = []
        self._budget: int | None = None
        self._fatal: tuple[str, Callable[[Mapping[str, Any]], bool]] | None = None

    def die_after(self, appends: int) -> None:
        """Keep ``appends`` more records, then die on the next append."""
        self._budget = appends

    def die_on(
        self, event_type: str, when: Callable[[Mapping[str, Any]], bool] = lambda _: True
    ) -> None:
        """Die on the next append of ``event_type`` (whose payload ``when`` accepts)."""
        self._fatal = (event_type, when)

    def revive(self) -> None:
        """Let appends through again (the next process starts)."""
        self._budget = None
        self._fatal = None

    async def append(self, event_type: str, payload: Mapping[str, Any]) -> None:
        await self.append_many([(event_type, payload)])

    async def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        batch = list(items)  # one transaction: all of it is kept, or none
        if self._budget is not None and self._budget < len(batch):
            raise ProcessKilledError(f"killed before appending {batch[0][0]}")
        if self._fatal is not None:
            fatal, when = self._fatal
            if any(kind == fatal and when(payload) for kind, payload in batch):
                raise ProcessKilledError(f"killed before appending {fatal}")
        if self._budget is not None:
            self._budget -= len(batch)
        self.events.extend(
            (kind, json.loads(to_canonical_json(payload))) for kind, payload in batch
        )

    def payloads(self, event_type: str) -> list[Mapping[str, Any]]:
        """Return the payloads of every kept record of ``event_type``, oldest first."""
        return [payload for kind, payload in self.events if kind == event_type]

    def submitted(self) -> list[OrderSpec]:
        """Return every order the OMS recorded as submitted, oldest first."""
        return [
            OrderSpec.model_validate(p["spec"]) for p in self.payloads(EventType.ORDER_SUBMITTED)
        ]

    def submitted_slices(self) -> list[int]:
        """Return the slice number of each submitted order that was a slice, in order."""
        numbers = {p["client_order_id"]: p["slice"] for p in self.payloads(SLICE) if "slice" in p}
        return [
            numbers[spec.client_order_id]
            for spec in self.submitted()
            if spec.client_order_id in numbers
        ]


class CountingVenue(PaperVenue):
    """A paper venue that remembers every order it accepted, by client order id."""

    def __init__(self, clock: SimulatedClock) -> None:
        super().__init__(VENUE, {SYMBOL: instrument()}, clock, max_participation_frac=Decimal("1"))
        self.received: dict[ClientOrderId, OrderSpec] = {}

    async def submit(self, spec: OrderSpec) -> Any:
        ack = await super().submit(spec)
        if ack.accepted:
            self.received.setdefault(spec.client_order_id, spec)
        return ack


@dataclass(frozen=True)
class Markets:
    """The schedule's view of a cycle: the instrument and, unless withheld, the market."""

    instruments: Mapping[Symbol, Instrument]
    markets: Mapping[Symbol, MarketView]


@dataclass
class Process:
    """One life of the process: everything that is lost when it dies."""

    clock: SimulatedClock
    venue: CountingVenue
    log: Log
    oms: OrderManager
    pipeline: OrderPipeline
    schedule: OrderSchedule
    mark: Decimal = MARK
    placements: list[Placement] = field(default_factory=list)

    def context(self, market: bool = True) -> Markets:
        """Return the cycle's markets; without ``market`` the guard chain refuses every order."""
        view = market_view(mark=self.mark, updated_ns=self.clock.now_ns())
        return Markets({SYMBOL: instrument()}, {SYMBOL: view} if market else {})

    async def place(self, intent: Any, context: Markets) -> Placement:
        """Send ``intent`` through the guard chain, the approval and the OMS."""
        return await self.pipeline.place(
            intent,
            instrument=context.instruments.get(intent.symbol),
            portfolio=account(),
            mandate=mandate(max_notional_usd=Decimal("50000"), max_position_usd=Decimal("25000")),
            market=context.markets.get(intent.symbol),
            mandate_exposure_usd=Decimal(0),
        )

    async def start(self, intent: Any) -> Placement:
        """Hand ``intent`` to the schedule now, as the coordinator does."""
        context = self.context()
        placement = await self.schedule.start(intent, self.clock.now_ns(), context, self.place)
        self.placements.append(placement)
        return placement

    async def cycle(
        self, seconds: int = 60, price: Decimal | None = None, market: bool = True
    ) -> list[Placement]:
        """Move on, trade a bar at ``price`` (default the mark), apply reports, follow timers.

        Without ``market`` the cycle sees no market, so the guard chain refuses its orders.
        """
        self.clock.advance(seconds)
        if price is not None:
            self.mark = price
        self.venue.on_bar(bar(self.clock, str(self.mark)))
        await self.oms.process_reports()

        def made() -> Markets:
            return self.context(market)

        placed = await self.schedule.follow(self.clock.now_ns(), made, self.place)
        self.placements.extend(placed)
        return placed


async def start_process(
    log: Log, venue: CountingVenue, clock: SimulatedClock, config: AllocatorConfig
) -> Process:
    """Start a process over ``log``: restore the OMS and the schedule from it, reconcile."""
    log.revive()
    records = list(log.events)
    manager, _ = oms(venue, clock, journal=log, nonces=NonceLedger())
    manager.restore(records)
    await manager.reconcile()
    switch = switch_in(TradingState.ACTIVE)
    engine = RiskEngine(
        ApprovalSigner(KEYRING.signer(), ttl_ns=5 * 10**9), RiskLimits(), switch, clock
    )
    pipeline = OrderPipeline(engine, manager, log)
    schedule = OrderSchedule(config, manager, log)
    schedule.restore(records)
    return Process(clock, venue, log, manager, pipeline, schedule)
