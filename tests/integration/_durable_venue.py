"""A venue fake that outlives the process: its orders, fills and reports sit in a SQLite file.

Used only by the crash tests, standing in for a real exchange, which keeps our orders when our
process dies. It speaks the `Venue` protocol: idempotent submit by client order id; market
orders fill at once at a fixed price with a 0.1 % taker fee; reports are kept until drained.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from aiswarm.execution.venue import ExecutionReport, ReportKind, VenueAck, VenueOrder
from aiswarm.types import (
    ClientOrderId,
    OrderSpec,
    OrderStatus,
    Side,
    Symbol,
    TradeId,
    VenueId,
    VenueOrderId,
)

PRICE = Decimal("50000")
FEE_FRAC = Decimal("0.001")


class DurableFakeVenue:
    """See the module docstring."""

    def __init__(self, path: Path, venue_id: VenueId) -> None:
        self._venue_id = venue_id
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
            "CREATE TABLE IF NOT EXISTS orders (coid TEXT PRIMARY KEY, spec TEXT, status TEXT,"
            " filled TEXT);"
            "CREATE TABLE IF NOT EXISTS fills (trade_id TEXT PRIMARY KEY, coid TEXT, qty TEXT,"
            " price TEXT, fee TEXT, ts INTEGER);"
            "CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, body TEXT,"
            " delivered INTEGER DEFAULT 0);"
        )

    @property
    def venue_id(self) -> VenueId:
        return self._venue_id

    def order_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM orders").fetchone()[0])

    def filled_total(self) -> Decimal:
        rows = self._db.execute(
            "SELECT f.qty, o.spec FROM fills f JOIN orders o ON o.coid = f.coid"
        ).fetchall()
        total = Decimal(0)
        for qty, spec in rows:
            side = json.loads(spec)["side"]
            total += Decimal(qty) if side == Side.BUY.value else -Decimal(qty)
        return total

    async def submit(self, spec: OrderSpec) -> VenueAck:
        coid = spec.client_order_id
        row = self._db.execute("SELECT spec FROM orders WHERE coid = ?", (coid,)).fetchone()
        ts = spec.created_at
        ts_ns = int(ts.timestamp()) * 1_000_000_000
        if row is not None:
            same = row[0] == spec.model_dump_json()
            return VenueAck(
                client_order_id=coid, accepted=same, ts_ns=ts_ns, venue_order_id=VenueOrderId(coid)
            )
        trade_id = f"t-{coid}"
        fee = spec.quantity * PRICE * FEE_FRAC
        accepted = ExecutionReport(
            kind=ReportKind.ACCEPTED,
            venue=self._venue_id,
            ts_ns=ts_ns,
            client_order_id=coid,
            venue_order_id=VenueOrderId(coid),
            symbol=spec.symbol,
        )
        filled = self._fill_report(spec, trade_id, fee, ts_ns)
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute(
            "INSERT INTO orders VALUES (?, ?, ?, ?)",
            (coid, spec.model_dump_json(), OrderStatus.FILLED.value, str(spec.quantity)),
        )
        self._db.execute(
            "INSERT INTO fills VALUES (?, ?, ?, ?, ?, ?)",
            (trade_id, coid, str(spec.quantity), str(PRICE), str(fee), ts_ns),
        )
        for report in (accepted, filled):
            self._db.execute("INSERT INTO reports (body) VALUES (?)", (_encode(report),))
        self._db.execute("COMMIT")
        return VenueAck(
            client_order_id=coid, accepted=True, ts_ns=ts_ns, venue_order_id=VenueOrderId(coid)
        )

    def _fill_report(
        self, spec: OrderSpec, trade_id: str, fee: Decimal, ts_ns: int
    ) -> ExecutionReport:
        return ExecutionReport(
            kind=ReportKind.FILL,
            venue=self._venue_id,
            ts_ns=ts_ns,
            client_order_id=spec.client_order_id,
            venue_order_id=VenueOrderId(spec.client_order_id),
            symbol=spec.symbol,
            trade_id=TradeId(trade_id),
            side=spec.side,
            quantity=spec.quantity,
            price=PRICE,
            fee=fee,
            fee_currency="USDT",
            is_maker=False,
            leaves_quantity=Decimal(0),
        )

    async def cancel(self, client_order_id: ClientOrderId) -> VenueAck:
        return VenueAck(client_order_id=client_order_id, accepted=False, ts_ns=0, reason="filled")

    async def query(self, client_order_id: ClientOrderId) -> VenueOrder | None:
        row = self._db.execute(
            "SELECT spec, status, filled FROM orders WHERE coid = ?", (client_order_id,)
        ).fetchone()
        if row is None:
            return None
        spec = OrderSpec.model_validate_json(row[0])
        return VenueOrder(
            spec=spec,
            venue_order_id=VenueOrderId(client_order_id),
            status=OrderStatus(row[1]),
            filled_quantity=Decimal(row[2]),
            ts_ns=0,
        )

    async def open_orders(self) -> list[VenueOrder]:
        return []

    async def fills_for(self, client_order_id: ClientOrderId) -> list[ExecutionReport]:
        spec_row = self._db.execute(
            "SELECT spec FROM orders WHERE coid = ?", (client_order_id,)
        ).fetchone()
        if spec_row is None:
            return []
        spec = OrderSpec.model_validate_json(spec_row[0])
        rows = self._db.execute(
            "SELECT trade_id, fee, ts FROM fills WHERE coid = ?", (client_order_id,)
        ).fetchall()
        return [self._fill_report(spec, t, Decimal(f), ts) for t, f, ts in rows]

    def drain_reports(self) -> list[ExecutionReport]:
        rows = self._db.execute(
            "SELECT id, body FROM reports WHERE delivered = 0 ORDER BY id"
        ).fetchall()
        self._db.execute("UPDATE reports SET delivered = 1 WHERE delivered = 0")
        return [_decode(body) for _, body in rows]


def _encode(report: ExecutionReport) -> str:
    fields = {name: getattr(report, name) for name in report.__dataclass_fields__}
    return json.dumps({k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()})


def _decode(body: str) -> ExecutionReport:
    data = json.loads(body)
    for name in ("quantity", "price", "fee", "leaves_quantity", "amount"):
        if data.get(name) is not None:
            data[name] = Decimal(data[name])
    data["kind"] = ReportKind(data["kind"])
    if data.get("side") is not None:
        data["side"] = Side(data["side"])
    if data.get("symbol") is not None:
        data["symbol"] = Symbol(data["symbol"])
    data["code"] = None
    return ExecutionReport(**data)
