"""Hand out approval nonces: 16 bytes from the OS's CSPRNG each, as 32 lower-case hex digits.

Why a pool: ``os.urandom(16)`` (and ``secrets.token_bytes``, which calls it) costs about 0.2 us
per call here, nearly all of it the system call, against a budget of 4 us per order for the whole
guard chain and signature. So nonces are drawn from ``os.urandom`` 256 at a time and handed out
one by one. They are exactly as unpredictable as single draws: every nonce is 16 fresh bytes
of the same generator, none derived from another.

No nonce is handed out twice: each is removed from the pool as it is taken (``list.pop`` is
atomic under the GIL, so threads cannot take the same one). A forked child inherits its
parent's unused pool, and if both handed those out the same approvals' nonces would collide,
so the child empties its copy right after the fork (``os.register_at_fork``, the hook CPython's
own ``random`` module uses to reseed), and draws its own from the OS.
"""

from __future__ import annotations

import os
from typing import Final

__all__ = ["NONCE_BYTES", "next_nonce"]

NONCE_BYTES: Final = 16
_HEX_DIGITS: Final = 2 * NONCE_BYTES
_BATCH: Final = 256

_pool: list[str] = []


def _refill() -> None:
    """Add a batch of fresh nonces to the pool."""
    text = os.urandom(NONCE_BYTES * _BATCH).hex()
    _pool.extend([text[start : start + _HEX_DIGITS] for start in range(0, len(text), _HEX_DIGITS)])


def next_nonce() -> str:
    """Return a nonce never handed out before: 32 lower-case hex digits (16 random bytes)."""
    while True:
        try:
            return _pool.pop()
        except IndexError:  # empty (another thread may empty a refill first: draw again)
            _refill()


os.register_at_fork(after_in_child=_pool.clear)
