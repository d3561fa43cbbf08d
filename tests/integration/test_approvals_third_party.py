"""A third party verifies every approval in a store's log from the log and docs/approvals.md alone.

`aiswarm run` trades a minute of paper cycles; the log is read with `aiswarm events list --json`,
and each approval is checked the way the doc describes it, written out here without any of
aiswarm's code: the 19-line message, the canonical field texts, and the key. In Ed25519 mode the
key is the public key the log records (`approval.key`), which `aiswarm approvals public-key`
prints too; in HMAC mode it is the operator's secret, turned into bytes by the doc's rule.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

# From docs/approvals.md: "Signed order fields" and "Canonical message".
HEADER = "aiswarm-approval/1"
SIGNED = (
    "client_order_id",
    "mandate_id",
    "account",
    "venue",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "limit_price",
    "stop_price",
    "time_in_force",
    "reduce_only",
    "post_only",
)
DECIMALS = {"quantity", "limit_price", "stop_price"}
ASCII_WHITESPACE = b" \t\n\r\x0b\x0c"


def _aiswarm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiswarm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _trade(tmp_path: Path, algorithm: str, **secrets: str) -> tuple[list[dict[str, Any]], Any]:
    """Run 60 paper cycles signing with ``algorithm``; return the log and the command runner."""
    config = tmp_path / "aiswarm.yaml"
    config.write_text(
        f"state_dir: {tmp_path}/state\n"
        f"store:\n  url: sqlite+aiosqlite:///{tmp_path}/events.db\n"
        f"trading:\n  enable_at_start: true\n  approval_algorithm: {algorithm}\n"
        # Fixed notional, so a minute of cycles trades at once: Kelly waits for a measured edge.
        "  allocator:\n    mode: fixed_notional\n    fixed_notional_usd: 5000\n"
        "    long_only: true\n"
        "loop:\n  interval_s: 60\n  speed: 6000\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")} | secrets

    def aiswarm(*args: str) -> subprocess.CompletedProcess[str]:
        return _aiswarm(*args, "--config", str(config), env=env)

    ran = aiswarm("run", "--port", str(_free_port()), "--cycles", "60")
    assert ran.returncode == 0, ran.stderr
    listed = aiswarm("events", "list", "--limit", "1000000", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout), aiswarm


def _canonical_decimal(text: str) -> str:
    """The doc's canonical decimal: exact fixed point, no exponent, no trailing zeros."""
    plain = format(Decimal(text), "f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return "0" if plain == "-0" else plain


def _field_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _canonical_decimal(value) if name in DECIMALS else str(value)


def _message(approval: dict[str, Any]) -> bytes:
    """The doc's 19 lines, joined by LF with no LF after the last, as UTF-8."""
    lines = [
        HEADER,
        approval["key_id"],
        approval["algorithm"],
        str(approval["issued_at_ns"]),
        str(approval["expires_at_ns"]),
        approval["nonce"],
        *approval["fields"],
    ]
    assert len(lines) == 19
    return "\n".join(lines).encode("utf-8")


def _approvals(log: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """Every (seq, spec, approval) the log holds: approved risk decisions and submitted orders."""
    found = []
    for row in log:
        payload = row["payload"]
        if row["type"] in ("risk.decision", "order.submitted") and payload.get("approval"):
            found.append((row["seq"], payload["spec"], payload["approval"]))
    return found


def _check_fields(spec: dict[str, Any], approval: dict[str, Any]) -> None:
    assert approval["version"] == 1
    assert approval["fields"] == [_field_text(name, spec[name]) for name in SIGNED]


def _ed25519_valid(public_key: bytes, approval: dict[str, Any]) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            bytes.fromhex(approval["signature"]), _message(approval)
        )
    except InvalidSignature:
        return False
    return True


def test_ed25519_log_when_read_by_third_party_then_every_approval_verifies_with_recorded_key(
    tmp_path: Path,
) -> None:
    # Arrange
    log, aiswarm = _trade(tmp_path, "ed25519")
    printed = aiswarm("approvals", "public-key", "--json")

    # Act: the keys the log records, then every approval against them
    keys = {
        row["payload"]["key_id"]: (row["seq"], bytes.fromhex(row["payload"]["public_key"]))
        for row in log
        if row["type"] == "approval.key"
    }
    approvals = _approvals(log)

    # Assert
    assert printed.returncode == 0, printed.stderr
    key = json.loads(printed.stdout)
    assert list(keys) == [key["key_id"]]
    assert keys[key["key_id"]][1].hex() == key["public_key"]
    assert key["key_id"] == "ed25519-" + key["public_key"][:16]
    assert len(approvals) >= 2, "the run approved no order"
    for seq, spec, approval in approvals:
        recorded_seq, public_key = keys[approval["key_id"]]
        assert recorded_seq < seq, "the key is recorded before the approvals it signs"
        assert approval["algorithm"] == "ed25519"
        _check_fields(spec, approval)
        assert _ed25519_valid(public_key, approval), approval
    _, _, first = approvals[0]
    forged = first | {"fields": [*first["fields"][:7], "999", *first["fields"][8:]]}
    assert not _ed25519_valid(keys[first["key_id"]][1], forged)


def test_hmac_log_when_read_with_operator_secret_then_every_approval_verifies_by_doc_rule(
    tmp_path: Path,
) -> None:
    # Arrange: the secret arrives with whitespace around it, as from `echo` or an editor
    secret = " \tan-operator-approval-secret-of-40-bytes\r\n"
    log, _ = _trade(tmp_path, "hmac-sha256", AIS_APPROVAL_SECRET=secret)

    # Act: the doc's rule: strip ASCII whitespace at both ends, encode as UTF-8
    key = secret.encode("utf-8").strip(ASCII_WHITESPACE)
    approvals = _approvals(log)

    # Assert
    assert not [row for row in log if row["type"] == "approval.key"]
    assert len(approvals) >= 2, "the run approved no order"
    for _, spec, approval in approvals:
        assert (approval["key_id"], approval["algorithm"]) == ("approval-1", "hmac-sha256")
        _check_fields(spec, approval)
        mac = hmac.new(key, _message(approval), hashlib.sha256).hexdigest()
        assert hmac.compare_digest(mac, approval["signature"]), approval


DOC = REPO / "docs" / "approvals.md"


def _public_key(tmp_path: Path, algorithm: str, secret: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "aiswarm.yaml"
    config.write_text(
        f"state_dir: {tmp_path}/state\ntrading:\n  approval_algorithm: {algorithm}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AIS_")}
    env["AIS_APPROVAL_SECRET"] = secret
    return _aiswarm("approvals", "public-key", "--config", str(config), "--json", env=env)


def test_public_key_command_when_doc_example_secret_then_prints_the_doc_key(
    tmp_path: Path,
) -> None:
    # Act: the doc's example secret, with whitespace the doc says is dropped
    printed = _public_key(tmp_path, "ed25519", "\t aiswarm-approvals-example-key-32\r\n")

    # Assert
    assert printed.returncode == 0, printed.stderr
    key = json.loads(printed.stdout)
    assert key["key_id"] == "ed25519-4727c62c165d2a9e"
    assert key["public_key"] == "4727c62c165d2a9e179082905304cefae0f5abcf069de27933e6fede5c86decf"
    assert key["pem"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert json.dumps({k: key[k] for k in ("key_id", "algorithm", "public_key")}) in (
        DOC.read_text(encoding="utf-8")
    )


def test_public_key_command_when_hmac_mode_then_one_line_saying_there_is_none(
    tmp_path: Path,
) -> None:
    # Act
    printed = _public_key(tmp_path, "hmac-sha256", "aiswarm-approvals-example-key-32")

    # Assert
    assert printed.returncode == 2
    assert printed.stderr.count("\n") == 1
    assert "an HMAC key is a shared secret with no public half" in printed.stderr
    assert "Traceback" not in printed.stderr


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("bash", "openssl", "xxd")),
    reason="needs bash, openssl and xxd",
)
def test_doc_openssl_recipe_when_run_then_example_signature_verified(tmp_path: Path) -> None:
    # Arrange: the shell lines of "Verifying a log", as printed in the doc
    section = DOC.read_text(encoding="utf-8").split("**Verifying a log.**", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]

    # Act
    ran = subprocess.run(
        ["bash", "-e", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    # Assert
    assert ran.returncode == 0, ran.stderr
    assert "Signature Verified Successfully" in ran.stdout
