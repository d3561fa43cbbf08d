"""The nonce pool: 32 hex digits of OS randomness each, never handed out twice, fork-safe."""

from __future__ import annotations

import os
import re

from aiswarm.risk import nonce_pool
from aiswarm.risk.nonce_pool import next_nonce


def test_next_nonce_when_drawn_many_times_then_hex_and_never_repeated() -> None:
    # Act: several batches' worth, so refills are crossed
    nonces = [next_nonce() for _ in range(5_000)]

    # Assert
    assert all(re.fullmatch(r"[0-9a-f]{32}", nonce) for nonce in nonces)
    assert len(set(nonces)) == len(nonces)


def test_next_nonce_when_process_forks_then_child_draws_none_of_the_parents_pool() -> None:
    # Arrange: the parent holds a part-used batch the child inherits
    next_nonce()
    pending = list(nonce_pool._pool)
    read_end, write_end = os.pipe()

    # Act
    pid = os.fork()
    if pid == 0:  # the child: report what it draws, then leave without cleanup
        try:
            drawn = "".join(next_nonce() for _ in range(len(pending) + 1))
            os.write(write_end, drawn.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read().decode()
    os.waitpid(pid, 0)
    child = {data[start : start + 32] for start in range(0, len(data), 32)}
    parent = {next_nonce() for _ in range(len(pending))}

    # Assert: the child emptied its copy, so neither side reuses the other's nonces
    assert len(child) == len(pending) + 1
    assert child.isdisjoint(pending)
    assert child.isdisjoint(parent)
    assert parent == set(pending)
