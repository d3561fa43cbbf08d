"""Time the bare safety work of one order in plain Python: the floor an order's cost is held to.

Every order the engine places is recorded, signed, verified, checked against the nonces seen
and appended to a hash chain. This does exactly that work and nothing else, per order: build
the order record (a dict), write its canonical text (orjson, sorted keys), sign it
(HMAC-SHA-256), verify the signature (recompute and compare in constant time), check and keep
its nonce, and chain the record (SHA-256 over the previous hash and the text). No guards, no
portfolio, no venue, no objects around the order: ``aiswarm bench backtest`` prints our cost
per order beside this one, timed in the same run (issue 13 holds it to at most 5x).
"""

from __future__ import annotations

import hmac
from hashlib import sha256

import orjson

from aiswarm.clock import Clock

__all__ = ["minimal_order_path_ns"]

_KEY = b"benchmark-order-floor-key-32-byt"


def minimal_order_path_ns(orders: int, timer: Clock) -> int:
    """Return the nanoseconds ``orders`` orders take through the bare safety work above."""
    previous = bytes(32)
    nonces: set[int] = set()
    chain: list[bytes] = []
    started = timer.monotonic_ns()
    for number in range(orders):
        record = {
            "client_order_id": f"floor-{number}",
            "symbol": "BTC/USDT",
            "side": "buy" if number % 2 == 0 else "sell",
            "order_type": "market",
            "quantity": "1",
            "nonce": number,
        }
        text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        signature = hmac.new(_KEY, text, sha256).digest()
        if not hmac.compare_digest(signature, hmac.new(_KEY, text, sha256).digest()):
            raise RuntimeError("the floor's own signature did not verify")
        if number in nonces:
            raise RuntimeError(f"nonce {number} seen twice")
        nonces.add(number)
        previous = sha256(previous + text).digest()
        chain.append(previous)
    return timer.monotonic_ns() - started
