"""A fake Binance spot REST venue on 127.0.0.1, speaking Binance's wire format, for tests only.

The real ccxt client reaches it with its URLs pointed here. Markets come from the recorded
``GET /api/v3/exchangeInfo`` in shared/data (cryptofeed's ``BINANCE.0``), cut to the symbols a
test trades so ccxt parses a few markets, not 1,695. Signed requests must carry the API key
header and a valid HMAC-SHA256 signature over the query string plus the body, as Binance
checks them; a bad one gets Binance's -1022.

It matches nothing by itself: a limit order rests until the test fills it (``fill``), in
parts if it likes; a market order fills at once at ``last_price``. Faults are queued per
endpoint (``fault``): a 5xx, a 429 with Retry-After, or a timeout that either processes the
request and answers too late (the answer is lost) or answers too late without processing it.
``trades_visible_after`` and ``reverse_trades`` make trade history lag and arrive out of order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

RECORDED_EXCHANGE_INFO = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "cryptofeed"
    / "sample_data"
    / "BINANCE.0"
)
_SHARED = Path("/work/shared/data/cryptofeed/sample_data/BINANCE.0")
API_KEY = "fake-binance-key-0123456789abcdef0123456789abcdef"
API_SECRET = "fake-binance-secret-0123456789abcdef0123456789abcdef"

_exchange_info_cache: dict[str, Any] = {}


def recorded_exchange_info() -> dict[str, Any]:
    """Return the recorded exchangeInfo response (the body after ``: `` on its one line)."""
    if not _exchange_info_cache:
        path = RECORDED_EXCHANGE_INFO if RECORDED_EXCHANGE_INFO.exists() else _SHARED
        line = path.read_text(encoding="utf-8").splitlines()[0]
        _exchange_info_cache.update(json.loads(line.split(": ", 1)[1]))
    return _exchange_info_cache


@dataclass
class Fault:
    """One injected failure: ``kind`` is 5xx, 429, timeout (processed, answer late) or lost."""

    kind: str
    delay_s: float = 0.0
    retry_after_s: int = 1


@dataclass
class FakeOrder:
    """One order as the fake's matching engine holds it."""

    order_id: int
    client_order_id: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str | None
    quantity: Decimal
    price: Decimal | None
    ts_ms: int
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    quote: Decimal = Decimal(0)
    trades: list[dict[str, Any]] = field(default_factory=list)


class BinanceError(Exception):
    """An error answered in Binance's body shape: HTTP status, code, message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def _text(value: Decimal) -> str:
    return f"{value:.8f}"


class FakeBinance:
    """The venue's state and its HTTP server; see the module docstring."""

    def __init__(self, symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT")) -> None:
        info = recorded_exchange_info()
        self.symbols = {s["symbol"]: s for s in info["symbols"] if s["symbol"] in symbols}
        self.exchange_info = {**info, "symbols": list(self.symbols.values())}
        self.balances: dict[str, Decimal] = {"USDT": Decimal(100_000), "BTC": Decimal(0)}
        self.last_price: dict[str, Decimal] = {}
        self.fee_frac = Decimal("0.001")
        self.orders: dict[int, FakeOrder] = {}
        self.klines: dict[str, list[list[Any]]] = {}
        self.faults: dict[tuple[str, str], deque[Fault]] = {}
        self.requests: list[tuple[str, str]] = []
        self.reverse_trades = False
        self.trades_hidden: set[int] = set()
        self.now_ms = 1_634_000_000_000
        self._next_order = 1
        self._next_trade = 1
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

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

    def fault(self, method: str, path: str, *faults: Fault) -> None:
        """Queue faults for the next requests to ``method path``, one per request."""
        self.faults.setdefault((method, path), deque()).extend(faults)

    def by_client_id(self, client_order_id: str) -> list[FakeOrder]:
        with self._lock:
            return [o for o in self.orders.values() if o.client_order_id == client_order_id]

    # ------------------------------------------------------------------ matching

    def fill(self, client_order_id: str, quantity: str, price: str | None = None) -> int:
        """Fill part or all of a resting order (a taker crossed it); return the trade id."""
        with self._lock:
            order = next(o for o in self.orders.values() if o.client_order_id == client_order_id)
            assert order.status in ("NEW", "PARTIALLY_FILLED"), order.status
            fill_price = Decimal(price) if price is not None else order.price
            assert fill_price is not None
            return self._trade(order, Decimal(quantity), fill_price, is_maker=True)

    def _trade(self, order: FakeOrder, quantity: Decimal, price: Decimal, *, is_maker: bool) -> int:
        trade_id = self._next_trade
        self._next_trade += 1
        self.now_ms += 1
        market = self.symbols[order.symbol]
        base, quote = market["baseAsset"], market["quoteAsset"]
        cost = quantity * price
        fee = cost * self.fee_frac
        if order.side == "BUY":
            self.balances[base] = self.balances.get(base, Decimal(0)) + quantity
            self.balances[quote] -= cost + fee
        else:
            self.balances[base] -= quantity
            self.balances[quote] = self.balances.get(quote, Decimal(0)) + cost - fee
        order.executed += quantity
        order.quote += cost
        order.status = "FILLED" if order.executed == order.quantity else "PARTIALLY_FILLED"
        order.trades.append(
            {
                "symbol": order.symbol,
                "id": trade_id,
                "orderId": order.order_id,
                "orderListId": -1,
                "price": _text(price),
                "qty": _text(quantity),
                "quoteQty": _text(cost),
                "commission": _text(fee),
                "commissionAsset": quote,
                "time": self.now_ms,
                "isBuyer": order.side == "BUY",
                "isMaker": is_maker,
                "isBestMatch": True,
            }
        )
        return trade_id

    # ------------------------------------------------------------------ endpoints

    def handle(self, method: str, path: str, params: dict[str, str]) -> Any:
        routes = {
            ("GET", "/api/v3/ping"): lambda p: {},
            ("GET", "/api/v3/time"): lambda p: {"serverTime": self.now_ms},
            ("GET", "/api/v3/exchangeInfo"): lambda p: self.exchange_info,
            ("GET", "/api/v3/klines"): self._klines,
            ("GET", "/api/v3/account"): self._account,
            ("POST", "/api/v3/order"): self._new_order,
            ("GET", "/api/v3/order"): lambda p: self._view(self._find(p)),
            ("DELETE", "/api/v3/order"): self._cancel,
            ("GET", "/api/v3/openOrders"): self._open_orders,
            ("GET", "/api/v3/myTrades"): self._my_trades,
        }
        route = routes.get((method, path))
        if route is None:
            raise BinanceError(404, -1000, f"fake has no {method} {path}")
        with self._lock:
            return route(params)

    def _klines(self, p: dict[str, str]) -> list[list[Any]]:
        start = int(p.get("startTime", 0))
        end = int(p.get("endTime", 2**62))
        rows = [row for row in self.klines.get(p["symbol"], []) if start <= row[0] <= end]
        return rows[: int(p.get("limit", 500))]

    def set_klines(self, symbol: str, start_ms: int, closes: list[str], interval_ms: int) -> None:
        """Publish 1-interval klines with the given closes (each opens at the previous close)."""
        rows, previous = [], Decimal(closes[0])
        for index, text in enumerate(closes):
            close = Decimal(text)
            high, low = max(previous, close), min(previous, close)
            open_ms = start_ms + index * interval_ms
            rows.append(
                [
                    open_ms,
                    _text(previous),
                    _text(high),
                    _text(low),
                    _text(close),
                    "12.50000000",
                    open_ms + interval_ms - 1,
                    "700000.0",
                    100,
                    "6.0",
                    "350000.0",
                    "0",
                ]
            )
            previous = close
        self.klines[symbol] = rows
        self.last_price[symbol] = Decimal(closes[-1])

    def _account(self, params: dict[str, str]) -> dict[str, Any]:
        balances = [
            {"asset": asset, "free": _text(amount), "locked": "0.00000000"}
            for asset, amount in self.balances.items()
        ]
        return {"canTrade": True, "accountType": "SPOT", "balances": balances}

    def _filters(self, symbol: str) -> dict[str, dict[str, str]]:
        return {f["filterType"]: f for f in self.symbols[symbol]["filters"]}

    def _new_order(self, p: dict[str, str]) -> dict[str, Any]:
        symbol = p["symbol"]
        if symbol not in self.symbols:
            raise BinanceError(400, -1121, "Invalid symbol.")
        client_id = p.get("newClientOrderId") or f"fake-{self._next_order}"
        if any(
            o.client_order_id == client_id and o.status in ("NEW", "PARTIALLY_FILLED")
            for o in self.orders.values()
        ):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        quantity = Decimal(p["quantity"])
        price = Decimal(p["price"]) if "price" in p else None
        filters = self._filters(symbol)
        lot, tick = filters["LOT_SIZE"], filters["PRICE_FILTER"]
        if quantity % Decimal(lot["stepSize"]) or quantity < Decimal(lot["minQty"]):
            raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
        if price is not None and price % Decimal(tick["tickSize"]):
            raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
        reference = price if price is not None else self.last_price[symbol]
        notional = filters.get("MIN_NOTIONAL", {}).get("minNotional", "0")
        if quantity * reference < Decimal(notional):
            raise BinanceError(400, -1013, "Filter failure: MIN_NOTIONAL")
        market = self.symbols[symbol]
        if p["side"] == "BUY":
            need, asset = quantity * reference * (1 + self.fee_frac), market["quoteAsset"]
        else:
            need, asset = quantity, market["baseAsset"]
        if self.balances.get(asset, Decimal(0)) < need:
            raise BinanceError(400, -2010, "Account has insufficient balance for requested action.")
        self.now_ms += 1
        order = FakeOrder(
            self._next_order,
            client_id,
            symbol,
            p["side"],
            p["type"],
            p.get("timeInForce"),
            quantity,
            price,
            self.now_ms,
        )
        self._next_order += 1
        self.orders[order.order_id] = order
        if order.order_type == "MARKET":
            self._trade(order, quantity, self.last_price[symbol], is_maker=False)
        view = self._view(order)
        fills = [
            {k: t[k] for k in ("price", "qty", "commission", "commissionAsset")}
            | {"tradeId": t["id"]}
            for t in order.trades
        ]
        return {**view, "transactTime": self.now_ms, "fills": fills}

    def _find(self, p: dict[str, str]) -> FakeOrder:
        for order in self.orders.values():
            if order.symbol != p["symbol"]:
                continue
            if "orderId" in p and order.order_id == int(p["orderId"]):
                return order
            if order.client_order_id == p.get("origClientOrderId"):
                return order
        raise BinanceError(400, -2013, "Order does not exist.")

    def _view(self, order: FakeOrder) -> dict[str, Any]:
        return {
            "symbol": order.symbol,
            "orderId": order.order_id,
            "orderListId": -1,
            "clientOrderId": order.client_order_id,
            "price": _text(order.price or Decimal(0)),
            "origQty": _text(order.quantity),
            "executedQty": _text(order.executed),
            "cummulativeQuoteQty": _text(order.quote),
            "status": order.status,
            "timeInForce": order.time_in_force or "GTC",
            "type": order.order_type,
            "side": order.side,
            "stopPrice": "0.00000000",
            "time": order.ts_ms,
            "updateTime": self.now_ms,
            "isWorking": True,
        }

    def _cancel(self, p: dict[str, str]) -> dict[str, Any]:
        try:
            order = self._find(p)
        except BinanceError:
            raise BinanceError(400, -2011, "Unknown order sent.") from None
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise BinanceError(400, -2011, "Unknown order sent.")
        order.status = "CANCELED"
        self.now_ms += 1
        return {**self._view(order), "origClientOrderId": order.client_order_id}

    def _open_orders(self, p: dict[str, str]) -> list[dict[str, Any]]:
        return [
            self._view(o)
            for o in self.orders.values()
            if o.status in ("NEW", "PARTIALLY_FILLED") and o.symbol == p.get("symbol", o.symbol)
        ]

    def _my_trades(self, p: dict[str, str]) -> list[dict[str, Any]]:
        trades = [
            t
            for o in self.orders.values()
            if o.symbol == p["symbol"] and ("orderId" not in p or o.order_id == int(p["orderId"]))
            for t in o.trades
            if t["id"] not in self.trades_hidden and t["time"] >= int(p.get("startTime", 0))
        ]
        return list(reversed(trades)) if self.reverse_trades else trades


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


_SIGNED = {"/api/v3/account", "/api/v3/order", "/api/v3/openOrders", "/api/v3/myTrades"}


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
                if url.path in _SIGNED:
                    _verify_signature(url.query, body, self.headers)
                params = dict(parse_qsl(url.query)) | dict(parse_qsl(body))
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
