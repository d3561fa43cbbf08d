"""One Binance market's matching engine for the fake: spot (/api/v3) or USDⓈ-M (/fapi/v1).

It matches nothing by itself: a limit order rests until the test fills it (``fill``), in parts
if it likes; a market order fills at once at ``last_price``. Spot moves balances; USDⓈ-M keeps a
signed position per symbol and refuses a reduce-only order that would not reduce it (-2022),
as Binance does. ``trades_hidden`` and ``reverse_trades`` make trade history lag and arrive out
of order. Answers are Binance's JSON shapes, errors its codes and messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

_SAMPLES = Path("shared/data/cryptofeed/sample_data")
_BESIDE = Path(__file__).resolve().parents[3] / _SAMPLES
_DATA = _BESIDE if _BESIDE.is_dir() else Path("/work") / _SAMPLES
"""The shared folder beside the repository, or where the machine keeps it (/work/shared), as
the other tests of upstream files read it: a clean clone elsewhere (CI's) finds it too."""
_OPEN = ("NEW", "PARTIALLY_FILLED")
_cache: dict[str, dict[str, Any]] = {}


def recorded_exchange_info(name: str) -> dict[str, Any]:
    """Return a recorded exchangeInfo response (``BINANCE.0`` spot, ``BINANCE_FUTURES.0``)."""
    if name not in _cache:
        path = _DATA / name
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: the fake needs shared/data beside the repo or in /work"
            )
        line = path.read_text(encoding="utf-8").splitlines()[0]
        _cache[name] = json.loads(line.split(": ", 1)[1])
    return _cache[name]


class BinanceError(Exception):
    """An error answered in Binance's body shape: HTTP status, code, message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


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
    reduce_only: bool = False
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    quote: Decimal = Decimal(0)
    trades: list[dict[str, Any]] = field(default_factory=list)


def text(value: Decimal) -> str:
    """Return a number as Binance writes it (eight decimals)."""
    return f"{value:.8f}"


class BinanceBook:
    """One market's orders, trades, balances and positions; see the module docstring."""

    def __init__(self, futures: bool, symbols: tuple[str, ...], clock: Callable[[], int]) -> None:
        info = recorded_exchange_info("BINANCE_FUTURES.0" if futures else "BINANCE.0")
        self.futures = futures
        self.symbols = {s["symbol"]: s for s in info["symbols"] if s["symbol"] in symbols}
        self.exchange_info = {**info, "symbols": list(self.symbols.values())}
        self.balances: dict[str, Decimal] = {"USDT": Decimal(100_000), "BTC": Decimal(0)}
        self.positions: dict[str, Decimal] = {}
        self.last_price: dict[str, Decimal] = {}
        self.fee_frac = Decimal("0.001")
        self.orders: dict[int, FakeOrder] = {}
        self.klines: dict[str, list[list[Any]]] = {}
        self.reverse_trades = False
        self.trades_hidden: set[int] = set()
        self._now = clock
        self._next_order = 1
        self._next_trade = 1

    # ------------------------------------------------------------------ test controls

    def set_klines(self, symbol: str, start_ms: int, closes: list[str], interval_ms: int) -> None:
        """Publish klines with the given closes (each opens at the previous close)."""
        rows, previous = [], Decimal(closes[0])
        for index, close_text in enumerate(closes):
            close = Decimal(close_text)
            high, low = max(previous, close), min(previous, close)
            open_ms = start_ms + index * interval_ms
            prices = [text(previous), text(high), text(low), text(close)]
            tail = [open_ms + interval_ms - 1, "700000.0", 100, "6.0", "350000.0", "0"]
            rows.append([open_ms, *prices, "12.50000000", *tail])
            previous = close
        self.klines[symbol] = rows
        self.last_price[symbol] = Decimal(closes[-1])

    def fill(self, client_order_id: str, quantity: str, price: str | None = None) -> int:
        """Fill part or all of a resting order (a taker crossed it); return the trade id."""
        order = next(o for o in self.orders.values() if o.client_order_id == client_order_id)
        assert order.status in _OPEN, order.status
        fill_price = Decimal(price) if price is not None else order.price
        assert fill_price is not None
        return self._trade(order, Decimal(quantity), fill_price, is_maker=True)

    def _trade(self, order: FakeOrder, quantity: Decimal, price: Decimal, *, is_maker: bool) -> int:
        trade_id = self._next_trade
        self._next_trade += 1
        market = self.symbols[order.symbol]
        base, quote = market["baseAsset"], market["quoteAsset"]
        cost = quantity * price
        fee = cost * self.fee_frac
        sign = 1 if order.side == "BUY" else -1
        if self.futures:
            self.positions[order.symbol] = (
                self.positions.get(order.symbol, Decimal(0)) + sign * quantity
            )
            self.balances[quote] -= fee
        else:
            self.balances[base] = self.balances.get(base, Decimal(0)) + sign * quantity
            self.balances[quote] = self.balances.get(quote, Decimal(0)) - sign * cost - fee
        order.executed += quantity
        order.quote += cost
        order.status = "FILLED" if order.executed == order.quantity else "PARTIALLY_FILLED"
        trade = {
            "symbol": order.symbol,
            "id": trade_id,
            "orderId": order.order_id,
            "price": text(price),
            "qty": text(quantity),
            "quoteQty": text(cost),
            "commission": text(fee),
            "commissionAsset": quote,
            "time": self._now(),
        }
        if self.futures:
            trade |= {"side": order.side, "buyer": sign > 0, "maker": is_maker}
            trade |= {"positionSide": "BOTH", "realizedPnl": "0"}
        else:
            trade |= {"orderListId": -1, "isBuyer": sign > 0, "isMaker": is_maker}
            trade |= {"isBestMatch": True}
        order.trades.append(trade)
        return trade_id

    # ------------------------------------------------------------------ endpoints

    def klines_for(self, p: dict[str, str]) -> list[list[Any]]:
        start, end = int(p.get("startTime", 0)), int(p.get("endTime", 2**62))
        rows = [row for row in self.klines.get(p["symbol"], []) if start <= row[0] <= end]
        return rows[: int(p.get("limit", 500))]

    def new_order(self, p: dict[str, str]) -> dict[str, Any]:
        symbol = p["symbol"]
        if symbol not in self.symbols:
            raise BinanceError(400, -1121, "Invalid symbol.")
        client_id = p.get("newClientOrderId") or f"fake-{self._next_order}"
        if any(o.client_order_id == client_id and o.status in _OPEN for o in self.orders.values()):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        quantity = Decimal(p["quantity"])
        price = Decimal(p["price"]) if "price" in p else None
        self._check_filters(symbol, quantity, price)
        reduce_only = p.get("reduceOnly", "false").lower() == "true"
        if reduce_only:
            held = self.positions.get(symbol, Decimal(0))
            reduces = (held > 0 and p["side"] == "SELL") or (held < 0 and p["side"] == "BUY")
            if not reduces or quantity > abs(held):
                raise BinanceError(400, -2022, "ReduceOnly Order is rejected.")
        else:
            self._check_funds(symbol, p["side"], quantity, price)
        order = FakeOrder(
            self._next_order,
            client_id,
            symbol,
            p["side"],
            p["type"],
            p.get("timeInForce"),
            quantity,
            price,
            self._now(),
            reduce_only,
        )
        self._next_order += 1
        self.orders[order.order_id] = order
        if order.order_type == "MARKET":
            self._trade(order, quantity, self.last_price[symbol], is_maker=False)
        view = self.view(order)
        if self.futures:
            return view
        fills = [
            {k: t[k] for k in ("price", "qty", "commission", "commissionAsset")}
            | {"tradeId": t["id"]}
            for t in order.trades
        ]
        return {**view, "transactTime": self._now(), "fills": fills}

    def _check_filters(self, symbol: str, quantity: Decimal, price: Decimal | None) -> None:
        filters = {f["filterType"]: f for f in self.symbols[symbol]["filters"]}
        lot, tick = filters["LOT_SIZE"], filters["PRICE_FILTER"]
        if quantity % Decimal(lot["stepSize"]) or quantity < Decimal(lot["minQty"]):
            raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
        if price is not None and price % Decimal(tick["tickSize"]):
            raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
        reference = price if price is not None else self.last_price[symbol]
        notional = filters.get("MIN_NOTIONAL", {})
        minimum = Decimal(notional.get("minNotional") or notional.get("notional") or "0")
        if quantity * reference < minimum:
            raise BinanceError(400, -1013, "Filter failure: MIN_NOTIONAL")

    def _check_funds(
        self, symbol: str, side: str, quantity: Decimal, price: Decimal | None
    ) -> None:
        market = self.symbols[symbol]
        reference = price if price is not None else self.last_price[symbol]
        if side == "BUY" or self.futures:
            need, asset = quantity * reference * (1 + self.fee_frac), market["quoteAsset"]
        else:
            need, asset = quantity, market["baseAsset"]
        if self.balances.get(asset, Decimal(0)) < need:
            raise BinanceError(400, -2010, "Account has insufficient balance for requested action.")

    def find(self, p: dict[str, str]) -> FakeOrder:
        for order in self.orders.values():
            if order.symbol != p["symbol"]:
                continue
            if "orderId" in p and order.order_id == int(p["orderId"]):
                return order
            if order.client_order_id == p.get("origClientOrderId"):
                return order
        raise BinanceError(400, -2013, "Order does not exist.")

    def view(self, order: FakeOrder) -> dict[str, Any]:
        view = {
            "symbol": order.symbol,
            "orderId": order.order_id,
            "clientOrderId": order.client_order_id,
            "price": text(order.price or Decimal(0)),
            "origQty": text(order.quantity),
            "executedQty": text(order.executed),
            "status": order.status,
            "timeInForce": order.time_in_force or "GTC",
            "type": order.order_type,
            "side": order.side,
            "stopPrice": "0.00000000",
            "time": order.ts_ms,
            "updateTime": self._now(),
        }
        if self.futures:
            average = order.quote / order.executed if order.executed else Decimal(0)
            return view | {
                "avgPrice": text(average),
                "cumQuote": text(order.quote),
                "reduceOnly": order.reduce_only,
                "closePosition": False,
                "positionSide": "BOTH",
                "origType": order.order_type,
                "workingType": "CONTRACT_PRICE",
                "priceProtect": False,
            }
        return view | {
            "orderListId": -1,
            "cummulativeQuoteQty": text(order.quote),
            "isWorking": True,
        }

    def cancel(self, p: dict[str, str]) -> dict[str, Any]:
        try:
            order = self.find(p)
        except BinanceError:
            raise BinanceError(400, -2011, "Unknown order sent.") from None
        if order.status not in _OPEN:
            raise BinanceError(400, -2011, "Unknown order sent.")
        order.status = "CANCELED"
        return {**self.view(order), "origClientOrderId": order.client_order_id}

    def open_orders(self, p: dict[str, str]) -> list[dict[str, Any]]:
        return [
            self.view(o)
            for o in self.orders.values()
            if o.status in _OPEN and o.symbol == p.get("symbol", o.symbol)
        ]

    def my_trades(self, p: dict[str, str]) -> list[dict[str, Any]]:
        trades = [
            t
            for o in self.orders.values()
            if o.symbol == p["symbol"] and ("orderId" not in p or o.order_id == int(p["orderId"]))
            for t in o.trades
            if t["id"] not in self.trades_hidden and t["time"] >= int(p.get("startTime", 0))
        ]
        return list(reversed(trades)) if self.reverse_trades else trades

    def spot_account(self, p: dict[str, str]) -> dict[str, Any]:
        balances = [
            {"asset": asset, "free": text(amount), "locked": "0.00000000"}
            for asset, amount in self.balances.items()
        ]
        return {"canTrade": True, "accountType": "SPOT", "balances": balances}

    def futures_account(self, p: dict[str, str]) -> dict[str, Any]:
        usdt = text(self.balances["USDT"])
        asset = {"asset": "USDT", "walletBalance": usdt, "marginBalance": usdt}
        asset |= {"availableBalance": usdt, "maxWithdrawAmount": usdt}
        asset |= {"unrealizedProfit": "0", "initialMargin": "0", "maintMargin": "0"}
        asset |= {"crossWalletBalance": usdt, "crossUnPnl": "0", "updateTime": self._now()}
        return {"totalWalletBalance": usdt, "assets": [asset], "positions": []}

    def leverage_brackets(self, p: dict[str, str]) -> list[dict[str, Any]]:
        bracket = {"bracket": 1, "initialLeverage": 20, "notionalCap": 1_000_000}
        bracket |= {"notionalFloor": 0, "maintMarginRatio": 0.004, "cum": 0}
        return [{"symbol": symbol, "brackets": [bracket]} for symbol in self.symbols]

    def position_risk(self, p: dict[str, str]) -> list[dict[str, Any]]:
        rows = []
        for symbol, amount in self.positions.items():
            mark = self.last_price.get(symbol, Decimal(0))
            rows.append(
                {
                    "symbol": symbol,
                    "positionSide": "BOTH",
                    "positionAmt": text(amount),
                    "entryPrice": text(mark),
                    "breakEvenPrice": text(mark),
                    "markPrice": text(mark),
                    "unRealizedProfit": "0",
                    "liquidationPrice": "0",
                    "isolatedMargin": "0",
                    "notional": text(amount * mark),
                    "marginAsset": "USDT",
                    "isolatedWallet": "0",
                    "initialMargin": "0",
                    "maintMargin": "0",
                    "adl": 0,
                    "updateTime": self._now(),
                }
            )
        return rows
