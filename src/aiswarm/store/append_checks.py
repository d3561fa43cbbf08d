"""Check an append's type and account before it is queued, and return them as record JSON.

Both checks run at append, in the caller, because a bad value queued with others would fail the
whole batch it was committed in. Only types listed in ``aiswarm.types.EventType`` are accepted:
one registry, so a misspelt constant fails its first append instead of writing records that
replay would silently skip. Verification never consults the registry: a record that was stored
verifies whatever the registry says today.
"""

from __future__ import annotations

from aiswarm.store.event_chain import json_text
from aiswarm.types import EventType

__all__ = ["MAX_ACCOUNT_CHARS", "account_json", "type_json"]

MAX_ACCOUNT_CHARS = 128

# Registered value -> (the value as a plain str, its JSON). A plain str, because a StrEnum
# member handed on to a database driver or f-string should not depend on how each treats
# str subclasses.
_REGISTERED: dict[str, tuple[str, str]] = {
    member.value: (str(member.value), json_text(member.value)) for member in EventType
}


def type_json(event_type: str) -> tuple[str, str]:
    """Return ``(type, type as JSON)`` for a registered type; refuse any other.

    Raises ``ValueError`` naming the type and the fix, ``TypeError`` for a non-str.
    """
    found = _REGISTERED.get(event_type)
    if found is not None:
        return found
    if not isinstance(event_type, str):
        raise TypeError(f"an event type must be str, got {type(event_type).__name__}")
    raise ValueError(
        f"event type {event_type!r} is not registered; register it in aiswarm.types.EventType "
        "(src/aiswarm/types/events.py) before appending it"
    )


def account_json(account: str) -> str:
    """Return ``account`` as JSON after checking it names a stream (1-128 printable chars).

    An empty account is refused: ``""`` marks the legacy records written before events carried
    accounts, whose hashes use encoding version 1 (see ``event_chain``).
    """
    if not isinstance(account, str):
        raise TypeError(f"an account must be str, got {type(account).__name__}")
    if not 0 < len(account) <= MAX_ACCOUNT_CHARS or not account.isprintable():
        raise ValueError(
            f"account {account!r} must be 1-{MAX_ACCOUNT_CHARS} printable characters, "
            "e.g. 'paper-1'; every event belongs to one account's stream"
        )
    return json_text(account)
