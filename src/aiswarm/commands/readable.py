"""Spell the commands' answers for a terminal: every decimal plain, as the API spells them.

The commands hand out exact values (``Decimal`` money, stored payloads), and ``cli.py`` prints
them through here, so a figure reads ``0`` and ``-36.4321496814``, not ``0E-8`` or
``-36.43214968140000000000000000000000``. ``plain`` (``types.money``) is the one spelling, the
same the API's ``presentation`` uses: exact, without exponent or trailing zeros.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from aiswarm.types.money import plain

__all__ = ["json_text", "payload_text", "signed_by"]

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:E[-+]?[0-9]{1,3})?")
"""A decimal as ``str(Decimal)`` writes it into a payload (``1.50``, ``0E-8``, ``1E+3``)."""


def json_text(data: Any) -> str:
    """Return ``data`` as indented JSON, each Decimal as its plain text (a JSON string)."""
    return json.dumps(data, indent=2, default=_json_value)


def payload_text(payload: Any) -> str:
    """Return a stored event's payload as one line of JSON, its decimal strings spelled plain.

    Payloads keep Decimals as the strings they were recorded as (``"0.67414700"``, ``"0E-8"``).
    For reading, a string that spells a decimal with a point or an exponent is shown as its plain
    value; anything else (ids, hashes, times, whole numbers) as recorded. ``--json`` prints the
    record itself, unchanged.
    """
    return json.dumps(_readable(payload))


def signed_by(payload: Any) -> str:
    """Return ``"[key <id>] "`` for a payload carrying an approval (the key that signed it)."""
    approval = payload.get("approval") if isinstance(payload, dict) else None
    key_id = approval.get("key_id") if isinstance(approval, dict) else None
    return "" if key_id is None else f"[key {key_id}] "


def _json_value(value: object) -> str:
    return plain(value) if isinstance(value, Decimal) else str(value)


def _readable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _readable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_readable(item) for item in value]
    if isinstance(value, str) and ("." in value or "E" in value) and _DECIMAL.fullmatch(value):
        return plain(Decimal(value))
    return value
