"""ShadowVenue: records exactly what would have been sent, never trades, cannot reach a network."""

from __future__ import annotations

import ast
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from aiswarm.clock import SimulatedClock, to_ns
from aiswarm.execution.venue import MarketDataSink, RejectCode, ReportKind, Venue, VenueAck
from aiswarm.types import (
    Bar,
    ClientOrderId,
    FundingRate,
    OrderSpec,
    OrderStatus,
    OrderType,
    Side,
    VenueId,
    VenueOrderId,
)
from aiswarm.venues.restored_book import RestoredOrder
from aiswarm.venues.shadow_venue import SentKind, ShadowVenue
from kit.builders import SYMBOL, T0, VENUE, order_spec

SRC = Path(__file__).resolve().parents[3] / "src"
T0_NS = to_ns(T0)

# Modules that open connections, and the calls that do it from modules we cannot ban (asyncio).
_NETWORK_MODULES = {
    "aiohttp",
    "asyncpg",
    "asyncssh",
    "ccxt",
    "ftplib",
    "grpc",
    "http",
    "httpx",
    "hyperliquid",
    "redis",
    "requests",
    "smtplib",
    "socket",
    "socketserver",
    "ssl",
    "telnetlib",
    "urllib",
    "websocket",
    "websockets",
    "xmlrpc",
}
_NETWORK_CALLS = {
    "create_connection",
    "create_datagram_endpoint",
    "getaddrinfo",
    "open_connection",
    "open_unix_connection",
    "sock_connect",
    "start_server",
}
# The only execution modules shadow mode may reach: no adapter, no paper venue.
_ALLOWED_EXECUTION = {"aiswarm.venues.shadow_venue", "aiswarm.execution.venue"}


def _module_path(name: str) -> Path | None:
    """Return the source file of aiswarm module ``name``, or None when it is not a module."""
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _scan(path: Path) -> tuple[list[str], set[str]]:
    """Return (network findings, aiswarm modules imported) for one source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    findings: list[str] = []
    ours: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module.startswith("aiswarm"):
                # `from aiswarm.execution import venue` imports a submodule.
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            findings += [
                f"{path.name}: from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name in _NETWORK_CALLS
            ]
        elif isinstance(node, ast.Attribute) and node.attr in _NETWORK_CALLS:
            findings.append(f"{path.name}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in _NETWORK_CALLS:
            findings.append(f"{path.name}:{node.lineno}: {node.id}")
        for name in names:
            if name.split(".")[0] in _NETWORK_MODULES:
                findings.append(f"{path.name}: imports {name}")
            if name.startswith("aiswarm") and _module_path(name) is not None:
                ours.add(name)
    return findings, ours


def _scan_closure(start: str) -> tuple[list[str], set[str]]:
    """Return the findings over ``start`` and every aiswarm module it reaches, and those modules."""
    seen: set[str] = set()
    todo = [start]
    findings: list[str] = []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_path(name)
        assert path is not None, name
        found, ours = _scan(path)
        findings += found
        todo += sorted(ours - seen)
    return findings, seen


def test_shadow_imports_when_scanned_with_everything_they_reach_then_no_network_module() -> None:
    # Act
    findings, reached = _scan_closure("aiswarm.venues.shadow_venue")

    # Assert
    assert findings == []
    assert "aiswarm.clock" in reached  # the scan really follows imports
    assert "aiswarm.types.orders" in reached
    assert {m for m in reached if m.startswith("aiswarm.execution")} <= _ALLOWED_EXECUTION


def test_import_scanner_when_fed_network_code_then_reports_it(tmp_path: Path) -> None:
    # Arrange: prove the scanner can fail.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import socket\nimport asyncio\nfrom urllib.request import urlopen\n"
        "import ccxt.async_support\n"
        "async def f():\n    await asyncio.open_connection('h', 1)\n",
        encoding="utf-8",
    )

    # Act
    findings, _ = _scan(sample)

    # Assert
    assert len(findings) == 4


class _SocketTrap:
    """Stands in for ``socket.socket``: records every attempt, then refuses it."""

    attempts: ClassVar[list[tuple[Any, ...]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _SocketTrap.attempts.append(args)
        raise AssertionError(f"shadow mode tried to open a socket {args} {kwargs}")


def _specs() -> list[OrderSpec]:
    return [
        order_spec(client_order_id=ClientOrderId("a"), order_type=OrderType.MARKET),
        order_spec(client_order_id=ClientOrderId("b"), limit_price=Decimal("49000.01")),
        order_spec(
            client_order_id=ClientOrderId("c"),
            side=Side.SELL,
            order_type=OrderType.STOP_LIMIT,
            stop_price=Decimal("48000"),
            limit_price=Decimal("47900"),
            reduce_only=True,
        ),
    ]


def _bar(index: int) -> Bar:
    price = Decimal("40000")  # far through every order's price: a paper venue would fill all
    return Bar(
        venue=VENUE,
        symbol=SYMBOL,
        ts_ns=T0_NS + index * 60_000_000_000,
        interval_s=60,
        open=price,
        high=price,
        low=price,
        close=price,
        volume=Decimal(1000),
    )


async def test_shadow_session_when_sockets_are_trapped_then_none_opened_and_specs_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Arrange: the event loop already exists; from here on any socket is a failure.
    _SocketTrap.attempts = []
    monkeypatch.setattr(socket, "socket", _SocketTrap)
    monkeypatch.setattr(socket, "create_connection", _SocketTrap)
    clock = SimulatedClock(T0)
    venue = ShadowVenue(VENUE, clock)
    specs = _specs()

    # Act
    for spec in specs:
        await venue.submit(spec)
        clock.advance(1)
    await venue.submit(specs[0])
    venue.on_bar(_bar(1))
    venue.on_funding(
        FundingRate(venue=VENUE, symbol=SYMBOL, ts_ns=T0_NS, rate=Decimal("0.001")), Decimal(40000)
    )
    await venue.cancel(ClientOrderId("b"))
    await venue.cancel(ClientOrderId("unknown"))
    queried = await venue.query(ClientOrderId("a"))
    still_open = await venue.open_orders()
    reports = venue.drain_reports()

    # Assert
    assert _SocketTrap.attempts == []
    submitted = [request.spec for request in venue.sent if request.kind is SentKind.SUBMIT]
    assert submitted == specs
    assert all(sent is given for sent, given in zip(submitted, specs, strict=True))
    assert [r.client_order_id for r in venue.sent if r.kind is SentKind.CANCEL] == ["b", "unknown"]
    assert ReportKind.FILL not in {report.kind for report in reports}
    assert queried is not None
    assert (queried.status, queried.filled_quantity) == (OrderStatus.ACCEPTED, 0)
    assert [order.client_order_id for order in still_open] == ["a", "c"]
    with pytest.raises(AssertionError):  # the trap is live: a socket would have been caught
        socket.socket()
    assert len(_SocketTrap.attempts) == 1


async def test_submit_when_recorded_then_spec_verbatim_with_time_and_reference_price() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = ShadowVenue(VENUE, clock)
    venue.on_bar(_bar(0))
    spec = _specs()[2]

    # Act
    ack = await venue.submit(spec)
    (request,) = venue.sent

    # Assert
    assert ack.accepted
    assert request.spec == spec
    assert request.spec.model_dump_json() == spec.model_dump_json()
    assert (request.kind, request.ts_ns, request.reference_price) == (
        SentKind.SUBMIT,
        T0_NS,
        Decimal(40000),
    )
    assert [r.kind for r in venue.drain_reports()] == [ReportKind.ACCEPTED]


async def test_submit_when_same_id_twice_then_recorded_once_and_other_spec_refused() -> None:
    # Arrange
    venue = ShadowVenue(VENUE, SimulatedClock(T0))
    spec = _specs()[1]
    first = await venue.submit(spec)

    # Act
    again = await venue.submit(spec)
    altered = await venue.submit(spec.model_copy(update={"quantity": Decimal("5")}))

    # Assert
    assert again == first
    assert (altered.accepted, altered.code) == (False, RejectCode.DUPLICATE_CLIENT_ORDER_ID)
    assert len(venue.sent) == 1


async def test_submit_when_spec_names_another_venue_then_refused_and_not_recorded() -> None:
    # Arrange
    venue = ShadowVenue(VENUE, SimulatedClock(T0))

    # Act
    ack = await venue.submit(order_spec(venue=VenueId("hyperliquid")))

    # Assert
    assert (ack.accepted, ack.code) == (False, RejectCode.WRONG_VENUE)
    assert venue.sent == ()


async def test_submit_when_other_venue_repeated_then_same_refusal_and_one_report() -> None:
    # Arrange
    venue = ShadowVenue(VENUE, SimulatedClock(T0))
    spec = order_spec(venue=VenueId("hyperliquid"))
    first = await venue.submit(spec)

    # Act
    again = await venue.submit(spec)

    # Assert
    assert again == first
    assert [r.kind for r in venue.drain_reports()] == [ReportKind.REJECTED]
    assert venue.sent == ()


async def test_restore_when_orders_handed_back_then_open_not_resent_and_ids_go_on() -> None:
    # Arrange: shadow-1 and shadow-2 were handed out; only shadow-2 was still open.
    venue = ShadowVenue(VENUE, SimulatedClock(T0))
    spec = _specs()[1]
    ack = VenueAck(
        client_order_id=spec.client_order_id,
        accepted=True,
        ts_ns=T0_NS,
        venue_order_id=VenueOrderId(f"{VENUE}-shadow-2"),
    )

    # Act
    venue.restore([RestoredOrder(spec, ack, OrderStatus.ACCEPTED, Decimal(0), T0_NS)], 2)
    fresh = await venue.submit(_specs()[0])
    canceled = await venue.cancel(spec.client_order_id)

    # Assert
    assert fresh.venue_order_id == f"{VENUE}-shadow-3"
    assert canceled.accepted
    assert [(r.kind, r.client_order_id) for r in venue.sent] == [
        (SentKind.SUBMIT, "a"),
        (SentKind.CANCEL, "b"),
    ]
    assert await venue.open_orders() == [await venue.query(ClientOrderId("a"))]


async def test_cancel_when_order_open_then_recorded_and_canceled_report() -> None:
    # Arrange
    clock = SimulatedClock(T0)
    venue = ShadowVenue(VENUE, clock)
    await venue.submit(_specs()[1])
    clock.advance(5)

    # Act
    ack = await venue.cancel(ClientOrderId("b"))
    again = await venue.cancel(ClientOrderId("b"))

    # Assert
    assert ack.accepted
    assert (again.accepted, again.code) == (False, RejectCode.ORDER_CLOSED)
    assert [(r.kind, r.ts_ns) for r in venue.sent] == [
        (SentKind.SUBMIT, T0_NS),
        (SentKind.CANCEL, T0_NS + 5_000_000_000),
        (SentKind.CANCEL, T0_NS + 5_000_000_000),
    ]
    assert [r.kind for r in venue.drain_reports()] == [ReportKind.ACCEPTED, ReportKind.CANCELED]


def test_shadow_venue_when_checked_then_implements_venue_and_market_data_protocols() -> None:
    # Arrange
    venue = ShadowVenue(VENUE, SimulatedClock(T0))

    # Assert
    assert isinstance(venue, Venue)
    assert isinstance(venue, MarketDataSink)
