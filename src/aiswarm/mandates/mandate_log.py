"""Record mandates in the event store and take them back: crash-only mandates.

A mandate takes effect only once a ``mandate.changed`` record of it is in the account's stream:
the file version at start-up when the log holds none or an older one, and every status change
the engine makes (an expiry) before the engine acts on it. After a crash the latest record per
mandate is what comes back (``recorded_mandates``); the files are then compared with it
(``reconcile``): an unchanged file records nothing, and a mandate the log says has EXPIRED
stays expired unless its file changed something besides the status (a new ``valid_until``).
Pure: building payloads and reading records; the runtime appends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiswarm.mandates.mandate_files import MandateFile
from aiswarm.types import EventType, Mandate, MandateId, MandateStatus

__all__ = ["MANDATE_CHANGED", "change_payload", "reconcile", "recorded_mandates"]

MANDATE_CHANGED = EventType.MANDATE_CHANGED


def change_payload(mandate: Mandate, reason: str, source: str = "") -> dict[str, Any]:
    """Return the ``mandate.changed`` record of ``mandate``: the whole mandate and why."""
    return {"mandate": mandate.model_dump(mode="json"), "reason": reason, "source": source}


def recorded_mandates(
    records: Iterable[tuple[str, Mapping[str, Any]]],
) -> dict[MandateId, Mandate]:
    """Return the latest recorded version of every mandate in ``records`` (oldest first)."""
    latest: dict[MandateId, Mandate] = {}
    for kind, payload in records:
        if kind == MANDATE_CHANGED:
            mandate = Mandate.model_validate(payload["mandate"])
            latest[mandate.mandate_id] = mandate
    return latest


def reconcile(
    files: Mapping[MandateId, MandateFile], recorded: Mapping[MandateId, Mandate]
) -> tuple[dict[MandateId, Mandate], list[dict[str, Any]]]:
    """Return the mandates in force and the ``mandate.changed`` payloads to record first.

    Per file: none recorded -> record the file ("registered"); the same as recorded -> the
    recorded one, nothing to record; recorded EXPIRED and the file differs only in status ->
    still expired; anything else -> record the file ("file changed").
    """
    current: dict[MandateId, Mandate] = {}
    changes: list[dict[str, Any]] = []
    for mandate_id, loaded in files.items():
        wanted = loaded.mandate
        known = recorded.get(mandate_id)
        source = str(loaded.path)
        if known is None:
            changes.append(change_payload(wanted, "registered from its file", source))
            current[mandate_id] = wanted
        elif known == wanted or _only_expired(known, wanted):
            current[mandate_id] = known
        else:
            changes.append(change_payload(wanted, "its file changed", source))
            current[mandate_id] = wanted
    return current, changes


def _only_expired(known: Mandate, wanted: Mandate) -> bool:
    """Return True when ``known`` EXPIRED and ``wanted`` differs from it only in status."""
    return (
        known.status is MandateStatus.EXPIRED
        and known.model_copy(update={"status": wanted.status}) == wanted
    )
