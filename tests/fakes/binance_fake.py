"""A fake Binance on 127.0.0.1 speaking Binance's REST wire format, for tests only.

The real ccxt client reaches it with its URLs pointed here (``base_url`` rewrites every API
host to this one origin). It serves spot under ``/api/v3`` and USDⓈ-M perpetuals under
``/fapi``; markets come from the recorded exchangeInfo responses in shared/data (cryptofeed's
``BINANCE.0`` and ``BINANCE_FUTURES.0``), cut to the symbols a test trades so ccxt parses a
few markets, not 1,695. Signed requests must carry the API key header and a valid HMAC-SHA256
signature over the query string plus the body, as Binance checks them; a bad one gets -1022.

Matching lives in ``binance_book`` (one book per market). Faults are queued per endpoint
(``fault``): a 5xx, a 429 with Retry-After, a timeout that either processes the request and
answers too late (the answer is lost) or answers too late without processing it, or a request
that arrives late (``late``: held in the venue's gateway, then processed). As Binance does, a
signed request is refused (-1021) when it is processed more than its ``recvWindow`` after its
timestamp, so a late request outside its window never becomes an order. The spot
book's controls are also reachable on the fake itself (``fill``, ``orders``, ``balances``...).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakes.binance_book import BinanceBook, BinanceError, FakeOrder

API_KEY = "fake-binance-key-0123456789abcdef0123456789abcdef"
API_SECRET = "fake-binance-secret-0123456789abcdef0123456789abcdef"

__all__ = ["API_KEY", "API_SECRET", "FakeBinance", "Fault"]


@dataclass
class Fault:
    """One injected failure: ``kind`` is 5xx, 429, timeout (processed, answer late), lost
    (answer late, not processed) or late (held ``delay_s`` before processing)."""

    kind: str
    delay_s: float = 0.0
    retry_after_s: int = 1


class FakeBinance:
    """The venue's books and its HTTP server; see the module docstring."""

    def __init__(
        self,
        symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT"),
        futures_symbols: tuple[str, ...] = ("BTCUSDT",),
    ) -> None:
        self.now_ms = 1_634_000_000_000
        self.spot = BinanceBook(False, symbols, self._tick)
        self.usdm = BinanceBook(True, futures_symbols, self._tick)
        self.faults: dict[tuple[str, str], deque[Fault]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._routes = self._route_table()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _tick(self) -> int:
        self.now_ms += 1
        return self.now_ms

    def _route_table(self) -> dict[tuple[str, str], Callable[[dict[str, str]], Any]]:
        spot, usdm = self.spot, self.usdm
        return {
            ("GET", "/api/v3/ping"): lambda p: {},
            ("GET", "/api/v3/time"): lambda p: {"serverTime": self.now_ms},
            ("GET", "/api/v3/exchangeInfo"): lambda p: spot.exchange_info,
            ("GET", "/api/v3/klines"): spot.klines_for,
            ("GET", "/api/v3/account"): spot.spot_account,
            ("POST", "/api/v3/order"): spot.new_order,
            ("GET", "/api/v3/order"): lambda p: spot.view(spot.find(p)),
            ("DELETE", "/api/v3/order"): spot.cancel,
            ("GET", "/api/v3/openOrders"): spot.open_orders,
            ("GET", "/api/v3/myTrades"): spot.my_trades,
            ("GET", "/fapi/v1/exchangeInfo"): lambda p: usdm.exchange_info,
            ("GET", "/fapi/v1/klines"): usdm.klines_for,
            ("GET", "/fapi/v3/account"): usdm.futures_account,
            ("POST", "/fapi/v1/order"): usdm.new_order,
            ("GET", "/fapi/v1/order"): lambda p: usdm.view(usdm.find(p)),
            ("DELETE", "/fapi/v1/order"): usdm.cancel,
            ("GET", "/fapi/v1/openOrders"): usdm.open_orders,
            ("GET", "/fapi/v1/userTrades"): usdm.my_trades,
            ("GET", "/fapi/v1/leverageBracket"): usdm.leverage_brackets,
            ("GET", "/fapi/v3/positionRisk"): usdm.position_risk,
        }

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """Return the http origin the fake listens on."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeBinance:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ test controls

    def fault(self, method: str, path: str, *faults: Fault) -> None:
        """Queue faults for the next requests to ``method path``, one per request."""
        self.faults.setdefault((method, path), deque()).extend(faults)

    def by_client_id(
        self, client_order_id: str, book: BinanceBook | None = None
    ) -> list[FakeOrder]:
        """Return the orders (spot unless ``book``) under one client order id."""
        with self._lock:
            held = (book or self.spot).orders.values()
            return [o for o in held if o.client_order_id == client_order_id]

    def fill(self, client_order_id: str, quantity: str, price: str | None = None) -> int:
        """Fill part or all of a resting spot order; return the trade id."""
        with self._lock:
            return self.spot.fill(client_order_id, quantity, price)

    @property
    def orders(self) -> dict[int, FakeOrder]:
        return self.spot.orders

    @property
    def balances(self) -> dict[str, Decimal]:
        return self.spot.balances

    @property
    def last_price(self) -> dict[str, Decimal]:
        return self.spot.last_price

    @property
    def trades_hidden(self) -> set[int]:
        return self.spot.trades_hidden

    @property
    def reverse_trades(self) -> bool:
        return self.spot.reverse_trades

    @reverse_trades.setter
    def reverse_trades(self, value: bool) -> None:
        self.spot.reverse_trades = value

    def set_klines(self, symbol: str, start_ms: int, closes: list[str], interval_ms: int) -> None:
        self.spot.set_klines(symbol, start_ms, closes, interval_ms)

    def handle(self, method: str, path: str, params: dict[str, str]) -> Any:
        route = self._routes.get((method, path))
        if route is None:
            raise BinanceError(404, -1000, f"fake has no {method} {path}")
        with self._lock:
            return route(params)


def _verify_signature(query: str, body: str, headers: Any) -> None:
    """Check the key header and the HMAC-SHA256 of the query string plus the body."""
    if headers.get("X-MBX-APIKEY") != API_KEY:
        raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    signed, signature = [], None
    for part in (query, body):
        kept = []
        for pair in part.split("&") if part else []:
            if pair.startswith("signature="):
                signature = pair.removeprefix("signature=")
            else:
                kept.append(pair)
        signed.append("&".join(kept))
    payload = "".join(signed).encode()
    expected = hmac.new(API_SECRET.encode(), payload, hashlib.sha256).hexdigest()
    if signature is None or not hmac.compare_digest(signature, expected):
        raise BinanceError(400, -1022, "Signature for this request is not valid.")


def _check_window(params: dict[str, str]) -> None:
    """Refuse a signed request processed later than its recvWindow after its timestamp."""
    window_ms = int(params.get("recvWindow", "5000"))
    if time.time() * 1000 > int(params.get("timestamp", "0")) + window_ms:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


_PUBLIC = {"ping", "time", "exchangeInfo", "klines"}


def _handler(fake: FakeBinance) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            fake.requests.append((method, url.path))
            queued = fake.faults.get((method, url.path))
            fault = queued.popleft() if queued else None
            status, payload, headers = 200, None, {}
            try:
                if fault is not None and fault.kind == "5xx":
                    raise BinanceError(503, -1001, "Service unavailable.")
                if fault is not None and fault.kind == "429":
                    headers["Retry-After"] = str(fault.retry_after_s)
                    raise BinanceError(429, -1003, "Too many requests; current limit exceeded.")
                if fault is not None and fault.kind == "lost":
                    time.sleep(fault.delay_s)
                    return
                if fault is not None and fault.kind == "late":
                    time.sleep(fault.delay_s)  # in flight at the venue, then processed
                params = dict(parse_qsl(url.query)) | dict(parse_qsl(body))
                if url.path.rsplit("/", 1)[-1] not in _PUBLIC:
                    _verify_signature(url.query, body, self.headers)
                    _check_window(params)
                payload = fake.handle(method, url.path, params)
            except BinanceError as error:
                status, payload = error.status, {"code": error.code, "msg": error.msg}
            if fault is not None and fault.kind == "timeout":
                time.sleep(fault.delay_s)  # processed; the client gave up before this answer
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler
