"""Approval keys rotate while a paper session trades, and the rotation survives a restart.

Orders signed before the rotation, an approval in flight across it, and orders signed after it
all verify; once the old id's approvals have expired it is retired and refused; a restart signs
with the newest key and still refuses the retired one. The new key's secret is derived from the
approval secret with HKDF (docs/approvals.md), checked here against RFC 5869 written out with
the standard library.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aiswarm.clock import SimulatedClock, WallClock
from aiswarm.errors import ConfigError
from aiswarm.risk import Algorithm, ApprovalVerifier
from aiswarm.risk.approval import ApprovalRefusal, ApprovalRejected
from aiswarm.runtime import Host, TradingService
from aiswarm.runtime.approval_keys import generation_secret
from aiswarm.runtime.approval_rotation import ApprovalKeyRotation
from aiswarm.runtime.host import APPROVAL_TTL_NS, MAX_SKEW_NS
from aiswarm.store import EventStore, open_event_store
from kit.builders import order_spec
from kit.host import FIXED_NOTIONAL, SECRET, paper_config, run_steps, start

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _verifier(host: Host) -> ApprovalVerifier:
    """The OMS's verifier over the host's current keyring (the same object the OMS asks)."""
    return ApprovalVerifier(host.approval_keys.verifier, max_skew_ns=MAX_SKEW_NS)


async def _payloads(host: Host, event_type: str) -> list[dict[str, Any]]:
    return [event.payload async for event in host.store.replay(types=[event_type])]


async def _signing_ids(host: Host) -> list[str]:
    return [p["approval"]["key_id"] for p in await _payloads(host, "order.submitted")]


async def _trade_until_more_orders(host: Host, than: int) -> None:
    for _ in range(40):
        await run_steps(host, 30)
        if len(await _signing_ids(host)) > than:
            return
    raise AssertionError("the session placed no order in 1200 steps")


async def test_rotation_when_mid_session_then_before_during_after_verify_and_old_retires(
    tmp_path: Path,
) -> None:
    # Arrange: a session that has traded with the first key
    config = paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL})
    host = await start(config)
    service = TradingService(host)
    await _trade_until_more_orders(host, 0)
    before = len(await _signing_ids(host))
    old_signer = host.approval_keys.signer()
    now_ns = host.engine.clock.now_ns()
    in_flight = old_signer.approve(order_spec(), now_ns)

    # Act: rotate, then trade on
    rotated = await service.rotate_approval_key("quarterly rotation", "alice")
    _verifier(host).verify(in_flight, now_ns)  # during: the old id still verifies
    await _trade_until_more_orders(host, before)
    ids = await _signing_ids(host)
    late = old_signer.approve(order_spec(), host.engine.clock.now_ns())

    # Assert
    assert rotated["key_id"] == "approval-2"
    assert rotated["signing"] is True
    assert set(ids[:before]) == {"approval-1"}
    assert set(ids[before:]) == {"approval-2"}
    assert not [
        p for p in await _payloads(host, "order.refused") if "KEY" in str(p) or "SIGN" in str(p)
    ]
    with pytest.raises(ApprovalRejected) as refused:
        _verifier(host).verify(late, host.engine.clock.now_ns())
    assert refused.value.code is ApprovalRefusal.KEY_REVOKED
    rotations = await _payloads(host, "approval_key.rotated")
    retirements = await _payloads(host, "approval_key.retired")
    assert [(p["key_id"], p["by"], p["reason"]) for p in rotations] == [
        ("approval-1", "runtime", "the first approval key"),
        ("approval-2", "alice", "quarterly rotation"),
    ]
    assert [(p["key_id"], p["by"]) for p in retirements] == [("approval-1", "runtime")]
    await host.stop("test over")

    # A restart signs with the newest key and still refuses the retired one
    again = await start(config)
    newest = again.approval_keys.signer()
    fresh = newest.approve(order_spec(client_order_id="after-restart"), again.engine.clock.now_ns())
    _verifier(again).verify(fresh, again.engine.clock.now_ns())
    with pytest.raises(ApprovalRejected) as still_refused:
        _verifier(again).verify(
            old_signer.approve(order_spec(client_order_id="old"), again.engine.clock.now_ns()),
            again.engine.clock.now_ns(),
        )
    await _trade_until_more_orders(again, len(ids))
    after_restart = (await _signing_ids(again))[len(ids) :]
    state = TradingService(again).approval_keys()
    await again.stop("test over")

    assert again.approval_keys.signing_key_id == "approval-2"
    assert still_refused.value.code is ApprovalRefusal.KEY_REVOKED
    assert set(after_restart) == {"approval-2"}
    assert [(row["key_id"], row["signing"], row["retired"]) for row in state] == [
        ("approval-1", False, True),
        ("approval-2", True, False),
    ]


async def test_rotation_when_restarted_before_retirement_then_old_id_verifies_then_retires(
    tmp_path: Path,
) -> None:
    config = paper_config(tmp_path)
    host = await start(config)
    await run_steps(host, 5)
    old_signer = host.approval_keys.signer()
    await TradingService(host).rotate_approval_key("rotate, then crash", "alice")
    await host.stop("stopped before the old key's approvals expired")

    again = await start(config)
    now_ns = again.engine.clock.now_ns()
    _verifier(again).verify(old_signer.approve(order_spec(), now_ns), now_ns)
    await run_steps(again, 3)  # a minute a step: past the approvals' lifetime
    later_ns = again.engine.clock.now_ns()
    with pytest.raises(ApprovalRejected) as refused:
        _verifier(again).verify(old_signer.approve(order_spec(), later_ns), later_ns)
    await again.stop("test over")

    assert again.approval_keys.signing_key_id == "approval-2"
    assert refused.value.code is ApprovalRefusal.KEY_REVOKED


def test_generation_secret_when_derived_then_rfc5869_hkdf_sha256_of_the_secret() -> None:
    # RFC 5869 with SHA-256, no salt (a string of HashLen zeros), L = 32: one expand block.
    info = b"aiswarm-approval-key/2"
    prk = hmac.new(b"\0" * 32, SECRET, hashlib.sha256).digest()
    okm = hmac.new(prk, info + b"\x01", hashlib.sha256).digest()

    assert generation_secret(SECRET, 1) == SECRET
    assert generation_secret(SECRET, 2) == okm
    assert generation_secret(SECRET, 3) != okm


async def test_cli_rotate_approval_when_run_later_then_events_show_the_new_id_signing(
    tmp_path: Path,
) -> None:
    config = paper_config(tmp_path, trading={"allocator": FIXED_NOTIONAL})
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env["AIS_APPROVAL_SECRET"] = SECRET.decode()
    path = tmp_path / "aiswarm.yaml"

    def aiswarm(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "aiswarm.cli", *args, "--config", str(path)]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False
        )

    rotated = aiswarm("keys", "rotate-approval", "--reason", "scheduled")
    blank = aiswarm("keys", "rotate-approval", "--reason", " ")
    listed = aiswarm("events", "list", "--type", "approval_key.rotated")
    host = await start(config)
    await _trade_until_more_orders(host, 0)
    await host.stop("test over")
    orders = aiswarm("events", "list", "--type", "order.submitted", "--limit", "1")

    assert rotated.returncode == 0, rotated.stderr
    assert "approval key approval-2 (generation 2) signs from now on" in rotated.stdout
    assert blank.returncode == 2
    assert "--reason was blank" in blank.stderr
    assert '"by": "cli"' in listed.stdout
    assert "order.submitted          [key approval-2] {" in orders.stdout


async def test_rotation_when_ed25519_then_new_public_key_recorded_before_it_signs(
    tmp_path: Path,
) -> None:
    config = paper_config(
        tmp_path, trading={"approval_algorithm": "ed25519", "allocator": FIXED_NOTIONAL}
    )
    host = await start(config)
    first = host.approval_keys.signing_key_id
    rotated = await TradingService(host).rotate_approval_key("new key", "alice")
    await _trade_until_more_orders(host, 0)
    recorded = [
        (event.seq, event.payload["key_id"])
        async for event in host.store.replay(types=["approval.key"], account=host.engine.account)
    ]
    signed_by_new = [
        event.seq
        async for event in host.store.replay(types=["order.submitted"])
        if event.payload["approval"]["key_id"] == rotated["key_id"]
    ]
    await host.stop("test over")

    assert first.startswith("ed25519-")
    assert rotated["key_id"].startswith("ed25519-")
    assert rotated["key_id"] != first
    assert [key_id for _, key_id in recorded] == [first, rotated["key_id"]]
    assert signed_by_new, "the new key signs the session's orders"
    assert recorded[1][0] < signed_by_new[0], "the public key is in the log before it signs"


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "ed25519"])
async def test_rotate_when_wrong_secret_then_refused_before_writing_and_restart_works(
    tmp_path: Path, algorithm: str
) -> None:
    config = paper_config(tmp_path, trading={"approval_algorithm": algorithm})
    host = await start(config)
    await run_steps(host, 2)
    await host.stop("test over")
    store = await open_event_store(config.store.url, WallClock())
    before = await store.count()
    wrong = ApprovalKeyRotation(
        b"t" * 32,
        config.trading.approval_algorithm,
        approval_ttl_ns=APPROVAL_TTL_NS,
        max_skew_ns=MAX_SKEW_NS,
        store=store,
    )
    with pytest.raises(ConfigError, match="wrong approval secret"):
        await wrong.rotate("cli", "routine")
    after = await store.count()
    await store.close()
    again = await start(config)
    signing = again.approval_keys.signing_key_id
    await again.stop("test over")

    assert after == before, "nothing is written with the wrong secret"
    assert signing == host.approval_keys.signing_key_id


async def test_start_when_secret_changed_after_hmac_rotation_then_refused(tmp_path: Path) -> None:
    config = paper_config(tmp_path)
    host = await start(config)
    await TradingService(host).rotate_approval_key("routine", "alice")
    await host.stop("test over")

    with pytest.raises(ConfigError, match="wrong approval secret"):
        await Host.start(config, b"u" * 32, clock_at=SimulatedClock)


class _YieldingAppends:
    """The real store, but each append lingers once written (as a slow commit may)."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def append(self, *args: Any, **kwargs: Any) -> Any:
        written = await self._store.append(*args, **kwargs)
        await asyncio.sleep(0.05)  # lets other tasks run meanwhile; nothing asserts on time
        return written


async def test_sync_when_rotation_runs_during_retirement_then_both_complete(
    tmp_path: Path,
) -> None:
    store = await open_event_store(f"sqlite+aiosqlite:///{tmp_path}/e.db", WallClock())
    rotation = ApprovalKeyRotation(
        SECRET,
        Algorithm.HMAC_SHA256,
        approval_ttl_ns=5,
        max_skew_ns=1,
        store=_YieldingAppends(store),  # type: ignore[arg-type]
    )
    await rotation.rotate("alice", "first")
    await rotation.sync(100)  # approval-1 retires at 106
    await asyncio.gather(rotation.sync(200), rotation.rotate("alice", "second"))
    state = rotation.state()
    await store.close()

    assert [(row["key_id"], row["retired"], row["signing"]) for row in state] == [
        ("approval-1", True, False),
        ("approval-2", False, False),
        ("approval-3", False, True),
    ]


async def test_public_key_command_when_rotated_then_prints_the_signing_key_then_unretired(
    tmp_path: Path,
) -> None:
    config = paper_config(tmp_path, trading={"approval_algorithm": "ed25519"})
    host = await start(config)
    first = host.approval_keys.state()[0]
    rotated = await TradingService(host).rotate_approval_key("routine", "alice")
    await host.stop("test over")
    printed = _public_key_command(tmp_path / "aiswarm.yaml")

    assert printed.returncode == 0, printed.stderr
    key = json.loads(printed.stdout)
    assert (key["key_id"], key["generation"]) == (rotated["key_id"], 2)
    assert key["public_key"] == rotated["public_key"]
    assert [(k["key_id"], k["generation"]) for k in key["verifying"]] == [(first["key_id"], 1)]


def _public_key_command(config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env["AIS_APPROVAL_SECRET"] = SECRET.decode()
    command = [sys.executable, "-m", "aiswarm.cli", "approvals", "public-key", "--json"]
    return subprocess.run(
        [*command, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
